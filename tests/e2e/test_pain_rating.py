"""The optional 0-10 pain rating (issue 15): the real bot, the local Telegram, both databases.

With ``pain_rating: true`` in content/safety.yaml, a pain report is followed - after the
advice and the warning signs, never before them - by "how strong, 0 to 10?". The answer
goes on that report only; nothing about the hold or the advice depends on it. With the
switch off (the bundled content) nothing changes: no question, the goldens as they were.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import default_content_dir
from bot.core.callbacks import Action, Callback, encode
from bot.core.ui.safety import PainRating
from bot.reports import html_report
from bot.sandbox.harness import Sandbox
from bot.sandbox.models import ChatMessage
from bot.sandbox.world import SimUser
from bot.services import adherence, safety
from bot.services.progress import chart_labels
from tests.e2e.journeys import (
    button_data,
    label,
    last_text,
    onboard,
    open_session,
    patient_of,
    reports_of,
    say,
    tap,
    tap_newest,
    tap_next_until_question,
)


@pytest.fixture
def rating_content(tmp_path: Path) -> Path:
    """The bundled content with the clinic's switch turned on."""
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    safety = target / "safety.yaml"
    text = safety.read_text(encoding="utf-8")
    assert text.count("pain_rating: false\n") == 1
    safety.write_text(text.replace("pain_rating: false\n", "pain_rating: true\n"), "utf-8")
    return target


@pytest.fixture
async def rating(database_url: str, rating_content: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url=database_url, content_dir=rating_content) as running:
        yield running


def phone(sandbox: Sandbox) -> str:
    assert sandbox.services is not None
    return sandbox.services.content.clinic.phone_display


def questions(sandbox: Sandbox, user: SimUser, lang: str = "en") -> list[ChatMessage]:
    wanted = label(sandbox, "pain_rating_question", lang)
    return [m for m in user.bot_messages if m.text == wanted]


def shown_in_order(sandbox: Sandbox, user: SimUser) -> list[str]:
    """Every text the patient was shown (new messages and edits), in the order shown."""
    return [
        e.text or ""
        for e in sandbox.world.events
        if e.user_id == user.id and e.kind in ("bot_message", "bot_edit")
    ]


async def rate(sandbox: Sandbox, user: SimUser, question: ChatMessage, value: str) -> None:
    user.tap(value, message_id=question.message_id)
    await sandbox.settle()


async def tap_data(sandbox: Sandbox, user: SimUser, message_id: int, data: str) -> None:
    user.tap_data(message_id, data)
    await sandbox.settle()


def rating_data(report_id: int, value: int | None) -> str:
    return encode(Callback(Action.PAIN_RATING, arg=PainRating(report_id, value).arg()))


async def it_hurt_at_the_end(sandbox: Sandbox, user: SimUser) -> None:
    await open_session(sandbox, user)
    await tap_next_until_question(sandbox, user)
    await tap(sandbox, user, "btn_feel_pain")


async def test_switch_off_asks_nothing_more(sandbox: Sandbox) -> None:
    """The bundled content: "It hurt" is the advice, the warning signs and "which one?",
    as before the rating existed."""
    user = sandbox.user()
    await it_hurt_at_the_end(sandbox, user)
    advice, warning, which = user.bot_messages[-3:]
    assert phone(sandbox) in (advice.text or "")
    assert warning.labels == [[label(sandbox, "btn_warning_yes"), label(sandbox, "btn_warning_no")]]
    assert which.text == label(sandbox, "pain_which")
    assert questions(sandbox, user) == []
    assert not any(
        b.callback_data and b.callback_data.startswith(f"1:{Action.PAIN_RATING.value}:")
        for m in user.bot_messages
        for row in m.buttons
        for b in row
    )
    [report] = await reports_of(sandbox, user)
    assert report.rating is None


async def test_it_hurt_advises_first_then_asks_and_stores_the_rating(rating: Sandbox) -> None:
    user = rating.user()
    await it_hurt_at_the_end(rating, user)
    # the advice, whole, with the clinic's phone and the hold, then the warning signs and
    # "which one?", and only then the rating
    advice, warning, which, question = user.bot_messages[-4:]
    assert advice.text is not None and phone(rating) in advice.text
    assert label(rating, "hold_notice") in advice.text
    assert warning.labels == [[label(rating, "btn_warning_yes"), label(rating, "btn_warning_no")]]
    assert which.text == label(rating, "pain_which")
    assert question.text == label(rating, "pain_rating_question")
    assert question.labels == [
        ["0", "1", "2", "3", "4", "5"],
        ["6", "7", "8", "9", "10"],
        [label(rating, "btn_pain_rating_skip")],
    ]
    shown = shown_in_order(rating, user)
    first_advice = next(i for i, t in enumerate(shown) if phone(rating) in t)
    assert first_advice < shown.index(label(rating, "pain_rating_question"))
    # the hold and the report stand before any rating
    [report] = await reports_of(rating, user)
    assert report.kind == "pain" and report.rating is None
    assert (await patient_of(rating, user)).hold_since is not None

    await rate(rating, user, question, "7")
    assert last_text(user) == label(rating, "pain_rating_thanks", rating=7)
    [report] = await reports_of(rating, user)
    assert report.rating == 7
    assert (await patient_of(rating, user)).hold_since is not None  # a number never clears

    # a double tap (or a redelivered one) on the same question changes nothing
    await tap_data(rating, user, question.message_id, rating_data(report.id, 8))
    assert user.toasts[-1] == label(rating, "toast_pain_rating_done")
    await tap_data(rating, user, question.message_id, rating_data(report.id, None))
    assert user.toasts[-1] == label(rating, "toast_pain_rating_done")
    [report] = await reports_of(rating, user)
    assert report.rating == 7

    # "which one?" still narrows the same report
    await tap(rating, user, "btn_not_sure")
    [report] = await reports_of(rating, user)
    assert report.rating == 7 and report.detail == "which:answered"

    # the patient's own export has it
    await say(rating, user, "/mydata")
    document = user.bot_messages[-1]
    assert document.media is not None
    data = rating.emulator.world.files.content(document.media)
    assert data is not None
    assert [(a["what"], a["pain_rating"]) for a in json.loads(data)["answers"]] == [("pain", 7)]

    # the clinic's figures show it
    assert rating.services is not None
    today = rating.clock.now().date()
    [row] = await adherence.clinic_rows(rating.services, today - timedelta(days=6), today)
    assert row.rating_values == (7,)
    page = html_report(
        [row],
        today - timedelta(days=6),
        today,
        clinic="Clinic",
        labels=chart_labels(rating.services, "en", "chart_patients_title"),
        made_at=rating.clock.now(),
    )
    assert 'class="trend"' in page and ">7<" in page


async def test_ignored_question_leaves_the_patient_held_and_advised(rating: Sandbox) -> None:
    """No answer: the hold, the report and the advice stand; the check-in comes as usual
    and a later answer still goes on the report it was asked for, after a second report
    and a restart too."""
    user = rating.user()
    await open_session(rating, user)
    await tap(rating, user, "btn_hurts")  # during the session
    [first_question] = questions(rating, user)
    [first] = await reports_of(rating, user)
    await say(rating, user, "/exercise")
    assert any(phone(rating) in (m.text or "") for m in user.bot_messages[-2:])
    assert (await patient_of(rating, user)).hold_since is not None

    await rating.advance(timedelta(days=1, hours=12))  # the check-in comes, no rating in it
    assert any(m.text == label(rating, "checkin_question") for m in user.bot_messages)
    assert len(questions(rating, user)) == 1

    # a second pain report, typed while on hold: its own question, for its own report
    await say(rating, user, "it hurts again")
    await tap(rating, user, "btn_typed_pain_yes")
    old, new = questions(rating, user)
    assert old.message_id == first_question.message_id
    first_again, second = [r for r in await reports_of(rating, user) if r.kind == "pain"]
    assert first_again.id == first.id and second.id != first.id

    await rating.restart_bot()  # nothing of the question is kept in memory
    await rate(rating, user, new, "4")
    await rate(rating, user, old, "9")  # the older question rates the older report
    by_id = {r.id: r.rating for r in await reports_of(rating, user) if r.kind == "pain"}
    assert by_id == {first.id: 9, second.id: 4}
    assert (await patient_of(rating, user)).hold_since is not None


async def test_skip_stores_nothing(rating: Sandbox) -> None:
    user = rating.user()
    await it_hurt_at_the_end(rating, user)
    [question] = questions(rating, user)
    await rate(rating, user, question, label(rating, "btn_pain_rating_skip"))
    assert last_text(user) == label(rating, "pain_rating_skipped")
    [report] = await reports_of(rating, user)
    assert report.rating is None
    assert (await patient_of(rating, user)).hold_since is not None


async def test_forged_and_forgotten_ratings_change_nothing(rating: Sandbox) -> None:
    alice, bob = rating.user("Alice"), rating.user("Bob")
    await it_hurt_at_the_end(rating, alice)
    await it_hurt_at_the_end(rating, bob)
    [alices] = await reports_of(rating, alice)
    [bobs_question] = questions(rating, bob)
    # Bob forges a rating for Alice's report
    await tap_data(rating, bob, bobs_question.message_id, rating_data(alices.id, 10))
    assert bob.toasts[-1] == label(rating, "toast_invalid")
    # a rating of a report that is not pain, and nonsense
    await tap_newest(rating, bob, "btn_warning_no")
    warning = next(r for r in await reports_of(rating, bob) if r.kind == "warning_sign")
    await tap_data(rating, bob, bobs_question.message_id, rating_data(warning.id, 3))
    assert bob.toasts[-1] == label(rating, "toast_invalid")
    await tap_data(rating, bob, bobs_question.message_id, "1:pr:0:0:5.11")
    assert bob.toasts[-1] == label(rating, "toast_invalid")
    # the same tap from a group chat is not a patient's answer
    group = rating.world.create_group("Family", [alice])
    alice.tap_data(bobs_question.message_id, rating_data(alices.id, 2), chat=group)
    await rating.settle()
    assert alice.toasts[-1] == label(rating, "private_only")
    [alices] = await reports_of(rating, alice)
    assert alices.rating is None

    # after /forget the old question finds nothing, and stores nothing
    [alices_question] = questions(rating, alice)
    await say(rating, alice, "/forget")
    await tap(rating, alice, "btn_forget_yes")
    await rate(rating, alice, alices_question, "6")
    assert alice.toasts[-1] == label(rating, "toast_stale")
    assert rating.services is not None
    async with rating.services.db.unit_of_work() as uow:
        assert await uow.patients.by_telegram_id(alice.id) is None
        assert await uow.reports.get(alices.id) is None
    assert [r.rating for r in await reports_of(rating, bob) if r.kind == "pain"] == [None]


async def test_a_spanish_speaker_is_asked_in_spanish_after_the_advice(
    rating_content: Path, sqlite_url: str
) -> None:
    async with Sandbox(database_url=sqlite_url, content_dir=rating_content) as sandbox:
        user = sandbox.user("Lucía", language_code="es")
        await onboard(sandbox, user)
        await tap(sandbox, user, "btn_start_now")
        await tap(sandbox, user, "btn_begin")
        await tap(sandbox, user, "btn_hurts")  # "Me duele, parar" on the first step
        [question] = questions(sandbox, user, "es")
        assert question.labels[-1] == [label(sandbox, "btn_pain_rating_skip", "es")]
        shown = shown_in_order(sandbox, user)
        advice = next(i for i, t in enumerate(shown) if label(sandbox, "hold_notice", "es") in t)
        assert advice < shown.index(label(sandbox, "pain_rating_question", "es"))
        await rate(sandbox, user, question, "5")
        assert last_text(user) == label(sandbox, "pain_rating_thanks", "es", rating=5)
        assert [r.rating for r in await reports_of(sandbox, user)] == [5]


async def test_a_rating_never_delays_the_advice_fallback(rating: Sandbox) -> None:
    """The durable advice carries the advice (and the warning question), never the rating:
    a patient whose reply failed gets the advice again without waiting for a number."""
    assert rating.services is not None
    user = rating.user()
    await it_hurt_at_the_end(rating, user)
    [report] = await reports_of(rating, user)
    patient = await patient_of(rating, user)
    shown = await safety.due_advice(
        rating.services, {"what": "pain", "session_id": report.session_id}, patient.id
    )
    assert shown is not None
    texts = [screen.text for screen in shown[1]]
    assert phone(rating) in texts[0]
    assert label(rating, "pain_rating_question") not in texts


async def test_the_report_shows_the_ratings_as_a_trend(
    rating: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`exercise-bot report`: two rated pain reports on two days, 7 then 3, in the CSV
    columns and as a line in the HTML; a patient without ratings has empty cells."""
    rating.clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 10:00 in Boston
    user, other = rating.user("Kim"), rating.user("Lee")
    await it_hurt_at_the_end(rating, user)
    await rate(rating, user, questions(rating, user)[-1], "7")
    await onboard(rating, other)
    await rating.advance(timedelta(days=2))
    await say(rating, user, "my back hurts")
    await tap(rating, user, "btn_typed_pain_yes")
    await rate(rating, user, questions(rating, user)[-1], "3")
    code, other_code = (await patient_of(rating, user)).code, (await patient_of(rating, other)).code

    def report(fmt: str) -> str:
        out = tmp_path / f"report.{fmt}"
        monkeypatch.setenv("DATABASE_URL", rating.settings.database_url)
        argv = ["report", "--from", "2026-03-02", "--to", "2026-03-08", "--format", fmt]
        assert main([*argv, "--out", str(out)]) == 0
        return out.read_text(encoding="utf-8")

    text = await asyncio.to_thread(report, "csv")
    rows = {r["patient_code"]: r for r in csv.DictReader(io.StringIO(text))}
    figures = (
        "pain_ratings",
        "pain_rating_mean",
        "pain_rating_max",
        "pain_rating_first",
        "pain_rating_last",
    )
    assert [rows[code][c] for c in figures] == ["2", "5.0", "7", "7", "3"]
    assert rows[code]["pain_reports"] == "2"
    assert [rows[other_code][c] for c in figures] == ["0", "", "", "", ""]
    html = await asyncio.to_thread(report, "html")
    section = html.split('id="ratings"', 1)[1].split("</table>", 1)[0]
    assert code in section and other_code not in section
    assert "<td>7, 3</td>" in section
    [points] = re.findall(r'<polyline points="([^"]+)"', section)
    (x1, y1), (x2, y2) = (tuple(map(float, p.split(","))) for p in points.split())
    assert x1 < x2 and y1 < y2  # 7 drawn higher than 3: the pain went down


async def test_failed_sends_after_the_advice_never_hold_it_back(rating: Sandbox) -> None:
    """Telegram fails every new message after the advice (the warning signs and the
    rating): the advice shown stands, the hold and the report are stored, and the
    durable advice comes again without the rating."""
    user = rating.user()
    await onboard(rating, user)
    await say(rating, user, "it hurts")
    rating.emulator.faults.fail_next(30, status=502, method="sendMessage")
    await tap(rating, user, "btn_typed_pain_yes")
    assert phone(rating) in last_text(user)  # the question became the advice
    assert questions(rating, user) == []
    [report] = await reports_of(rating, user)
    assert report.kind == "pain" and (await patient_of(rating, user)).hold_since is not None
    rating.emulator.faults.clear()
    before = len(user.bot_messages)
    await rating.advance(timedelta(seconds=30))
    again = [m.text or "" for m in user.bot_messages[before:]]
    assert again and phone(rating) in again[0]
    assert label(rating, "pain_rating_question") not in again


async def test_a_typed_number_is_not_a_rating(rating: Sandbox) -> None:
    """Only the buttons answer the question: "7" typed is met with "please use the
    buttons" and stores nothing (a number typed is too easily meant for something else)."""
    user = rating.user()
    await it_hurt_at_the_end(rating, user)
    await say(rating, user, "7/10")
    assert last_text(user) == label(rating, "expect_button")
    [report] = await reports_of(rating, user)
    assert report.rating is None
    [question] = questions(rating, user)
    assert question.buttons  # still there to tap


async def test_it_hurts_on_an_old_screen_is_rated_too(rating: Sandbox) -> None:
    """ "It hurts" on the screen of a session that ended another way: the advice as a new
    message, the warning signs, then the rating, for that late report."""
    user = rating.user()
    await open_session(rating, user)
    screen = user.last_bot_message(with_buttons=True)
    assert screen is not None
    hurts = button_data(rating, screen, "btn_hurts")
    await say(rating, user, "/cancel")
    await tap_data(rating, user, screen.message_id, hurts)
    advice, _warning, question = user.bot_messages[-3:]
    assert phone(rating) in (advice.text or "")
    assert question.text == label(rating, "pain_rating_question")
    await rate(rating, user, question, "10")
    [report] = await reports_of(rating, user)
    assert (report.source, report.rating) == ("late_tap", 10)
