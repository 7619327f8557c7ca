"""Safety properties under random use: a hypothesis rule-based state machine.

Two patients and (in some runs) the clinic's staff chat use the real bot on the local
Telegram emulator, with the fake clock jumping forward between their actions. The
machine onboards, subscribes to daily reminders, runs sessions (Next, Skip, the
alternative, timers), reports pain ("It hurts - stop" or "It hurt" after a session),
answers the warning-sign and check-in questions, confirms clearance (the whole program,
all but the exercise that hurt, or the switch to its alternative), and lets the staff look
a patient up and clear them. After every step it checks, from the emulator's record and
the database:

1. no daily reminder (or nudge) reaches a patient between their pain report and their
   clearance (by the patient or the clinic), and the stored hold matches that model;
2. every stored pain report is answered, at the same clock time and in that patient's
   chat, with the full pain advice and the clinic's phone number;
3. no session created after a clearance contains an exercise held for that patient;
4. nothing unasked-for reaches the staff chat unless the staff chat is configured and a
   patient opted in, each such alert names only opted-in patients, and no alert is even
   queued without both; the weekly digest (every patient's figures, by code) is the one
   message the staff chat gets unasked without an opt-in, and only when it is configured;
5. with the optional pain rating turned on (some runs), every rating question comes after
   the full advice in that chat, a rating is stored only on a pain report and only 0-10,
   and rating (or not) never changes the hold (the model of 1. knows nothing of ratings).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import string
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from bot.content import default_content_dir
from bot.core.screens import pain_advice
from bot.sandbox.harness import Sandbox
from bot.sandbox.models import ChatMessage
from bot.sandbox.world import SimUser
from bot.store.models import ExerciseSession, Patient, Report, Timer

T = TypeVar("T")
STAFF_ID = 990_001
NAMES = ("Ana", "Ben")
picks = st.integers(0, 7)
NO_MESSAGE = ChatMessage(0, True, None, datetime.min)

SESSION_BUTTONS = (
    "btn_begin",
    "btn_next",
    "btn_done",
    "btn_back",
    "btn_skip",
    "btn_alternative",
    "btn_start_timer",
    "btn_next_set",
    "btn_stop_timer",
    "btn_continue",
    "btn_restart",
    "btn_not_now",
)
PREFIXED = frozenset({"btn_start_timer", "btn_next_set", "btn_alternative"})  # labels with values
ALERTS = ("btn_alerts_yes", "btn_alerts_no")
FEELINGS = ("btn_feel_fine", "btn_feel_sore", "btn_feel_pain")
ANSWERS = (
    "btn_warning_yes",
    "btn_warning_no",
    "btn_checkin_better",
    "btn_checkin_same",
    "btn_checkin_worse",
    "btn_sore_gone",
    "btn_sore_still",
)
REMINDER_BUTTONS = (
    "btn_rem_start",
    "btn_snooze",
    "btn_skip_today",
    "btn_snooze_minutes",
    "btn_snooze_hour",
    "btn_pause_day",
)


@dataclass
class Model:
    """What one patient did, as the test saw it."""

    user: SimUser
    agreed: bool = False
    opt_in: bool | None = None
    # each answer to the alerts question: (index into world.events before it, yes?)
    opt_log: list[tuple[int, bool]] = field(default_factory=list)

    def answer(self, event_index: int, yes: bool) -> None:
        self.opt_in = yes
        self.opt_log.append((event_index, yes))

    def opted_in_at(self, event_index: int) -> bool:
        """Whether the patient's last answer before this event was yes."""
        before = [yes for at, yes in self.opt_log if at < event_index]
        return bool(before) and before[-1]

    hold_start: int | None = None  # index into world.events where the current hold began
    holds: list[tuple[int, int]] = field(default_factory=list)  # closed holds, [start, end)
    # (highest session id at the clearance, exercises held from then on)
    clearances: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def on_hold(self) -> bool:
        return self.hold_start is not None


class SafetyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory()
        self.sandbox: Sandbox | None = None
        self.staff_configured = False
        self.models: list[Model] = []
        self.staff: SimUser | None = None

    # --- plumbing -------------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    @property
    def sb(self) -> Sandbox:
        assert self.sandbox is not None
        return self.sandbox

    def text(self, key: str, **values: object) -> str:
        assert self.sb.services is not None
        return self.sb.services.content.text("en", key, **values)

    def prefix(self, key: str) -> str:
        """The fixed start of a text with {placeholders} in it."""
        assert self.sb.services is not None
        raw = self.sb.services.content.texts["en"][key]
        names = [name for _, name, _, _ in string.Formatter().parse(raw) if name]
        return self.text(key, **dict.fromkeys(names, "\x00")).split("\x00")[0]

    @staticmethod
    def keyboard(user: SimUser) -> ChatMessage | None:
        return user.last_bot_message(with_buttons=True)

    def labels(self, user: SimUser) -> list[str]:
        message = self.keyboard(user)
        return [b.text for row in message.buttons for b in row] if message else []

    async def press(self, user: SimUser, label: str) -> bool:
        """Tap ``label`` on the latest keyboard if it is there; False (nothing done) if not."""
        if label not in self.labels(user):
            return False
        user.tap(label)
        await self.sb.settle()
        return True

    async def press_key(self, user: SimUser, key: str) -> bool:
        return await self.press(user, self.text(key))

    async def press_starting(self, user: SimUser, start: str) -> bool:
        for label in self.labels(user):
            if label.startswith(start):
                return await self.press(user, label)
        return False

    async def say(self, user: SimUser, text: str) -> None:
        user.send_text(text)
        await self.sb.settle()

    async def patient_row(self, user: SimUser) -> Patient | None:
        assert self.sb.services is not None
        async with self.sb.services.db.unit_of_work() as uow:
            return await uow.patients.by_telegram_id(user.id)

    async def max_session_id(self, patient_id: int) -> int:
        assert self.sb.services is not None
        async with self.sb.services.db.unit_of_work() as uow:
            ids = await uow.session.scalars(
                select(ExerciseSession.id).where(ExerciseSession.patient_id == patient_id)
            )
            return max(ids, default=0)

    def hold_begins(self, model: Model, event_index: int) -> None:
        if model.hold_start is None:
            model.hold_start = event_index

    async def hold_ends(self, model: Model) -> None:
        assert model.hold_start is not None
        model.holds.append((model.hold_start, len(self.sb.world.events)))
        model.hold_start = None
        patient = await self.patient_row(model.user)
        assert patient is not None
        model.clearances.append(
            (await self.max_session_id(patient.id), list(patient.held_exercises or []))
        )

    # --- set-up and tear-down -------------------------------------------------------------

    @initialize(
        staff_configured=st.booleans(),
        answers=st.lists(
            st.sampled_from(["skip", "yes", "no", "unanswered"]), min_size=2, max_size=2
        ),
        pain_rating=st.booleans(),
    )
    def start(self, staff_configured: bool, answers: list[str], pain_rating: bool) -> None:
        self.staff_configured = staff_configured
        url = f"sqlite+aiosqlite:///{Path(self.tmp.name) / 'bot.db'}"
        extra: dict[str, object] = {"staff_chat_id": STAFF_ID} if staff_configured else {}
        if pain_rating:  # the clinic's switch on: a 0-10 question after each pain report
            content = Path(self.tmp.name) / "content"
            shutil.copytree(default_content_dir(), content)
            safety = content / "safety.yaml"
            text = safety.read_text(encoding="utf-8")
            safety.write_text(text.replace("pain_rating: false", "pain_rating: true"), "utf-8")
            extra["content_dir"] = content
        self.sandbox = Sandbox(database_url=url, **extra)
        self.run(self.sandbox.start())
        # The staff member's account exists either way: without a configured staff chat it
        # is just someone who knows the command, and must get nothing from the clinic side.
        self.staff = self.sb.world.create_user(user_id=STAFF_ID, first_name="Staff")
        self.models = [Model(self.sb.user(name)) for name in NAMES]
        self.onboard_some(answers)

    def onboard_some(self, answers: list[str]) -> None:
        """Most runs start with patients who agreed, so the steps go to the exercises."""
        for model, answer in zip(self.models, answers, strict=True):
            if answer == "skip":
                continue
            self.run(self.say(model.user, "/start"))
            model.agreed = self.run(self.press_key(model.user, "btn_agree"))
            before = len(self.sb.world.events)
            if answer != "unanswered" and self.run(
                self.press_key(model.user, f"btn_alerts_{answer}")
            ):
                model.answer(before, answer == "yes")

    def teardown(self) -> None:
        try:
            if self.sandbox is not None:
                self.run(self.sandbox.stop())
        finally:
            try:
                pending = asyncio.all_tasks(self.loop)
                for task in pending:
                    task.cancel()
                if pending:
                    self.run(asyncio.gather(*pending, return_exceptions=True))
                self.run(self.loop.shutdown_asyncgens())
                self.run(self.loop.shutdown_default_executor())
            finally:
                self.loop.close()
                self.tmp.cleanup()

    def started(self) -> bool:
        return self.sandbox is not None

    # --- who can do what now -------------------------------------------------------------

    def offered(self, keys: tuple[str, ...]) -> list[tuple[Model, str]]:
        """(patient, label) for each of these buttons on a patient's latest keyboard."""
        if not self.started():
            return []
        found = []
        for model in self.models:
            labels = self.labels(model.user)
            for key in keys:
                wanted = self.prefix(key) if key in PREFIXED else self.text(key, minutes=15)
                found += [
                    (model, label)
                    for label in labels
                    if (label == wanted if key not in PREFIXED else label.startswith(wanted))
                ]
        return found

    def tap_offered(self, keys: tuple[str, ...], pick: int) -> tuple[Model, str]:
        choices = self.offered(keys)
        model, label = choices[pick % len(choices)]
        self.run(self.press(model.user, label))
        return model, label

    def pending_consent(self) -> list[Model]:
        return [m for m in self.models if not m.agreed] if self.started() else []

    def onboarded(self) -> list[Model]:
        return [m for m in self.models if m.agreed] if self.started() else []

    # --- patient rules --------------------------------------------------------------------

    @precondition(lambda self: bool(self.pending_consent()))
    @rule(pick=picks)
    def onboard(self, pick: int) -> None:
        waiting = self.pending_consent()
        model = waiting[pick % len(waiting)]

        async def go() -> None:
            await self.say(model.user, "/start")
            model.agreed = await self.press_key(model.user, "btn_agree")

        self.run(go())

    def alerts_asked(self) -> list[tuple[Model, str]]:
        """The alerts answers on screens that ask the alerts question ("No, thanks" is
        also the label of other questions' answers)."""
        question = self.prefix("alerts_question")
        return [
            (model, label)
            for model, label in self.offered(ALERTS)
            if question in ((self.keyboard(model.user) or NO_MESSAGE).text or "")
        ]

    @precondition(lambda self: bool(self.alerts_asked()))
    @rule(pick=picks)
    def answer_alerts(self, pick: int) -> None:
        """The question may be answered late (a "no" also stops alerts not sent yet)."""
        before = len(self.sb.world.events)
        choices = self.alerts_asked()
        model, label = choices[pick % len(choices)]
        self.run(self.press(model.user, label))
        model.answer(before, label == self.text("btn_alerts_yes"))

    @precondition(lambda self: bool(self.onboarded()))
    @rule(pick=picks, at=st.integers(0, 4), zone=st.integers(0, 10))
    def subscribe(self, pick: int, at: int, zone: int) -> None:
        ready = self.onboarded()
        user = ready[pick % len(ready)].user

        async def go() -> None:
            if not await self.press_key(user, "btn_set_reminders"):
                await self.say(user, "/settings")
            if not await self.press_key(user, "btn_every_day"):
                return
            if not await self.press_key(user, "btn_days_done"):
                return
            if not await self.press(user, ("07:00", "08:00", "12:00", "18:00", "20:00")[at]):
                return
            zones = [
                label
                for label in self.labels(user)
                if label != self.text("btn_other_zone")
                and not label.startswith(self.prefix("btn_keep_zone"))
            ]
            if zones:
                await self.press(user, zones[zone % len(zones)])

        self.run(go())

    @precondition(lambda self: bool(self.onboarded()))
    @rule(pick=picks, begin=st.booleans())
    def start_session(self, pick: int, begin: bool) -> None:
        ready = self.onboarded()
        user = ready[pick % len(ready)].user

        async def go() -> None:
            await self.say(user, "/exercise")
            if begin:
                await self.press_key(user, "btn_begin")

        self.run(go())

    @precondition(lambda self: bool(self.onboarded()))
    @rule(pick=picks, moves=st.lists(st.sampled_from(["btn_next", "btn_skip"]), max_size=6))
    def exercise_until_it_hurts(self, pick: int, moves: list[str]) -> None:
        """/exercise, Let's begin, a few Next or Skip taps, then "It hurts - stop"."""
        ready = self.onboarded()
        model = ready[pick % len(ready)]

        async def go() -> None:
            await self.say(model.user, "/exercise")
            await self.press_key(model.user, "btn_restart")
            await self.press_key(model.user, "btn_begin")
            for key in moves:
                await self.press_key(model.user, key)
            before = len(self.sb.world.events)
            if await self.press_key(model.user, "btn_hurts"):
                self.hold_begins(model, before)

        self.run(go())

    @precondition(lambda self: bool(self.offered(SESSION_BUTTONS)))
    @rule(pick=picks)
    def session_button(self, pick: int) -> None:
        self.tap_offered(SESSION_BUTTONS, pick)

    @precondition(lambda self: bool(self.offered(("btn_hurts",))))
    @rule(pick=picks)
    def it_hurts(self, pick: int) -> None:
        before = len(self.sb.world.events)
        model, _ = self.tap_offered(("btn_hurts",), pick)
        self.hold_begins(model, before)

    @precondition(lambda self: bool(self.offered(FEELINGS)))
    @rule(pick=picks)
    def feeling(self, pick: int) -> None:
        before = len(self.sb.world.events)
        model, label = self.tap_offered(FEELINGS, pick)
        if label == self.text("btn_feel_pain"):
            self.hold_begins(model, before)  # on the tap itself, whatever is answered next

    def asked(self, question_key: str) -> list[Model]:
        """The patients whose latest keyboard is under this question."""
        if not self.started():
            return []
        question = self.text(question_key)
        return [m for m in self.models if (self.keyboard(m.user) or NO_MESSAGE).text == question]

    def asked_which(self) -> list[Model]:
        return self.asked("pain_which")

    @precondition(lambda self: bool(self.asked_which()))
    @rule(pick=picks, which=st.integers(0, 5))
    def which_hurt(self, pick: int, which: int) -> None:
        asked = self.asked_which()
        model = asked[pick % len(asked)]
        labels = self.labels(model.user)
        self.run(self.press(model.user, labels[which % len(labels)]))
        assert model.on_hold, "the pain was not held before the question was answered"

    @precondition(lambda self: bool(self.onboarded()))
    @rule(
        pick=picks,
        said=st.sampled_from(["it hurts", "my back hurts, stop", "no pain today", "7pm"]),
        confirm=st.sampled_from(["btn_typed_pain_yes", "btn_typed_pain_no", None]),
    )
    def types(self, pick: int, said: str, confirm: str | None) -> None:
        """Free text at any moment; words of pain ask whether to stop, with the advice."""
        ready = self.onboarded()
        model = ready[pick % len(ready)]
        before = len(self.sb.world.events)
        self.run(self.say(model.user, said))
        pressed = confirm is not None and self.run(self.press_key(model.user, confirm))
        if pressed and confirm == "btn_typed_pain_yes":
            self.hold_begins(model, before)

    def asked_rating(self) -> list[Model]:
        return self.asked("pain_rating_question")

    @precondition(lambda self: bool(self.asked_rating()))
    @rule(pick=picks, value=st.integers(0, 11))
    def rate_pain(self, pick: int, value: int) -> None:
        """0 to 10, or (11) "Skip"; the hold stays whatever is answered."""
        asked = self.asked_rating()
        model = asked[pick % len(asked)]
        label = str(value) if value <= 10 else self.text("btn_pain_rating_skip")
        self.run(self.press(model.user, label))

    @precondition(lambda self: bool(self.offered(ANSWERS)))
    @rule(pick=picks)
    def warning_or_checkin(self, pick: int) -> None:
        self.tap_offered(ANSWERS, pick)

    @precondition(lambda self: bool(self.onboarded()))
    @rule(pick=picks, choice=st.sampled_from(["all", "without", "switch", "not_yet"]))
    def cleared(self, pick: int, choice: str) -> None:
        ready = self.onboarded()
        model = ready[pick % len(ready)]
        user = model.user

        async def go() -> None:
            if not await self.press_key(user, "btn_cleared"):
                await self.say(user, "/resume")
                if not await self.press_key(user, "btn_cleared"):
                    return
            message = self.keyboard(user)
            assert message is not None
            tapped = message.message_id
            if choice == "all":
                done = await self.press_key(user, "btn_resume_all")
            elif choice == "without":
                done = await self.press_starting(user, self.prefix("btn_resume_without"))
            elif choice == "switch":
                done = await self.press_starting(user, self.prefix("btn_resume_without_keep_alt"))
            else:
                await self.press_key(user, "btn_not_yet")
                return
            shown = user.chat[tapped].text or ""
            welcome = self.prefix("resumed_without")
            if done and (shown.startswith(self.text("resumed_all")) or shown.startswith(welcome)):
                assert model.on_hold, "a clearance was accepted without a hold"
                await self.hold_ends(model)

        self.run(go())

    @precondition(lambda self: bool(self.onboarded()))
    @rule(pick=picks, command=st.sampled_from(["/resume", "/cancel", "/next", "/pause"]))
    def command(self, pick: int, command: str) -> None:
        ready = self.onboarded()
        self.run(self.say(ready[pick % len(ready)].user, command))

    @precondition(lambda self: bool(self.offered(REMINDER_BUTTONS)))
    @rule(pick=picks)
    def reminder_button(self, pick: int) -> None:
        self.tap_offered(REMINDER_BUTTONS, pick)

    # --- the clinic's staff ---------------------------------------------------------------

    @precondition(lambda self: bool(self.onboarded()))
    @rule(pick=picks)
    def staff_lookup(self, pick: int) -> None:
        ready = self.onboarded()
        patient = self.run(self.patient_row(ready[pick % len(ready)].user))
        assert patient is not None and self.staff is not None
        self.run(self.say(self.staff, f"/patient {patient.code}"))

    def staff_can_clear(self) -> bool:
        return (
            self.started()
            and self.staff is not None
            and self.text("btn_staff_clear") in self.labels(self.staff)
        )

    @precondition(staff_can_clear)
    @rule()
    def staff_clear(self) -> None:
        staff = self.staff
        assert staff is not None
        message = self.keyboard(staff)
        assert message is not None
        rows = {m.user.id: self.run(self.patient_row(m.user)) for m in self.models}
        about = [
            m
            for m in self.models
            if (row := rows[m.user.id]) is not None and row.code in (message.text or "")
        ]
        self.run(self.press_key(staff, "btn_staff_clear"))
        assert len(about) == 1
        row = rows[about[0].user.id]
        assert row is not None
        if staff.chat[message.message_id].text == self.text("staff_cleared", code=row.code):
            assert about[0].on_hold, "the clinic cleared a patient who was not on hold"
            self.run(self.hold_ends(about[0]))

    # --- time -----------------------------------------------------------------------------

    @precondition(started)
    @rule(hours=st.integers(1, 60))
    def advance(self, hours: int) -> None:
        self.run(self.sb.advance(timedelta(hours=hours)))

    @precondition(started)
    @rule(minutes=st.sampled_from([1, 15, 31, 61]))
    def advance_minutes(self, minutes: int) -> None:
        self.run(self.sb.advance(timedelta(minutes=minutes)))

    # --- invariants -----------------------------------------------------------------------

    async def rows(self) -> tuple[list[Patient], list[Report], list[ExerciseSession], list[Timer]]:
        assert self.sb.services is not None
        async with self.sb.services.db.unit_of_work() as uow:
            return (
                list(await uow.session.scalars(select(Patient))),
                list(await uow.session.scalars(select(Report).order_by(Report.id))),
                list(
                    await uow.session.scalars(select(ExerciseSession).order_by(ExerciseSession.id))
                ),
                list(await uow.session.scalars(select(Timer).order_by(Timer.id))),
            )

    def model_of(self, patient: Patient) -> Model:
        [model] = [m for m in self.models if m.user.id == patient.telegram_user_id]
        return model

    @invariant()
    def the_bot_agrees_about_holds(self) -> None:
        if not self.started():
            return
        patients_, _, _, _ = self.run(self.rows())
        for patient in patients_:
            if patient.telegram_user_id == STAFF_ID:
                continue
            model = self.model_of(patient)
            assert (patient.hold_since is not None) == model.on_hold, (
                f"{model.user.first_name}: stored hold {patient.hold_since}, "
                f"expected on hold: {model.on_hold}; last events:\n{self.recent(model)}"
            )

    def recent(self, model: Model, count: int = 12) -> str:
        """The patient's last events, for a failure message."""
        mine = [e for e in self.sb.world.events if e.chat_id == model.user.id][-count:]
        return "\n".join(
            f"  {e.kind} #{e.message_id}: {(e.text or '')[:70]!r} {e.buttons or ''}" for e in mine
        )

    @invariant()
    def no_daily_reminder_while_on_hold(self) -> None:
        if not self.started():
            return
        starts = (self.prefix("reminder").split("!")[0], self.text("nudge"))
        events = self.sb.world.events
        for model in self.models:
            holds = list(model.holds)
            if model.hold_start is not None:
                holds.append((model.hold_start, len(events)))
            for start, end in holds:
                for index in range(start, end):
                    event = events[index]
                    assert not (
                        event.kind == "bot_message"
                        and event.user_id == model.user.chat_id
                        and (event.text or "").startswith(starts)
                    ), f"reminder to {model.user.first_name} at {event.at} while on hold"

    @invariant()
    def every_pain_report_gets_the_full_advice(self) -> None:
        if not self.started():
            return
        assert self.sb.services is not None
        content = self.sb.services.content
        paragraphs = [p for p in pain_advice(content, "en").split("\n\n") if p.strip()]
        phone = content.clinic.phone_display
        patients_, reports, _, _ = self.run(self.rows())
        chat_of = {p.id: p.chat_id for p in patients_}

        def advised(text: str) -> bool:
            return phone in text and all(p in text for p in paragraphs)

        answers: dict[tuple[int, object], int] = {}
        for event in self.sb.world.events:
            if event.kind in ("bot_message", "bot_edit") and advised(event.text or ""):
                key = (event.user_id, event.at)
                answers[key] = answers.get(key, 0) + 1
        needed: dict[tuple[int, object], int] = {}
        for report in reports:
            if report.kind == "pain":
                key = (chat_of[report.patient_id], report.created_at)
                needed[key] = needed.get(key, 0) + 1
        for key, count in needed.items():
            assert answers.get(key, 0) >= count, (
                f"{count} pain report(s) in chat {key[0]} at {key[1]}, "
                f"answered with the full advice {answers.get(key, 0)} time(s)"
            )

    @invariant()
    def the_rating_comes_only_after_the_full_advice(self) -> None:
        if not self.started():
            return
        assert self.sb.services is not None
        content = self.sb.services.content
        paragraphs = [p for p in pain_advice(content, "en").split("\n\n") if p.strip()]
        phone = content.clinic.phone_display
        question = self.text("pain_rating_question")
        advised: set[tuple[int, object]] = set()  # (chat, clock time) of each full advice
        for event in self.sb.world.events:
            if event.kind not in ("bot_message", "bot_edit"):
                continue
            text = event.text or ""
            if phone in text and all(p in text for p in paragraphs):
                advised.add((event.user_id, event.at))
            elif text == question:
                # asked in the same reply as the advice, so at the same clock time, after it
                assert content.pain_rating, "a rating question with the switch off"
                assert (event.user_id, event.at) in advised, "a rating question before advice"
        _, reports, _, _ = self.run(self.rows())
        for report in reports:
            if report.rating is not None:
                assert report.kind == "pain" and 0 <= report.rating <= 10, report

    @invariant()
    def held_exercises_stay_out_of_new_sessions(self) -> None:
        if not self.started():
            return
        patients_, _, sessions, _ = self.run(self.rows())
        for patient in patients_:
            if patient.telegram_user_id == STAFF_ID:
                continue
            model = self.model_of(patient)
            for session in sessions:
                if session.patient_id != patient.id:
                    continue
                in_force = [held for last_id, held in model.clearances if session.id > last_id]
                if not in_force:
                    continue
                held = set(in_force[-1])
                assert not held & set(session.exercises), (
                    f"session {session.id} of {model.user.first_name} has "
                    f"{session.exercises}, held: {sorted(held)}"
                )

    def is_digest(self, text: str) -> bool:
        """One of the weekly digest's three messages: its list (by its title), the CSV and
        the chart (by their captions)."""
        return text.startswith(self.prefix("staff_digest")) or text in (
            self.text("staff_adherence_csv"),
            self.text("chart_patients_title"),
        )

    @invariant()
    def alerts_need_the_setting_and_the_opt_in(self) -> None:
        if not self.started():
            return
        patients_, _, _, timers = self.run(self.rows())
        by_id = {p.id: p for p in patients_}
        models = {p.code: self.model_of(p) for p in patients_ if p.telegram_user_id != STAFF_ID}
        for timer in timers:
            if timer.kind == "staff_alert" and timer.state == "pending":
                patient = by_id[timer.patient_id]
                assert self.staff_configured, "a staff alert queued without a staff chat"
                assert patient.alerts_opt_in is True, "an alert waits for a patient who said no"
        asked = 0
        for index, event in enumerate(self.sb.world.events):
            if event.user_id != STAFF_ID:
                continue
            if event.kind in ("user_command", "user_text"):
                asked += 1
            elif event.kind == "bot_message" and asked:
                asked -= 1  # the answer to a staff command
            elif event.kind == "bot_message":
                text = event.text or ""
                assert self.staff_configured, f"sent to the staff chat without one: {text!r}"
                if self.is_digest(text):
                    continue  # the weekly digest: every patient's figures, never an alert
                named = [m for code, m in models.items() if code in text]
                assert named, f"an alert that names no patient: {text!r}"
                for model in named:
                    assert model.opted_in_at(index), (
                        f"alert {text!r} about {model.user.first_name}, "
                        f"who had not said yes then (answers: {model.opt_log})"
                    )
        failed = [
            c
            for c in self.sb.emulator.calls
            if c.method.lower() == "sendmessage"
            and str(c.params.get("chat_id")) == str(STAFF_ID)
            and not c.ok
        ]
        assert not failed, f"refused sends to the staff chat: {failed}"


def test_safety_properties_hold_under_random_use() -> None:
    run_state_machine_as_test(
        SafetyMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=40,
            deadline=None,
            # Each example drives the real bot for a second or so; shrinking a failure could
            # outlast the test timeout, so the failing steps are reported as found.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            # CI replays the same examples every run (a red build names a real regression);
            # on a developer's machine each run explores new sequences.
            derandomize=os.environ.get("CI") == "true",
        ),
    )
