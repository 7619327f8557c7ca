"""The whole patient lifecycle against the reminder rules (issue 10): a hypothesis state
machine driving the real bot on the local Telegram, a real SQLite file and a fake clock.

Two patients change their settings at any time of day (days, time, zone), finish, skip or
stop sessions for pain, report soreness, pause, resume, stop, get cleared, snooze, forget
everything; the clock jumps minutes to days across DST changes in several zones; the bot
is down for minutes to days, or restarts. After every step:

(a) a patient who should get reminders (consented, a schedule, not stopped, not paused,
    not on hold) has exactly one pending daily reminder, at the rule's next due
    occurrence given the facts (``bot.core.planning.next_daily_reminder``); anyone else has
    none;
(b) never two daily reminders on one local date;
(c) nothing is sent while paused, on hold or stopped;
(d) /next states exactly the pending reminder (or the truth about why there is none);
(e) no reminder or nudge comes after that local day's session was finished.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
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

from bot.core.clock import FakeClock
from bot.core.planning import next_daily_reminder
from bot.core.screens import format_when
from bot.core.timers import Kind
from bot.sandbox.harness import Sandbox
from bot.sandbox.world import SimUser
from bot.services import planner
from bot.store.models import ExerciseSession, Patient, Timer

T = TypeVar("T")
ZONES = ("America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Tokyo")
# Starts a few days before an offset change of one of the zones (and one quiet week).
STARTS = (
    datetime(2026, 3, 5, 12, 0, tzinfo=UTC),  # New York springs forward on Sun 8 Mar
    datetime(2026, 3, 26, 6, 0, tzinfo=UTC),  # London springs forward on Sun 29 Mar
    datetime(2026, 10, 1, 20, 0, tzinfo=UTC),  # Lord Howe: +30 min on Sun 4 Oct
    datetime(2026, 10, 29, 10, 0, tzinfo=UTC),  # New York falls back on Sun 1 Nov
    datetime(2026, 6, 10, 3, 0, tzinfo=UTC),
)
TIMES = ("00:30", "01:30", "02:15", "02:30", "07:00", "08:00", "12:00", "18:00", "23:30")
WAITS = (
    timedelta(minutes=1),
    timedelta(minutes=37),
    timedelta(hours=3),
    timedelta(hours=11),
    timedelta(days=1),
    timedelta(days=3),
)
DONE = ("completed", "pain")  # the test's own idea of a done day (docs/REMINDERS.md)
OUTAGES = (timedelta(minutes=20), timedelta(hours=2, minutes=30), timedelta(days=3))


@dataclass
class Sent:
    at: datetime
    zone: str | None


@dataclass
class Person:
    user: SimUser
    agreed: bool = False
    zone: str | None = None
    reminders: list[Sent] = field(default_factory=list)  # daily reminders and nudges seen
    zones: list[tuple[datetime, str]] = field(default_factory=list)  # (since, zone)

    def zone_at(self, instant: datetime) -> str:
        found = [zone for since, zone in self.zones if since <= instant]
        return found[-1] if found else self.zones[0][1]


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory()
        self.sandbox: Sandbox | None = None
        self.people: list[Person] = []
        self.seen_events = 0

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

    async def press(self, user: SimUser, key: str, **values: object) -> bool:
        wanted = self.text(key, **values)
        message = user.last_bot_message(with_buttons=True)
        labels = [b.text for row in message.buttons for b in row] if message else []
        if wanted not in labels:
            return False
        user.tap(wanted)
        await self.sb.settle()
        return True

    async def say(self, user: SimUser, words: str) -> None:
        user.send_text(words)
        await self.sb.settle()

    async def patient(self, person: Person) -> Patient | None:
        assert self.sb.services is not None
        async with self.sb.services.db.unit_of_work() as uow:
            return await uow.patients.by_telegram_id(person.user.id)

    @property
    def now(self) -> datetime:
        return self.sb.clock.now()

    def collect_sends(self) -> None:
        """Note each reminder, snooze and nudge that reached a patient since the last look,
        with the zone the patient had then (time only passed: nobody changed it)."""
        starts = (self.text("reminder", minutes=1)[:15], self.text("nudge")[:15])
        events = self.sb.world.events[self.seen_events :]
        self.seen_events = len(self.sb.world.events)
        for person in self.people:
            patient = self.run(self.patient(person))
            zone = patient.timezone if patient else None
            for event in events:
                if (
                    event.kind == "bot_message"
                    and event.user_id == person.user.chat_id
                    and (event.text or "").startswith(starts)
                ):
                    person.reminders.append(Sent(event.at, zone))

    # --- set-up and tear-down -------------------------------------------------------------

    @initialize(
        start=st.sampled_from(STARTS),
        times=st.tuples(st.sampled_from(TIMES), st.sampled_from(TIMES)),
        zones=st.tuples(st.sampled_from(ZONES), st.sampled_from(ZONES)),
        nudges=st.tuples(st.booleans(), st.booleans()),
    )
    def start(
        self,
        start: datetime,
        times: tuple[str, str],
        zones: tuple[str, str],
        nudges: tuple[bool, bool],
    ) -> None:
        """Both patients start with daily reminders (the lifecycle is about them); the
        rules change or end them later."""
        url = f"sqlite+aiosqlite:///{Path(self.tmp.name) / 'bot.db'}"
        self.sandbox = Sandbox(database_url=url, clock=FakeClock(start), reminder_grace_minutes=120)
        self.run(self.sandbox.start())
        self.people = [Person(self.sb.user(name)) for name in ("Ana", "Ben")]
        for index, person in enumerate(self.people):
            self.run(self.say(person.user, "/start"))
            person.agreed = self.run(self.press(person.user, "btn_agree"))
            self.change_settings(index, "btn_every_day", times[index], zones[index])
            if nudges[index] and self.run(self.press(person.user, "btn_nudge_setting")):
                self.run(self.press(person.user, "btn_nudge_hour"))

    def teardown(self) -> None:
        try:
            if self.sandbox is not None:
                self.run(self.sandbox.stop())
        finally:
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            if pending:
                self.run(asyncio.gather(*pending, return_exceptions=True))
            self.run(self.loop.shutdown_asyncgens())
            self.run(self.loop.shutdown_default_executor())
            self.loop.close()
            self.tmp.cleanup()

    def started(self) -> bool:
        return self.sandbox is not None and self.sandbox.bot is not None

    # --- what patients do -----------------------------------------------------------------

    @precondition(started)
    @rule(
        who=st.integers(0, 1),
        days=st.sampled_from(["btn_every_day", "btn_weekdays", "Tue", "Sat"]),
        at=st.sampled_from(TIMES),
        zone=st.sampled_from(ZONES),
    )
    def change_settings(self, who: int, days: str, at: str, zone: str) -> None:
        person = self.people[who]
        user = person.user
        self.run(self.say(user, "/settings"))
        if days.startswith("btn_"):
            self.run(self.press(user, days))
        else:  # a single day: clear the current choice (tap "every day" twice) and pick it
            self.run(self.press(user, "btn_every_day"))
            message = user.last_bot_message(with_buttons=True)
            assert message is not None
            for row in message.buttons:
                for button in row:
                    if button.text.startswith("✓ ") and button.text[2:] != days:
                        user.tap(button.text, message_id=message.message_id)
                        self.run(self.sb.settle())
        if not self.run(self.press(user, "btn_days_done")):
            return  # not consented, or no day chosen
        self.run(self.press(user, "btn_other_time"))
        self.run(self.say(user, at))
        self.run(self.say(user, zone))

    @precondition(started)
    @rule(who=st.integers(0, 1), minutes=st.sampled_from([-90, 5, 90, 300]))
    def retime_today(self, who: int, minutes: int) -> None:
        """Move the reminder to a time later (or earlier) today: the day whose reminder
        already went out must not get a second one, and the next must still come."""
        person = self.people[who]
        patient = self.run(self.patient(person))
        if patient is None or patient.timezone is None:
            return
        local = (self.now + timedelta(minutes=minutes)).astimezone(ZoneInfo(patient.timezone))
        at = f"{local.hour:02d}:{local.minute // 5 * 5:02d}"
        user = person.user
        self.run(self.say(user, "/settings"))
        if self.run(self.press(user, "btn_days_done")):
            self.run(self.press(user, "btn_other_time"))
            self.run(self.say(user, at))
            self.run(self.press(user, "btn_keep_zone", zone=self.keep_label(patient.timezone)))

    def keep_label(self, zone: str) -> str:
        from bot.core.zones import zone_label

        return zone_label(zone, self.now)

    @precondition(started)
    @rule(who=st.integers(0, 1), how=st.sampled_from(["fine", "sore", "pain", "hurts", "cancel"]))
    def session(self, who: int, how: str) -> None:
        user = self.people[who].user
        self.run(self.say(user, "/exercise"))
        if self.run(self.press(user, "btn_restart")):
            pass
        if not self.run(self.press(user, "btn_begin")):
            return  # on hold, or not consented
        if how == "hurts":
            self.run(self.press(user, "btn_hurts"))
            return
        if how == "cancel":
            self.run(self.say(user, "/cancel"))
            return
        for _ in range(12):
            if not self.run(self.press(user, "btn_skip")):
                break
        key = {"fine": "btn_feel_fine", "sore": "btn_feel_sore", "pain": "btn_feel_pain"}[how]
        self.run(self.press(user, key))
        if how == "pain":
            message = user.last_bot_message(with_buttons=True)
            if message is not None and message.buttons:  # "which exercise hurt?"
                user.tap(message.buttons[0][0].text, message_id=message.message_id)
                self.run(self.sb.settle())

    @precondition(started)
    @rule(
        who=st.integers(0, 1),
        days=st.sampled_from(["btn_pause_day", "3", "btn_pause_week", "btn_pause_open"]),
    )
    def pause(self, who: int, days: str) -> None:
        user = self.people[who].user
        self.run(self.say(user, "/pause"))
        if days == "3":
            self.run(self.press(user, "btn_pause_days", days=3))
        else:
            self.run(self.press(user, days))

    @precondition(started)
    @rule(who=st.integers(0, 1))
    def resume(self, who: int) -> None:
        self.run(self.say(self.people[who].user, "/resume"))

    @precondition(started)
    @rule(who=st.integers(0, 1), really=st.booleans())
    def stop(self, who: int, really: bool) -> None:
        user = self.people[who].user
        self.run(self.say(user, "/stop"))
        self.run(self.press(user, "btn_stop_yes" if really else "btn_stop_no"))

    @precondition(started)
    @rule(who=st.integers(0, 1))
    def cleared(self, who: int) -> None:
        user = self.people[who].user
        self.run(self.say(user, "/exercise"))
        for message in reversed(user.bot_messages[-2:]):
            labels = [b.text for row in message.buttons for b in row]
            if self.text("btn_cleared") in labels:
                user.tap(self.text("btn_cleared"), message_id=message.message_id)
                self.run(self.sb.settle())
                self.run(self.press(user, "btn_resume_all"))
                return

    @precondition(started)
    @rule(who=st.integers(0, 1), choice=st.sampled_from(["snooze", "skip", "start"]))
    def answer_reminder(self, who: int, choice: str) -> None:
        user = self.people[who].user
        key = {"snooze": "btn_snooze", "skip": "btn_skip_today", "start": "btn_rem_start"}[choice]
        wanted = self.text(key)
        for message in reversed(user.bot_messages):  # the newest reminder, wherever it is
            if any(b.text == wanted for row in message.buttons for b in row):
                user.tap(wanted, message_id=message.message_id)
                self.run(self.sb.settle())
                fifteen = self.text("btn_snooze_minutes", minutes=15)
                if choice == "snooze" and any(
                    b.text == fifteen for row in message.buttons for b in row
                ):
                    user.tap(fifteen, message_id=message.message_id)
                    self.run(self.sb.settle())
                return

    @precondition(started)
    @rule(who=st.integers(0, 1), again=st.booleans(), dice=st.integers(0, 3))
    def forget(self, who: int, again: bool, dice: int) -> None:
        if dice:  # rarer than the rest: it ends everything that makes the lifecycle
            return
        person = self.people[who]
        self.run(self.say(person.user, "/forget"))
        if self.run(self.press(person.user, "btn_forget_yes")):
            person.zone = None
            person.agreed = False
        if again:
            self.run(self.say(person.user, "/start"))
            person.agreed = self.run(self.press(person.user, "btn_agree")) or person.agreed

    # --- what the world does ----------------------------------------------------------------

    @precondition(started)
    @rule(wait=st.sampled_from(WAITS))
    def time_passes(self, wait: timedelta) -> None:
        before = self.run(self.snapshot())
        self.run(self.sb.advance(wait))
        self.collect_sends()
        self.check_nothing_sent_while_quiet(before)

    @precondition(started)
    @rule(who=st.integers(0, 1), offset=st.sampled_from([-90, -20, 1, 2]))
    def until_the_next_reminder(self, who: int, offset: int) -> None:
        """Time passes to just before or just after a patient's next reminder, so sessions,
        snoozes and setting changes land on reminder days (random waits rarely do)."""
        patient = self.run(self.patient(self.people[who]))
        if patient is None:
            return
        pending = self.run(self.pending(patient.id, Kind.REMINDER, Kind.SNOOZE))
        if not pending:
            return
        target = min(t.due_at for t in pending) + timedelta(minutes=offset)
        if target > self.now:
            self.time_passes(target - self.now)

    @precondition(started)
    @rule(who=st.integers(0, 1), how=st.sampled_from(["fine", "sore", "pain", "cancel"]))
    def a_session_before_the_reminder(self, who: int, how: str) -> None:
        """A day as patients live it: exercise an hour before the reminder, then the
        reminder time passes (no reminder may come that day once the session is done)."""
        self.until_the_next_reminder(who, -60)
        self.session(who, how)
        self.until_the_next_reminder(who, 2)

    @precondition(started)
    @rule(who=st.integers(0, 1))
    def a_reminder_snoozed(self, who: int) -> None:
        self.until_the_next_reminder(who, 1)
        self.answer_reminder(who, "snooze")

    @precondition(started)
    @rule(who=st.integers(0, 1), days=st.sampled_from(["btn_pause_day", "btn_pause_open"]))
    def a_pause_after_a_snooze(self, who: int, days: str) -> None:
        """Later, then pause: the snooze of the day must not come during the pause."""
        self.a_reminder_snoozed(who)
        self.pause(who, days)
        self.time_passes(timedelta(hours=1))

    @precondition(started)
    @rule(down=st.sampled_from(OUTAGES))
    def outage(self, down: timedelta) -> None:
        before = self.run(self.snapshot())
        self.run(self.sb.stop_bot())
        self.sb.clock.set(self.now + down)
        self.run(self.sb.start_bot())
        self.run(self.sb.advance(timedelta(0)))
        self.collect_sends()
        self.check_nothing_sent_while_quiet(before)

    @precondition(started)
    @rule()
    def restart(self) -> None:
        self.run(self.sb.restart_bot())

    # --- the invariants ----------------------------------------------------------------------

    async def snapshot(self) -> dict[int, tuple[str, datetime | None, int]]:
        """Per person: the standing of their reminders, the end of a pause, sends so far."""
        found = {}
        for index, person in enumerate(self.people):
            patient = await self.patient(person)
            found[index] = (
                planner.standing(patient).value,
                patient.paused_until if patient else None,
                len(person.reminders),
            )
        return found

    def check_nothing_sent_while_quiet(
        self, before: dict[int, tuple[str, datetime | None, int]]
    ) -> None:
        """(c) Nothing while paused, on hold or stopped (from the state before time moved)."""
        for index, person in enumerate(self.people):
            standing, paused_until, count = before[index]
            new = person.reminders[count:]
            if standing in ("held", "stopped", "paused_open", "none"):
                assert new == [], f"{person.user.first_name} got a reminder while {standing}"
            if standing == "paused" and paused_until is not None:
                early = [s.at for s in new if s.at < paused_until]
                assert early == [], f"reminders before the pause ended at {paused_until}: {early}"

    @invariant()
    def one_pending_reminder_at_the_rules_next_occurrence(self) -> None:
        """(a)"""
        if not self.started():
            return
        assert self.sb.services is not None
        for person in self.people:
            patient = self.run(self.patient(person))
            if patient is None:
                continue
            pending = self.run(self.pending(patient.id, Kind.REMINDER))
            facts = self.run(self.facts(patient))
            expected = next_daily_reminder(facts, self.now)
            assert [t.due_at for t in pending] == ([expected] if expected else []), (
                f"{person.user.first_name}: pending {[t.due_at for t in pending]}, "
                f"expected {expected} ({planner.standing(patient).value})"
            )

    @invariant()
    def never_two_on_one_local_date(self) -> None:
        """(b) daily reminders (not snoozes or nudges, which belong to the day), in the zone
        the patient has now."""
        if not self.started():
            return
        for person in self.people:
            patient = self.run(self.patient(person))
            if patient is None:
                continue
            if patient.timezone and (not person.zones or person.zones[-1][1] != patient.timezone):
                person.zones.append((self.now, patient.timezone))
            sent = self.run(self.sent_daily(patient.id))
            for first, second in itertools.pairwise(sent):
                zone = ZoneInfo(person.zone_at(second))
                day = second.astimezone(zone).date()
                assert first.astimezone(zone).date() != day, (
                    f"{person.user.first_name}: two reminders on {day} ({first}, {second})"
                )

    @invariant()
    def next_says_the_truth(self) -> None:
        """(d)"""
        if not self.started():
            return
        assert self.sb.services is not None
        for person in self.people:
            patient = self.run(self.patient(person))
            if patient is None or patient.consent_at is None:
                continue
            self.run(self.say(person.user, "/next"))
            said = person.user.bot_messages[-1].text
            standing = planner.standing(patient)
            pending = self.run(self.pending(patient.id, Kind.REMINDER, Kind.SNOOZE))
            due = min((t.due_at for t in pending), default=None)
            if standing.value in ("active", "paused") and due is not None:
                assert patient.timezone is not None
                when = format_when(self.sb.services.content, "en", due, patient.timezone)
                assert said == self.text("next_reminder", when=when), said
            elif standing.value == "held":
                assert said == self.text("next_on_hold"), said
            elif standing.value == "stopped":
                assert said == self.text("next_stopped"), said
            elif standing.value == "paused_open":
                assert said == self.text("paused_open"), said
            else:
                assert said == self.text("no_reminders"), said
        self.seen_events = len(self.sb.world.events)

    @invariant()
    def nothing_after_a_done_day(self) -> None:
        """(e)"""
        if not self.started():
            return
        for person in self.people:
            patient = self.run(self.patient(person))
            if patient is None or not person.reminders:
                continue
            done = self.run(self.done_sessions(patient.id))
            for sent in person.reminders:
                if sent.zone is None:
                    continue
                zone = ZoneInfo(sent.zone)
                day = sent.at.astimezone(zone).date()
                earlier_same_day = [
                    f for f in done if f < sent.at and f.astimezone(zone).date() == day
                ]
                assert not earlier_same_day, (
                    f"{person.user.first_name}: a reminder at {sent.at} after the day's "
                    f"session was done at {earlier_same_day[0]}"
                )

    # --- queries -------------------------------------------------------------------------------

    async def pending(self, patient_id: int, *kinds: str) -> list[Timer]:
        assert self.sb.services is not None
        async with self.sb.services.db.unit_of_work() as uow:
            return await uow.timers.pending_for_patient(patient_id, list(kinds))

    async def facts(self, patient: Patient):  # type: ignore[no-untyped-def]
        assert self.sb.services is not None
        async with self.sb.services.db.unit_of_work() as uow:
            return (await planner.facts_for_many(uow, [patient]))[patient.id]

    async def sent_daily(self, patient_id: int) -> list[datetime]:
        assert self.sb.services is not None
        async with self.sb.services.db.unit_of_work() as uow:
            rows = await uow.session.scalars(
                select(Timer.finished_at)
                .where(
                    Timer.patient_id == patient_id,
                    Timer.kind == Kind.REMINDER,
                    Timer.state == "sent",
                )
                .order_by(Timer.finished_at)
            )
            return [r for r in rows if r is not None]

    async def done_sessions(self, patient_id: int) -> list[datetime]:
        assert self.sb.services is not None
        async with self.sb.services.db.unit_of_work() as uow:
            rows = await uow.session.scalars(
                select(ExerciseSession.finished_at).where(
                    ExerciseSession.patient_id == patient_id,
                    ExerciseSession.outcome.in_(DONE),
                )
            )
            return [r for r in rows if r is not None]


@pytest.mark.timeout(1800)
def test_the_reminder_rules_hold_through_the_whole_lifecycle() -> None:
    run_state_machine_as_test(
        LifecycleMachine,
        settings=settings(
            max_examples=int(os.environ.get("LIFECYCLE_EXAMPLES", "10")),
            stateful_step_count=40,
            deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            derandomize=os.environ.get("CI") == "true",
        ),
    )
