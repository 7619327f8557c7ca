"""The typed button data of bot/core/ui: each class reads back what it writes, rejects
anything else with the codec's InvalidCallback, and every button of every screen fits in
Telegram's 64 bytes of callback data.

Only arguments the codec lets through (``bot.core.callbacks._ARG``'s alphabet, at most 44
characters) can reach a ``parse``: those are what the garbage strategies draw from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.model import Content
from bot.core.callbacks import MAX_BYTES, MAX_ID, Action, InvalidCallback, decode, encode
from bot.core.screens import Button, Screen, catalog_for
from bot.core.session import (
    TIMER_ELAPSED,
    PainWhich,
    Phase,
    SessionState,
    advance,
    available_actions,
)
from bot.core.ui import language, onboarding, reminders, safety, settings
from bot.core.ui import session as session_ui
from bot.core.ui.language import LanguageChoice
from bot.core.ui.reminders import ForDay, PauseFor, SnoozeFor
from bot.core.ui.safety import CheckinAnswer, PainRating, ResumeWithout, SoreAnswer, YesNo
from bot.core.ui.settings import Days, DaysAndTime, NudgeChoice, ZoneChoice, ZoneName
from bot.core.zones import Place, suggested_zones

NOW = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
ARG_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/+"
# What can reach a parse: any argument the codec decodes.
wire_args = st.text(alphabet=ARG_ALPHABET, max_size=44)
# Near misses: digits and the separators the formats use.
digit_args = st.text(alphabet="0123456789-kzx", max_size=16)
garbage = st.one_of(wire_args, digit_args)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


masks = st.integers(min_value=0, max_value=0b1111111)
day_masks = st.integers(min_value=1, max_value=0b1111111)
times = st.builds(
    lambda h, m: f"{h:02d}:{m:02d}",
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
)
drafts = st.builds(DaysAndTime, day_masks, times)
# A zone name must match the codec's alphabet to be carried whole; every installed one does
# (tests/unit/test_callbacks.py checks them all), so a sample is enough here.
zone_names = st.sampled_from(
    [
        "America/New_York",
        "America/Port-au-Prince",
        "America/Argentina/ComodRivadavia",
        "Etc/GMT+5",
        "Etc/GMT-14",
        "Europe/Berlin",
        "UTC",
    ]
).map(ZoneName)
picks = st.one_of(st.integers(min_value=0, max_value=99), st.just("keep"), zone_names)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(9999, 12, 31))


# --- round trips ----------------------------------------------------------------------------


@given(st.booleans())
def test_yes_no_round_trips(yes: bool) -> None:
    assert YesNo.parse(YesNo(yes).arg()) == YesNo(yes)


@given(st.sampled_from(["better", "same", "worse"]))
def test_checkin_answer_round_trips(how: str) -> None:
    answer = CheckinAnswer(how)  # type: ignore[arg-type]
    assert CheckinAnswer.parse(answer.arg()) == answer


@given(st.booleans())
def test_resume_without_round_trips(keep: bool) -> None:
    assert ResumeWithout.parse(ResumeWithout(keep).arg()) == ResumeWithout(keep)


@given(st.booleans())
def test_sore_answer_round_trips(gone: bool) -> None:
    assert SoreAnswer.parse(SoreAnswer(gone).arg()) == SoreAnswer(gone)


def test_the_two_answers_of_each_choice_differ_on_the_wire() -> None:
    for cls in (YesNo, ResumeWithout, SoreAnswer):
        assert cls(True).arg() != cls(False).arg()  # type: ignore[call-arg]
    assert len({CheckinAnswer(h).arg() for h in ("better", "same", "worse")}) == 3  # type: ignore[arg-type]


@given(
    st.integers(min_value=1, max_value=20).flatmap(
        lambda n: st.tuples(st.just(n), st.none() | st.integers(0, n - 1))
    )
)
def test_pain_which_round_trips(case: tuple[int, int | None]) -> None:
    count, index = case
    exercises = [f"ex{i}" for i in range(count)]
    assert PainWhich.parse(PainWhich(index).arg(), exercises) == PainWhich(index)


@given(masks)
def test_days_round_trip(mask: int) -> None:
    assert Days.parse(Days(mask).arg()) == Days(mask)


@given(drafts)
def test_days_and_time_round_trip(draft: DaysAndTime) -> None:
    assert DaysAndTime.parse(draft.arg()) == draft


@given(drafts, picks)
def test_zone_choice_round_trips(draft: DaysAndTime, pick: int | str | ZoneName) -> None:
    choice = ZoneChoice(draft, pick)  # type: ignore[arg-type]
    assert ZoneChoice.parse(choice.arg()) == choice


@given(st.sampled_from([None, *settings.NUDGE_CHOICES]))
def test_nudge_choice_round_trips(minutes: int | None) -> None:
    assert NudgeChoice.parse(NudgeChoice(minutes).arg()) == NudgeChoice(minutes)


@given(days)
def test_for_day_round_trips(day: date) -> None:
    assert ForDay.parse(ForDay(day).arg()) == ForDay(day)


@given(days, st.sampled_from(reminders.SNOOZE_CHOICES))
def test_snooze_for_round_trips(day: date, minutes: int) -> None:
    assert SnoozeFor.parse(SnoozeFor(day, minutes).arg()) == SnoozeFor(day, minutes)


@given(st.sampled_from(reminders.PAUSE_CHOICES))
def test_pause_for_round_trips(days_: int) -> None:
    assert PauseFor.parse(PauseFor(days_).arg()) == PauseFor(days_)


@given(zone_names)
def test_zone_name_reads_an_installed_zone(name: ZoneName) -> None:
    assert ZoneName.parse(name.zone) == name


# --- garbage and forgeries ------------------------------------------------------------------

# Each parse, as a function of the argument alone, and how its value is written back.
PARSERS: dict[str, Callable[[str], str]] = {
    "YesNo": lambda a: YesNo.parse(a).arg(),
    "CheckinAnswer": lambda a: CheckinAnswer.parse(a).arg(),
    "ResumeWithout": lambda a: ResumeWithout.parse(a).arg(),
    "SoreAnswer": lambda a: SoreAnswer.parse(a).arg(),
    "PainWhich": lambda a: PainWhich.parse(a, ["a", "b", "c"]).arg(),
    "PainRating": lambda a: PainRating.parse(a).arg(),
    "Days": lambda a: Days.parse(a).arg(),
    "DaysAndTime": lambda a: DaysAndTime.parse(a).arg(),
    "ZoneChoice": lambda a: ZoneChoice.parse(a).arg(),
    "ZoneName": lambda a: ZoneName.parse(a).zone,
    "NudgeChoice": lambda a: NudgeChoice.parse(a).arg(),
    "ForDay": lambda a: ForDay.parse(a).arg(),
    "SnoozeFor": lambda a: SnoozeFor.parse(a).arg(),
    "PauseFor": lambda a: PauseFor.parse(a).arg(),
}


def _parses_back_or_rejects(name: str, arg: str) -> None:
    try:
        written = PARSERS[name](arg)
    except InvalidCallback:
        return
    assert written == arg, f"{name}.parse({arg!r}) reads a value written as {written!r}"


@pytest.mark.parametrize("name", list(PARSERS))
@given(arg=garbage)
@example(arg="060")
@example(arg="20260114-015")
@example(arg="127-0730-07")
@example(arg="127-0730-k")
@example(arg="0127-0730")
@example(arg="1")
@example(arg="7.10")
@example(arg="7.s")
def test_parse_rejects_or_reads_exactly_what_arg_writes(name: str, arg: str) -> None:
    _parses_back_or_rejects(name, arg)


@pytest.mark.parametrize(
    ("name", "arg"),
    [
        ("NudgeChoice", "060"),
        ("SnoozeFor", "20260114-015"),
        ("ZoneChoice", "127-0730-07"),
    ],
)
def test_numbers_with_a_leading_zero_are_refused(name: str, arg: str) -> None:
    """No button writes "060" for 60: a payload not in the written form is refused."""
    with pytest.raises(InvalidCallback):
        PARSERS[name](arg)


@pytest.mark.parametrize(
    ("name", "arg"),
    [
        ("YesNo", ""),
        ("YesNo", "Y"),
        ("YesNo", "yes"),
        ("CheckinAnswer", "better"),
        ("CheckinAnswer", ""),
        ("ResumeWithout", "y"),
        ("SoreAnswer", "n"),
        ("PainWhich", "3"),  # three exercises: 0..2
        ("PainWhich", "01"),
        ("PainWhich", "-1"),
        ("PainWhich", "x"),
        ("PainRating", "7"),  # no rating
        ("PainRating", "7.11"),
        ("PainRating", "7.07"),
        ("PainRating", "7.-1"),
        ("PainRating", "0.5"),  # no report 0
        ("PainRating", "07.5"),
        ("PainRating", ".5"),
        ("PainRating", "7.S"),
        ("PainRating", "7.skip"),
        ("PainRating", "2147483648.5"),  # beyond any id
        ("Days", "128"),
        ("Days", "-1"),
        ("Days", "007"),
        ("Days", ""),
        ("DaysAndTime", "0-0730"),  # no day
        ("DaysAndTime", "127-2400"),
        ("DaysAndTime", "127-0760"),
        ("DaysAndTime", "127-730"),
        ("DaysAndTime", "127"),
        ("ZoneChoice", "127-0730"),
        ("ZoneChoice", "127-0730-"),
        ("ZoneChoice", "127-0730-100"),
        ("ZoneChoice", "127-0730-K"),
        ("ZoneChoice", "127-0730-zMars/Olympus"),
        ("ZoneChoice", "127-0730-z"),
        ("ZoneChoice", "0-0730-k"),
        ("ZoneName", "Mars/Olympus"),
        ("ZoneName", ""),
        ("ZoneName", "../../etc/passwd"),
        ("NudgeChoice", "30"),
        ("NudgeChoice", "-60"),
        ("ForDay", "20260230"),
        ("ForDay", "2026114"),
        ("ForDay", "2026-01-14"),
        ("SnoozeFor", "20260114-45"),
        ("SnoozeFor", "20260114"),
        ("SnoozeFor", "20261314-15"),
        ("PauseFor", "2"),
        ("PauseFor", "07"),
        ("PauseFor", ""),
    ],
)
def test_forged_arguments_are_invalid_callbacks(name: str, arg: str) -> None:
    with pytest.raises(InvalidCallback):
        PARSERS[name](arg)


@given(
    report_id=st.integers(min_value=1, max_value=MAX_ID),
    value=st.one_of(st.none(), st.integers(min_value=0, max_value=10)),
)
def test_pain_rating_round_trips(report_id: int, value: int | None) -> None:
    rating = PainRating(report_id, value)
    assert PainRating.parse(rating.arg()) == rating


def test_pain_which_knows_only_the_sessions_exercises() -> None:
    assert PainWhich.parse("1", ["a", "b"]) == PainWhich(1)
    with pytest.raises(InvalidCallback):
        PainWhich.parse("1", ["a"])
    with pytest.raises(InvalidCallback):
        PainWhich.parse("0", [])
    assert PainWhich.parse("", []) == PainWhich(None)  # "not sure" needs no exercise


# --- every button of every screen fits ------------------------------------------------------


def _session_states(content: Content) -> Iterator[SessionState]:
    """Every state a session of the bundled program can reach before it ends."""
    catalog = catalog_for(content)
    start = SessionState(tuple(content.default_program.exercises))
    seen, todo = {start}, [start]
    while todo:
        state = todo.pop()
        yield state
        actions: list[Action | str] = list(available_actions(catalog, state))
        if state.phase is Phase.TIMER:
            actions.append(TIMER_ELAPSED)
        for action in actions:
            after = advance(catalog, state, action, NOW).state
            if after.phase is not Phase.DONE and after not in seen:
                seen.add(after)
                todo.append(after)


def _long_places() -> list[Place]:
    """Candidates with the longest names and zones a button may carry."""
    return [
        Place(
            "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
            "Wales",
            "GB",
            "United Kingdom of Great Britain and Northern Ireland",
            "Europe/London",
        ),
        Place(
            "Comodoro Rivadavia", "Chubut", "AR", "Argentina", "America/Argentina/ComodRivadavia"
        ),
        Place("Port-au-Prince", "Ouest", "HT", "Haiti", "America/Port-au-Prince"),
    ]


def all_screens(content: Content) -> Iterator[Screen]:
    """Every screen of bot/core/ui, with the largest ids and data its buttons may carry."""
    lang, big = "en", MAX_ID
    catalog = catalog_for(content)
    view = session_ui.SessionView(content, lang, catalog, big, big, content.default_program.title)
    for state in _session_states(content):
        yield session_ui.session_screen(view, state)
    exercises = tuple(content.exercises)
    yield session_ui.open_choice_screen(content, lang, big, big)
    yield session_ui.pain_which_screen(content, lang, big, exercises, big)

    yield safety.warning_screen(content, lang, big)
    yield safety.warning_screen(content, lang, 0)
    yield safety.typed_pain_screen(content, lang, big, big)
    yield safety.hold_screen(content, lang)
    yield safety.checkin_screen(content, lang)
    for how in ("better", "same", "worse"):
        yield safety.checkin_reply(content, lang, how)
    yield safety.cleared_question(content, lang, "Arm and leg raises", "Bird dog")
    yield safety.sore_followup_screen(content, lang)
    yield safety.alerts_question(content, lang, "P-ZZZZZZ")
    yield safety.pain_rating_screen(content, lang, big)

    yield onboarding.consent_screen(content, lang)
    yield language.language_screen(content, lang)
    yield onboarding.declined_screen(content, lang)
    yield onboarding.start_hint_screen(content, lang)
    yield onboarding.consent_needed_screen(content, lang)
    yield onboarding.start_question(content, lang, "lead")
    yield onboarding.welcome_back_screen(content, lang, "Program")
    yield onboarding.reminders_offer_screen(content, lang)

    for mask in range(128):
        yield settings.days_screen(content, lang, mask)
    for mask in range(1, 128):  # the time is asked once a day is chosen
        yield settings.time_screen(content, lang, mask)
    draft = DaysAndTime(127, "23:59")
    yield settings.zone_screen(
        content, lang, draft, "America/Argentina/ComodRivadavia", suggested_zones("en"), NOW
    )
    yield settings.zone_candidates_screen(content, lang, draft, _long_places(), NOW)
    yield settings.saved_screen(content, lang, 127, "23:59", "UTC", "Wed 14 Jan, 23:59")
    yield settings.nudge_question_screen(content, lang)

    day = date(2026, 12, 31)
    yield reminders.reminder_screen(content, lang, day, 7, late=True)
    yield reminders.snooze_screen(content, lang, day)
    yield reminders.pause_question(content, lang)
    yield reminders.stop_question(content, lang)


def _buttons(screen: Screen) -> list[Button]:
    return [button for row in screen.buttons for button in row]


def test_every_button_of_every_screen_encodes_within_64_bytes(content: Content) -> None:
    count = 0
    for screen in all_screens(content):
        for button in _buttons(screen):
            data = encode(button.callback)
            assert len(data.encode()) <= MAX_BYTES
            assert decode(data) == button.callback
            assert button.label.strip(), f"a button without a label on {screen.text[:40]!r}"
            count += 1
    assert count > 1000  # the walk really went through the screens


def test_every_argument_on_a_screen_reads_back_as_its_class(content: Content) -> None:
    """What a screen writes, the tap's reader reads: no button the bot shows is rejected."""
    readers: dict[Action, Callable[[str], object]] = {
        Action.WARNING: YesNo.parse,
        Action.TYPED_PAIN: YesNo.parse,
        Action.ALERTS: YesNo.parse,
        Action.CHECKIN: CheckinAnswer.parse,
        Action.RESUME_WITHOUT: ResumeWithout.parse,
        Action.SORE_FOLLOWUP: SoreAnswer.parse,
        Action.PAIN_WHICH: lambda a: PainWhich.parse(a, tuple(content.exercises)),
        Action.PAIN_RATING: PainRating.parse,
        Action.DAYS_TOGGLE: Days.parse,
        Action.DAYS_DONE: Days.parse,
        Action.OTHER_TIME: Days.parse,
        Action.SET_TIME: DaysAndTime.parse,
        Action.OTHER_ZONE: DaysAndTime.parse,
        Action.SET_ZONE: ZoneChoice.parse,
        Action.NUDGE_SETTING: NudgeChoice.parse,
        Action.REMINDER_START: ForDay.parse,
        Action.SNOOZE: ForDay.parse,
        Action.SKIP_TODAY: ForDay.parse,
        Action.SNOOZE_FOR: SnoozeFor.parse,
        Action.PAUSE_FOR: PauseFor.parse,
        Action.AGREE: lambda arg: onboarding.AgreeIn.parse(arg, content.languages),
        Action.LANGUAGE: lambda arg: LanguageChoice.parse(arg, content.languages),
    }
    for screen in all_screens(content):
        for button in _buttons(screen):
            callback = decode(encode(button.callback))
            reader = readers.get(callback.action)
            if reader is None:
                assert callback.arg == "", f"{callback.action} carries {callback.arg!r}"
            else:
                reader(callback.arg)  # raises InvalidCallback if the screen wrote nonsense


def test_a_button_carries_only_its_session_and_revision(content: Content) -> None:
    view = session_ui.SessionView(content, "en", catalog_for(content), 41, 7, "P")
    screen = session_ui.session_screen(view, SessionState(("hook-lying-march",)))
    assert {(b.callback.session_id, b.callback.rev) for b in _buttons(screen)} == {(41, 7)}
    assert [b.callback.action for b in _buttons(screen)] == [
        Action.BEGIN,
        Action.NOT_NOW,
        Action.HURTS,
    ]
