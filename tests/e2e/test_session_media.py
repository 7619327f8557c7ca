"""A whole session with pictures: the real bot (bot/app.py wiring, PTB, the local Telegram,
a real database), the right picture on every step screen, one upload per file across two
sessions and a restart, and text with the description when an upload fails.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import timedelta

from bot.core import screens
from bot.sandbox.harness import Sandbox
from bot.sandbox.models import ChatEvent
from bot.sandbox.validation import UploadedFile
from bot.sandbox.world import SimUser
from tests.e2e.journeys import label, onboard, say, tap

SHOWN = ("bot_message", "bot_photo", "bot_animation", "bot_edit")
# What the patient sees on each step screen of the lower-back program, in order.
EXPECTED = [
    "photo: hook-lying-march-setup.png",
    "photo: hook-lying-march-step1.png",
    "animation: hook-lying-march.gif",
    "photo: arm-leg-raises-setup.png",
    "photo: arm-leg-raises-step1.png",
    "photo: arm-leg-raises-step2.png",
    "photo: arm-leg-raises-step3.png",
    "photo: arm-leg-raises-step4.png",
]


def shown(sandbox: Sandbox, user: SimUser) -> ChatEvent:
    """The latest screen the patient sees (a new message or an edit, not a button strip)."""
    for event in reversed(sandbox.world.events):
        if event.user_id != user.id or event.kind not in SHOWN:
            continue
        if event.extra.get("markup_only"):
            continue
        return event
    raise AssertionError("nothing shown")


def button_labels(event: ChatEvent) -> list[str]:
    return [label for row in event.buttons for label in row]


async def walk_session(sandbox: Sandbox, user: SimUser, *, run_timer: bool) -> list[str]:
    """From the intro to the feeling question, noting what each step screen shows."""
    assert shown(sandbox, user).media is None  # the intro is text
    await tap(sandbox, user, "btn_begin")
    seen: list[str] = []
    hurts = label(sandbox, "btn_hurts")
    for _ in range(30):
        event = shown(sandbox, user)
        if label(sandbox, "btn_next") not in button_labels(event) and label(
            sandbox, "btn_done"
        ) not in button_labels(event):
            break
        assert event.media_label is not None, event.text
        assert hurts in button_labels(event)  # "It hurts - stop" on every screen
        seen.append(event.media_label)
        start = label(sandbox, "btn_start_timer", seconds=30)
        if run_timer and start in button_labels(event):
            await tap(sandbox, user, start)
            running = shown(sandbox, user)
            assert running.media_label == event.media_label  # edited in place, same picture
            assert hurts in button_labels(running)
            await sandbox.advance(timedelta(seconds=31))
            after = shown(sandbox, user)  # "time is up" comes as a new message
            assert after.kind == "bot_animation" and after.media_label == event.media_label
        nxt = label(sandbox, "btn_next")
        await tap(sandbox, user, nxt if nxt in button_labels(event) else label(sandbox, "btn_done"))
    question = shown(sandbox, user)
    assert question.text == label(sandbox, "feeling_question")
    assert question.media is None
    return seen


def uploads(sandbox: Sandbox) -> Counter[str]:
    counted: Counter[str] = Counter()
    for call in sandbox.emulator.calls:
        if not call.ok:
            continue
        for value in [*call.params.values(), *call.params.get("_attachments", {}).values()]:
            if isinstance(value, UploadedFile) and value.filename:
                counted[value.filename] += 1
    return counted


async def test_every_step_shows_its_picture_each_file_uploaded_once(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await tap(sandbox, user, "btn_start_now")
    assert await walk_session(sandbox, user, run_timer=True) == EXPECTED
    await tap(sandbox, user, "btn_feel_fine")
    # The step screens were one message, edited in place, except where the timer's
    # "time is up" came as a new one; the intro and the question are text messages.
    pictures = [m for m in user.bot_messages if m.media is not None]
    assert len(pictures) == 2
    assert all(m.buttons == [] for m in pictures)  # only the newest screen can be tapped

    await sandbox.restart_bot()
    await say(sandbox, user, "/exercise")
    assert await walk_session(sandbox, user, run_timer=False) == EXPECTED
    assert set(uploads(sandbox).values()) == {1}
    assert set(uploads(sandbox)) == {name.split(": ")[1] for name in EXPECTED}


async def test_it_hurts_on_a_picture_screen_shows_the_advice_in_full(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await tap(sandbox, user, "btn_start_now")
    await tap(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_next")
    assert shown(sandbox, user).media_label == "photo: hook-lying-march-step1.png"
    await tap(sandbox, user, "btn_hurts")
    assert sandbox.services is not None
    advice = html.unescape(screens.pain_advice(sandbox.services.content, "en"))
    step = [m for m in user.bot_messages if m.media is not None]
    assert [m.buttons for m in step] == [[]]  # the picture stays, without buttons
    after = user.bot_messages[user.bot_messages.index(step[0]) + 1 :]
    assert after[0].text is not None and after[0].text.startswith(advice)  # in full, new
    assert sandbox.services.content.clinic.phone_display in advice


async def test_a_failed_upload_shows_the_step_as_text_and_the_session_goes_on(
    sandbox: Sandbox,
) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await tap(sandbox, user, "btn_start_now")
    sandbox.emulator.faults.fail_next(1, status=400, method="sendPhoto")
    await tap(sandbox, user, "btn_begin")
    assert sandbox.services is not None
    setup = sandbox.services.content.exercises["hook-lying-march"].setup_media
    assert setup is not None
    event = shown(sandbox, user)
    assert event.media is None
    assert event.text is not None and event.text.endswith(f"🖼 {setup.description}")
    assert label(sandbox, "btn_hurts") in button_labels(event)
    await tap(sandbox, user, "btn_next")  # the next step has its picture again
    assert shown(sandbox, user).media_label == "photo: hook-lying-march-step1.png"
