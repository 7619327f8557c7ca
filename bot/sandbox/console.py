"""``exercise-bot demo``: chat with the real bot in a terminal, on the local Telegram.

The bot's messages are printed with numbered buttons (``[1 Next] [2 It hurts - stop]``);
type a number or a label to tap, anything else is sent as a message, ``/quit`` leaves.
The clock is real, so timers and reminders fire as they would in Telegram.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.core.clock import SystemClock
from bot.sandbox.models import ChatEvent
from bot.sandbox.world import NoSuchButton, SimUser

INDENT = "     "


_SHOWN = {"bot_message", "bot_edit", "bot_photo", "bot_animation", "bot_video", "bot_document"}


def format_event(event: ChatEvent) -> list[str]:
    """The lines a console shows for one chat event (numbers the buttons).

    A picture cannot be shown in a terminal, so its file name is: `bot (photo: x.png)> `.
    """
    if event.kind == "bot_toast":
        return [f"  ({event.text})"] if event.text else []
    if event.kind not in _SHOWN:
        return []
    notes = ["updated"] if event.kind == "bot_edit" else []
    if event.media_label:
        notes.append(event.media_label)
    head = f"bot ({', '.join(notes)})> " if notes else "bot> "
    lines = (event.text or "").split("\n")
    first = head + lines[0] if lines[0] else head.rstrip()
    out = [first] + [INDENT + line if line else "" for line in lines[1:]]
    number = 1
    for row in event.buttons:
        cells = []
        for label in row:
            cells.append(f"[{number} {label}]")
            number += 1
        out.append("  " + " ".join(cells))
    return out


def resolve_tap(user: SimUser, typed: str) -> str | None:
    """The label a typed number or label refers to on the latest keyboard, if any."""
    message = user.last_bot_message(with_buttons=True)
    if message is None:
        return None
    labels = [b.text for row in message.buttons for b in row]
    if typed.isdigit() and 1 <= int(typed) <= len(labels):
        return labels[int(typed) - 1]
    lowered = typed.strip().lower()
    return next((label for label in labels if label.lower() == lowered), None)


async def _read_line(prompt: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, input, prompt)


async def run_console(*, database_url: str, content_dir: Path) -> None:
    from bot.sandbox.harness import Sandbox

    sandbox = Sandbox(
        database_url=database_url,
        content_dir=content_dir,
        clock=SystemClock(),
        dispatch_interval_seconds=1.0,
    )

    def show(event: ChatEvent) -> None:
        for line in format_event(event):
            print(line)
        sys.stdout.flush()

    async with sandbox:
        sandbox.world.add_listener(show)
        user = sandbox.world.create_user(user_id=1001, first_name="You", language_code="en")
        print("Exercise bot demo, on a local Telegram (no token, no network).")
        print("Type /start to begin; a number or a button's label taps it; /quit leaves.\n")
        while True:
            typed = (await _read_line("you> ")).strip()
            if typed in ("/quit", "/exit"):
                return
            if not typed:
                continue
            label = resolve_tap(user, typed)
            try:
                if label is not None:
                    user.tap(label)
                else:
                    user.send_text(typed)
            except NoSuchButton:
                print("  (that button is not there any more)")
                continue
            await sandbox.settle()
