"""Replay a chat script against the real bot on the local Telegram, with a fake clock.

The script language (one line each) and the transcript format are documented in
docs/EXAMPLES.md. A run fails, naming the script line, when a line cannot be parsed, a tap
matches no button, the bot does not answer, or a handler raised.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.sandbox.models import ChatEvent
from bot.sandbox.world import NoSuchButton, SimUser

MAX_REPEATS = 100
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_BOT_POSTS = {"bot_message", "bot_photo", "bot_animation", "bot_video", "bot_document"}


class ScriptError(Exception):
    def __init__(self, line_no: int, line: str, reason: str) -> None:
        super().__init__(f"line {line_no}: {reason}: {line.strip()}")
        self.line_no = line_no


@dataclass(frozen=True)
class Step:
    line_no: int
    line: str
    verb: str  # say | tap | tap* | location | at | wait | user | block | unblock
    arg: str = ""


def parse_duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError("durations look like 90s, 15m, 2h or 3d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_at(text: str) -> datetime:
    parts = text.split()
    if len(parts) != 2:
        raise ValueError("write `at: 2026-03-08T06:55 America/New_York`")
    try:
        zone = ZoneInfo(parts[1])
        local = datetime.fromisoformat(parts[0])
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"cannot read the time or zone ({error})") from None
    if local.tzinfo is not None:
        raise ValueError("give a local time and a zone name, not an offset")
    return local.replace(tzinfo=zone)


def parse_script(text: str) -> list[Step]:
    steps: list[Step] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("/"):
            steps.append(Step(line_no, raw, "say", line))
            continue
        if line in ("block", "unblock"):
            steps.append(Step(line_no, raw, line))
            continue
        verb, sep, arg = line.partition(":")
        verb, arg = verb.strip(), arg.strip()
        if not sep or verb not in {"say", "tap", "tap*", "location", "at", "wait", "user"}:
            raise ScriptError(line_no, raw, "cannot parse this line")
        if not arg:
            raise ScriptError(line_no, raw, f"`{verb}:` needs a value")
        try:
            if verb == "wait":
                parse_duration(arg)
            elif verb == "at":
                parse_at(arg)
            elif verb == "location":
                lat, lon = (float(v) for v in arg.split())
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    raise ValueError("latitude or longitude out of range")
        except ValueError as error:
            raise ScriptError(line_no, raw, str(error)) from None
        steps.append(Step(line_no, raw, verb, arg))
    return steps


class Transcript:
    """Formats chat events as text lines or JSON lines.

    The bot answers a tap (the toast) side by side with its reply to it, so the two can
    reach Telegram in either order. A transcript is kept stable by writing the toast
    right after the user's action and holding the other bot events that follow an action
    until :meth:`flush` (the next action, a clock line, a note, the end of a step).
    """

    def __init__(self, emit: Callable[[str], None], *, as_json: bool, zone: ZoneInfo) -> None:
        self.emit = emit
        self.as_json = as_json
        self.zone = zone
        self.names: dict[int, str] = {}
        self._held: list[ChatEvent] | None = None  # None: not after a user's action

    def event(self, event: ChatEvent) -> None:
        if event.kind.startswith("user_"):
            self.flush()
            self._write(event)
            self._held = []
        elif self._held is None or event.kind == "bot_toast":
            self._write(event)
        else:
            self._held.append(event)

    def flush(self) -> None:
        """Write the bot events held since the last action."""
        held, self._held = self._held or [], None
        for event in held:
            self._write(event)

    def _write(self, event: ChatEvent) -> None:
        name = self.names.get(event.user_id, str(event.user_id))
        if self.as_json:
            self.emit(json.dumps(self._json(event, name), ensure_ascii=False))
            return
        text = event.text or ""
        if event.kind in ("user_text", "user_command"):
            self.emit(f"user> {text or '(sticker)'}")
        elif event.kind == "user_media":
            self._lines(f"user ({event.media_label})> ", text, [])
        elif event.kind == "user_tap":
            self.emit(f"user taps [{text}]" if text else "user taps (raw data)")
        elif event.kind == "user_location":
            self.emit(
                f"user> (location {event.extra.get('latitude')} {event.extra.get('longitude')})"
            )
        elif event.kind in _BOT_POSTS or event.kind == "bot_edit":
            self._lines(_bot_prefix(event), text, event.buttons)
        elif event.kind == "bot_toast":
            if text:
                self.emit(f"bot (toast)> {text}")
        elif event.kind == "bot_delete":
            self.emit(f"bot (delete #{event.message_id})")

    @staticmethod
    def _json(event: ChatEvent, name: str) -> dict[str, object]:
        media = event.media
        return {
            "kind": event.kind,
            "user": name,
            "at": event.at.isoformat(),
            "text": event.text,
            "buttons": event.buttons,
            "message_id": event.message_id,
            "media": {"kind": media["kind"], "name": media["name"]} if media else None,
        }

    def _lines(self, prefix: str, text: str, buttons: list[list[str]]) -> None:
        """A message: first line after the prefix, the rest indented, then its buttons."""
        lines = text.split("\n")
        self.emit(prefix + lines[0] if lines[0] else prefix.rstrip())  # a bare picture
        for line in lines[1:]:
            self.emit("     " + line if line else "")
        for row in buttons:
            self.emit("  " + " ".join(f"[{label}]" for label in row))

    def clock(self, instant: datetime) -> None:
        self.flush()
        local = instant.astimezone(self.zone)
        if self.as_json:
            self.emit(json.dumps({"kind": "clock", "at": instant.isoformat()}))
        else:
            self.emit(f"clock> {local:%Y-%m-%d %H:%M} {local.tzname()}")

    def note(self, text: str) -> None:
        self.flush()
        if not self.as_json:
            self.emit(text)


def _bot_prefix(event: ChatEvent) -> str:
    """`bot> `, `bot (photo: march-1.png)> `, `bot (edit #3)> `, `bot (edit #3, photo: x)> `."""
    notes = [f"edit #{event.message_id}"] if event.kind == "bot_edit" else []
    if event.media_label:
        notes.append(event.media_label)
    return f"bot ({', '.join(notes)})> " if notes else "bot> "


class _ErrorCatcher(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(record.getMessage())


class ScriptRunner:
    def __init__(self, sandbox, transcript: Transcript) -> None:  # type: ignore[no-untyped-def]
        self.sandbox = sandbox
        self.out = transcript
        self.users: dict[str, SimUser] = {}
        self.current: SimUser | None = None
        self.catcher = _ErrorCatcher()

    async def run(self, steps: list[Step]) -> None:
        self.sandbox.world.add_listener(self.out.event)
        logging.getLogger().addHandler(self.catcher)
        try:
            for step in steps:
                await self._run_step(step)
                self.out.flush()
        finally:
            self.out.flush()
            logging.getLogger().removeHandler(self.catcher)

    def _user(self) -> SimUser:
        if self.current is None:
            self._switch("Alex", "en")
        assert self.current is not None
        return self.current

    def _switch(self, name: str, lang: str) -> None:
        if name not in self.users:
            user = self.sandbox.world.create_user(first_name=name, language_code=lang)
            self.users[name] = user
            self.out.names[user.id] = name
        self.current = self.users[name]

    async def _act(self, step: Step, action: Callable[[], object]) -> None:
        calls_before = self._answers()
        errors_before = len(self.catcher.errors)
        try:
            action()
        except NoSuchButton as error:
            raise ScriptError(step.line_no, step.line, str(error)) from None
        try:
            await self.sandbox.settle()
        except TimeoutError:
            raise ScriptError(step.line_no, step.line, "the bot did not answer in time") from None
        if len(self.catcher.errors) > errors_before:
            raise ScriptError(
                step.line_no, step.line, f"the bot raised an error ({self.catcher.errors[-1]})"
            )
        if self._answers() == calls_before and not (self.current and self.current.blocked):
            raise ScriptError(step.line_no, step.line, "no reply from the bot")

    def _answers(self) -> int:
        return sum(
            1
            for call in self.sandbox.emulator.calls
            if call.method.lower()
            not in ("getupdates", "getme", "setmycommands", "deletewebhook", "setwebhook")
        )

    async def _run_step(self, step: Step) -> None:
        if step.verb == "user":
            parts = step.arg.split()
            lang = next((p[5:] for p in parts[1:] if p.startswith("lang=")), "en")
            self._switch(parts[0], lang)
            self.out.note(f"--- {parts[0]} ---")
        elif step.verb == "say":
            user = self._user()
            await self._act(step, lambda: user.send_text(step.arg))
        elif step.verb in ("tap", "tap*"):
            await self._tap(step)
        elif step.verb == "location":
            user = self._user()
            lat, lon = (float(v) for v in step.arg.split())
            await self._act(step, lambda: user.share_location(lat, lon))
        elif step.verb == "block":
            self._user().block()
            self.out.note("(user blocks the bot)")
        elif step.verb == "unblock":
            self._user().unblock()
            self.out.note("(user unblocks the bot)")
        elif step.verb == "at":
            target = parse_at(step.arg)
            self.out.zone = target.tzinfo  # type: ignore[assignment]
            if target < self.sandbox.clock.now():
                raise ScriptError(step.line_no, step.line, "the clock only moves forward")
            await self._advance(step, target)
        elif step.verb == "wait":
            await self._advance(step, self.sandbox.clock.now() + parse_duration(step.arg))

    async def _advance(self, step: Step, target: datetime) -> None:
        errors_before = len(self.catcher.errors)
        await self.sandbox.advance_to(target)
        self.out.clock(self.sandbox.clock.now())
        if len(self.catcher.errors) > errors_before:
            raise ScriptError(
                step.line_no, step.line, f"the bot raised an error ({self.catcher.errors[-1]})"
            )

    def _matcher(self, arg: str) -> dict[str, str]:
        """``label`` or ``pattern`` (for ``/REGEX/``), as SimUser.tap takes them."""
        if len(arg) >= 2 and arg.startswith("/") and arg.endswith("/"):
            return {"pattern": arg[1:-1]}
        return {"label": arg}

    @staticmethod
    def _press(user: SimUser, how: dict[str, str]) -> int:
        return user.tap(label=how.get("label"), pattern=how.get("pattern"))

    async def _tap(self, step: Step) -> None:
        user = self._user()
        how = self._matcher(step.arg)
        if step.verb == "tap":
            await self._act(step, lambda: self._press(user, how))
            return
        taps = 0
        while taps < MAX_REPEATS:
            message = user.last_bot_message(with_buttons=True)
            labels = [b.text for row in (message.buttons if message else []) for b in row]
            if not any(self._matches(how, label) for label in labels):
                break
            await self._act(step, lambda: self._press(user, how))
            taps += 1
        if taps == 0:
            raise ScriptError(step.line_no, step.line, "no button matches")

    @staticmethod
    def _matches(how: dict[str, str], label: str) -> bool:
        if "label" in how:
            return label == how["label"]
        return re.search(how["pattern"], label, re.IGNORECASE) is not None


async def run_script(
    path: Path,
    *,
    as_json: bool = False,
    emit: Callable[[str], None] = print,
    database_url: str | None = None,
    content_dir: Path | None = None,
) -> None:
    """Parse and replay a script file, printing the transcript. Raises ScriptError."""
    import tempfile

    from bot.sandbox.harness import Sandbox

    steps = parse_script(path.read_text(encoding="utf-8"))  # noqa: ASYNC240 - before any I/O
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'script.db'}"
        sandbox = Sandbox(database_url=url, content_dir=content_dir)
        transcript = Transcript(emit, as_json=as_json, zone=ZoneInfo("UTC"))
        async with sandbox:
            await ScriptRunner(sandbox, transcript).run(steps)
