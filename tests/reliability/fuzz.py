"""A seeded generator of hostile updates, and the invariants the bot must keep under them.

Everything arrives through the local Telegram, as it would from real clients: forged and
malformed callback data, other patients' sessions and messages, groups, channels, edits,
media, inline queries, member updates, updates with fields missing or of the wrong type,
huge numbers. Update ids are the emulator's (Telegram assigns them; nobody can forge one).
"""

from __future__ import annotations

import copy
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from bot.core.callbacks import Action
from bot.sandbox.chats import SimChat
from bot.sandbox.harness import Sandbox
from bot.sandbox.world import SimUser
from bot.store.models import ExerciseSession, Patient, Report, Timer

COMMANDS = (
    "/start", "/help", "/exercise", "/cancel", "/settings", "/next", "/pause", "/resume",
    "/stop", "/history", "/mydata", "/forget", "/patient", "/patient P-XXXXXX", "/nope",
    "/start@exercise_sandbox_bot", "/exercise extra words", "/" + "a" * 40,
)  # fmt: skip
TEXTS = (
    "hello", "7pm", "half past seven", "Boston", "Europe/Berlin", "it hurts", "no pain",
    "", " ", "🙂" * 50, "x" * 4096, "<b>bold</b>", "&amp;", "\u202e\u0000?", "/",
)  # fmt: skip
ARGS = ("", "0", "1", "x", "k", "9-0730-3", "y", "n", "b", "20260105", "20260105-15")
HUGE = (2**31, 2**53, 2**63 - 1, 2**63, 2**64 + 1, -(2**63))


@dataclass
class Cast:
    """The people and chats of one fuzz run."""

    patients: list[SimUser]
    strangers: list[SimUser]
    groups: list[SimChat]
    channel: SimChat
    seen_data: list[str] = field(default_factory=list)  # real callback data, any chat

    @property
    def everyone(self) -> list[SimUser]:
        return self.patients + self.strangers


def harvest_callback_data(cast: Cast) -> None:
    """Every button payload the bot has shown anyone: replayed by others, mutated."""
    for user in cast.everyone:
        for message in user.bot_messages:
            for row in message.buttons:
                cast.seen_data.extend(b.callback_data for b in row if b.callback_data)


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rem = divmod(abs(number), 36)
        out = digits[rem] + out
        if number == 0:
            return out


class HostileUpdates:
    """``next()`` produces one hostile action (it pushes the update itself)."""

    def __init__(self, sandbox: Sandbox, cast: Cast, seed: int) -> None:
        self.sandbox = sandbox
        self.cast = cast
        self.rng = random.Random(seed)
        self.kinds: dict[str, int] = {}
        self._moves: list[tuple[int, Callable[[], None]]] = [
            (14, self.forged_callback),
            (10, self.replayed_callback),
            (6, self.mutated_callback),
            (8, self.group_message),
            (3, self.channel_post),
            (5, self.edited_message),
            (6, self.media_message),
            (3, self.inline_things),
            (3, self.member_update),
            (10, self.broken_update),
            (6, self.huge_numbers),
            (8, self.private_command),
            (8, self.private_text),
            (2, self.callback_elsewhere),
            (3, self.wrong_types),
        ]
        self._total = sum(weight for weight, _ in self._moves)

    def next(self) -> None:
        pick = self.rng.randrange(self._total)
        for weight, move in self._moves:
            if pick < weight:
                self.kinds[move.__name__] = self.kinds.get(move.__name__, 0) + 1
                move()
                return
            pick -= weight

    # --- helpers -------------------------------------------------------------------------

    def _someone(self) -> SimUser:
        return self.rng.choice(self.cast.everyone)

    def _text(self) -> str:
        if self.rng.random() < 0.3:
            return "".join(
                self.rng.choice(string.printable) for _ in range(self.rng.randint(0, 80))
            )
        return self.rng.choice(TEXTS)

    def _a_bot_message_id(self, user: SimUser) -> int:
        mine = user.bot_messages
        return self.rng.choice(mine).message_id if mine else self.rng.randint(1, 50)

    def _user_json(self, user: SimUser) -> dict[str, Any]:
        return user.as_user()

    def _message_json(self, user: SimUser, chat: dict[str, Any], text: str) -> dict[str, Any]:
        return {
            "message_id": self.rng.randint(1, 10_000),
            "date": 1_767_600_000,
            "from": self._user_json(user),
            "chat": chat,
            "text": text,
        }

    # --- moves ---------------------------------------------------------------------------

    def forged_callback(self) -> None:
        user = self._someone()
        actions = [a.value for a in Action] + ["zz", "", "nx:1"]
        data = self.rng.choice(
            [
                f"1:{self.rng.choice(actions)}:{_b36(self.rng.randint(0, 5000))}:"
                f"{_b36(self.rng.randint(0, 40))}:{self.rng.choice(ARGS)}",
                self._text()[:64],
                "1:" + "".join(self.rng.choice(string.ascii_lowercase + ":") for _ in range(60)),
                "2:nx:1:1:",
                "1:nx:1:1:" + "é" * 40,
            ]
        )
        user.tap_data(self._a_bot_message_id(user), data)

    def replayed_callback(self) -> None:
        """A real button payload, tapped by someone it was not shown to (or much later)."""
        if not self.cast.seen_data:
            return self.forged_callback()
        user = self._someone()
        user.tap_data(self._a_bot_message_id(user), self.rng.choice(self.cast.seen_data))

    def mutated_callback(self) -> None:
        if not self.cast.seen_data:
            return self.forged_callback()
        parts = self.rng.choice(self.cast.seen_data).split(":")
        index = self.rng.randrange(len(parts))
        parts[index] = self.rng.choice(
            [_b36(self.rng.choice(HUGE)), "", "-1", "00", "ZZ", parts[index] * 2, "é"]
        )
        user = self._someone()
        user.tap_data(self._a_bot_message_id(user), ":".join(parts)[:70])

    def group_message(self) -> None:
        group = self.rng.choice(self.cast.groups)
        if not group.members:
            return self.member_update()
        member = self.rng.choice(group.members)
        text = self.rng.choice(COMMANDS) if self.rng.random() < 0.7 else self._text()
        if not text:
            text = "."
        member.send_text(text, chat=group)

    def channel_post(self) -> None:
        self.cast.channel.post(self.rng.choice(COMMANDS))

    def edited_message(self) -> None:
        user = self._someone()
        mine = [m for m in user.messages if not m.from_bot]
        if not mine:
            return self.private_text()
        user.edit_text(self.rng.choice(mine).message_id, self.rng.choice(COMMANDS + TEXTS) or ".")

    def media_message(self) -> None:
        user = self._someone()
        where = self.rng.choice([None, None, *[g for g in self.cast.groups if user in g.members]])
        self.rng.choice(
            [
                lambda: user.send_sticker(chat=where),
                lambda: user.send_voice(chat=where),
                lambda: user.send_contact("+15550100", "Someone", chat=where),
                lambda: user.send_poll("Q?", ["a", "b"], chat=where),
                lambda: user.share_location(
                    self.rng.uniform(-90, 90), self.rng.uniform(-180, 180), chat=where
                ),
            ]
        )()

    def inline_things(self) -> None:
        user = self._someone()
        if self.rng.random() < 0.5:
            user.inline_query(self._text()[:64])
        else:
            user.tap_inline(f"inline-{self.rng.randint(1, 99)}", "1:hu:1:0:")

    def member_update(self) -> None:
        group = self.rng.choice(self.cast.groups)
        user = self._someone()
        if user in group.members:
            group.remove_member(user)
        else:
            group.add_member(user)

    def broken_update(self) -> None:
        """A real-looking update with fields removed or replaced: PTB may not parse it."""
        user = self._someone()
        base: dict[str, Any] = {
            "message": self._message_json(user, user.as_chat(), self.rng.choice(COMMANDS))
        }
        if self.rng.random() < 0.5:
            base = {
                "callback_query": {
                    "id": str(self.rng.randint(1, 10**9)),
                    "from": self._user_json(user),
                    "chat_instance": "1",
                    "data": self.rng.choice(self.cast.seen_data or ["1:nx:1:0:"]),
                    "message": self._message_json(user, user.as_chat(), "x"),
                }
            }
        body = next(iter(base.values()))
        for _ in range(self.rng.randint(1, 3)):
            target = body
            if isinstance(body.get("message"), dict) and self.rng.random() < 0.5:
                target = body["message"]
            if not target:
                break
            key = self.rng.choice(list(target))
            if self.rng.random() < 0.5:
                del target[key]
            else:
                target[key] = self.rng.choice([None, "x", 1.5, [], {}, -1, True])
        self.sandbox.world.push_raw(base, filtered=self.rng.random() < 0.5)

    def huge_numbers(self) -> None:
        user = self._someone()
        message = self._message_json(user, user.as_chat(), self.rng.choice(COMMANDS))
        message["message_id"] = self.rng.choice(HUGE)
        if self.rng.random() < 0.5:
            message["reply_to_message"] = copy.deepcopy(message)
        self.sandbox.world.push_raw({"message": message})

    def private_command(self) -> None:
        self._someone().send_text(self.rng.choice(COMMANDS))

    def private_text(self) -> None:
        text = self._text() or "."
        self._someone().send_text(text)

    def callback_elsewhere(self) -> None:
        """A payload of one chat, tapped on a message in a group."""
        group = self.rng.choice(self.cast.groups)
        if not group.members:
            return self.forged_callback()
        user = self.rng.choice(group.members)
        data = self.rng.choice(self.cast.seen_data or ["1:ag:0:0:"])
        shown = group.bot_messages
        message_id = self.rng.choice(shown).message_id if shown else 1
        user.tap_data(message_id, data, chat=group)

    def wrong_types(self) -> None:
        """Not even an update: lists, strings, numbers where an object belongs."""
        self.sandbox.world.push_raw(
            self.rng.choice(
                [
                    {"message": []},
                    {"message": "x"},
                    {"callback_query": None},
                    {"unknown_kind": {"a": 1}},
                    {"message": {"chat": {"id": "abc", "type": "private"}}},
                ]
            ),
            filtered=False,
        )


# --- invariants -------------------------------------------------------------------------


async def database_problems(sandbox: Sandbox) -> list[str]:
    """Every state the rules say cannot happen; empty when the database is consistent."""
    assert sandbox.services is not None
    problems: list[str] = []
    async with sandbox.services.db.unit_of_work(read_only=True) as uow:
        session = uow.session
        patients = list(await session.scalars(select(Patient)))
        for patient in patients:
            if patient.chat_id != patient.telegram_user_id:
                problems.append(f"patient {patient.id}: chat {patient.chat_id} is not private")
            if patient.consent_at is None:
                problems.append(f"patient {patient.id}: stored without consent")
        open_counts = await session.execute(
            select(ExerciseSession.patient_id, func.count())
            .where(ExerciseSession.finished_at.is_(None))
            .group_by(ExerciseSession.patient_id)
        )
        problems += [f"patient {pid}: {n} open sessions" for pid, n in open_counts if n > 1]
        for s in await session.scalars(select(ExerciseSession)):
            if not 0 <= s.exercise_index <= max(0, len(s.exercises) - 1):
                problems.append(f"session {s.id}: exercise index {s.exercise_index}")
            if (s.finished_at is None) != (s.phase != "done"):
                problems.append(f"session {s.id}: phase {s.phase} vs finished {s.finished_at}")
        owners = dict(
            (await session.execute(select(ExerciseSession.id, ExerciseSession.patient_id))).all()
        )
        for report in await session.scalars(select(Report)):
            if report.session_id is not None and owners.get(report.session_id) != report.patient_id:
                problems.append(f"report {report.id}: session of another patient")
        pending = await session.execute(
            select(Timer.patient_id, func.count())
            .where(Timer.state == "pending", Timer.kind == "reminder")
            .group_by(Timer.patient_id)
        )
        problems += [f"patient {pid}: {n} pending reminders" for pid, n in pending if n > 1]
        for patient in patients:
            if patient.hold_since is not None:
                pains = await session.scalar(
                    select(func.count()).where(
                        Report.patient_id == patient.id,
                        Report.kind == "pain",
                        Report.created_at >= patient.hold_since,
                    )
                )
                if not pains:
                    problems.append(f"patient {patient.id}: on hold without a pain report")
    return problems


async def leaks(sandbox: Sandbox, cast: Cast, private_only: str) -> list[str]:
    """Messages that went where they must not: health data in a group, one patient's code
    in another's chat, anything to a chat that never wrote to the bot."""
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work(read_only=True) as uow:
        codes = {p.telegram_user_id: p.code for p in await uow.session.scalars(select(Patient))}
    problems: list[str] = []
    allowed = {u.chat_id for u in cast.everyone} | {g.chat_id for g in cast.groups}
    for chat_id, messages in sandbox.world.sent_by_chat().items():
        if chat_id not in allowed:
            problems.append(f"{len(messages)} message(s) to unknown chat {chat_id}")
        for message in messages:
            text = message.text or ""
            if chat_id < 0 and text != private_only:
                problems.append(f"group {chat_id} got: {text[:60]!r}")
            for owner, code in codes.items():
                if code in text and owner != chat_id:
                    problems.append(f"code of {owner} shown in chat {chat_id}")
    return problems
