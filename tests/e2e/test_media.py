"""Pictures over the real request path: PTB (our aiohttp transport) against the local
Telegram, file ids in a real database (SQLite and PostgreSQL).

Each file is uploaded once per bot and reused across sends and restarts; a changed file is
uploaded again; a failed upload never blocks the screen (text with the description); a
picture message is edited in place; between text and picture messages a new message
replaces the old one, whose buttons go.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, delete, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application, ApplicationBuilder

from bot.content import default_content_dir
from bot.core.callbacks import Action, Callback
from bot.core.clock import FakeClock
from bot.core.media import ScreenMedia
from bot.core.screens import Button, Screen
from bot.sandbox.emulator import Emulator
from bot.sandbox.models import ApiCall, ChatMessage
from bot.sandbox.validation import UploadedFile
from bot.sandbox.world import SimUser
from bot.services.replies import Reply
from bot.store import Database, MediaFile
from bot.telegram import retries
from bot.telegram.media import MediaLibrary, text_instead
from bot.telegram.render import deliver, send
from bot.telegram.transport import aiohttp_requests
from tests.sandbox.emu_helpers import png

SETUP = ScreenMedia("media/hook-lying-march-setup.png", "photo", "Lying on the back, knees bent.")
STEP1 = ScreenMedia("media/hook-lying-march-step1.png", "photo", "The belly pulled in.")
MARCH = ScreenMedia(
    "media/hook-lying-march.gif",
    "animation",
    "Feet lifting in turn.",
    still="media/hook-lying-march-step2.png",
)
CAPTION = "<b>Marching on your back</b>\nStep 1 of 3\n\nLie on your back &amp; relax."
SHOWN_CAPTION = "Marching on your back\nStep 1 of 3\n\nLie on your back & relax."
MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton("Next", callback_data="n")]])


def screen(text: str, media: ScreenMedia | None = None, rev: int = 0) -> Screen:
    buttons = (
        (Button("Next", Callback(Action.NEXT, 1, rev)),),
        (Button("It hurts - stop", Callback(Action.HURTS, 1, rev)),),
    )
    return Screen(text, buttons, media)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A copy of the bundled pictures, so a test may change one."""
    target = tmp_path / "content"
    shutil.copytree(default_content_dir() / "media", target / "media")
    return target


@pytest.fixture
def user(emu: Emulator) -> SimUser:
    return emu.world.create_user()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retries, "RETRY_DELAYS", (0.01, 0.01))


@asynccontextmanager
async def running_bot(emu: Emulator) -> AsyncIterator[Bot]:
    """A fresh Application, as after a restart: nothing in memory from before."""
    calls, updates = aiohttp_requests()
    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .request(calls)
        .get_updates_request(updates)
        .updater(None)
        .build()
    )
    await app.initialize()
    try:
        yield app.bot
    finally:
        await app.shutdown()


def calls(emu: Emulator, method: str) -> list[ApiCall]:
    return [c for c in emu.calls if c.method == method and c.ok]


def uploads(emu: Emulator, method: str, field: str) -> list[ApiCall]:
    return [c for c in calls(emu, method) if isinstance(c.params[field], UploadedFile)]


def labels(message: ChatMessage) -> list[str]:
    return [label for row in message.labels for label in row]


def last(user: SimUser) -> ChatMessage:
    message = user.last_bot_message()
    assert message is not None
    return message


# --- upload once ---------------------------------------------------------------------------


async def test_one_upload_per_file_across_sends_and_a_restart(
    emu: Emulator, user: SimUser, content_dir: Path, database_url: str
) -> None:
    for _ in range(2):  # two runs of the bot: new Application, new library, same database
        database = Database(database_url)
        await database.upgrade()
        try:
            async with running_bot(emu) as bot:
                library = MediaLibrary(database, content_dir, FakeClock())
                for media in (SETUP, SETUP, MARCH, MARCH):
                    await library.send_media(bot, user.id, media, CAPTION, MARKUP)
        finally:
            await database.dispose()
    assert len(uploads(emu, "sendPhoto", "photo")) == 1
    assert len(uploads(emu, "sendAnimation", "animation")) == 1
    assert len(calls(emu, "sendPhoto")) == 4
    assert len(calls(emu, "sendAnimation")) == 4
    photos = [m for m in user.bot_messages if m.media_kind == "photo"]
    assert {m.file_name for m in photos} == {"hook-lying-march-setup.png"}
    assert {m.text for m in user.bot_messages} == {SHOWN_CAPTION}
    assert all(labels(m) == ["Next"] for m in user.bot_messages)
    first = calls(emu, "sendPhoto")[0]
    assert first.params["photo"].filename == "hook-lying-march-setup.png"


async def test_a_changed_file_is_uploaded_again(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    async with running_bot(emu) as bot:
        library = MediaLibrary(db, content_dir, FakeClock())
        await library.send_media(bot, user.id, SETUP, CAPTION, None)
        (content_dir / SETUP.path).write_bytes(png(800, 500))  # the clinic's new picture
        await library.send_media(bot, user.id, SETUP, CAPTION, None)
        await library.send_media(bot, user.id, SETUP, CAPTION, None)
    sent = uploads(emu, "sendPhoto", "photo")
    assert len(sent) == 2
    assert sent[1].params["photo"].data == png(800, 500)
    ids = [m.media.file_id for m in user.bot_messages if m.media is not None]
    assert ids[0] != ids[1] == ids[2]


async def test_a_file_swapped_for_a_link_outside_is_never_read(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database, tmp_path: Path
) -> None:
    """A path seen before costs one stat; once the file changes it is checked again,
    before it is read, so a link bent outside the content directory is refused."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(640, 480))
    async with running_bot(emu) as bot:
        library = MediaLibrary(db, content_dir, FakeClock())
        await library.send_media(bot, user.id, SETUP, CAPTION, None)
        (content_dir / SETUP.path).unlink()
        (content_dir / SETUP.path).symlink_to(secret)
        await library.send_media(bot, user.id, SETUP, CAPTION, None)
    assert [c.params["photo"].filename for c in uploads(emu, "sendPhoto", "photo")] == [
        "hook-lying-march-setup.png"
    ]
    assert not [
        c
        for c in uploads(emu, "sendPhoto", "photo")
        if c.params["photo"].data == secret.read_bytes()
    ]
    assert last(user).text == f"{SHOWN_CAPTION}\n\n🖼 {SETUP.description}"


async def test_a_file_moved_outside_behind_a_link_is_not_uploaded_from_there(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database, tmp_path: Path
) -> None:
    """The same bytes and times behind a link outside: the cached hash still matches, but
    an upload (here: the id was lost) checks the path again before it reads the file."""
    async with running_bot(emu) as bot:
        library = MediaLibrary(db, content_dir, FakeClock())
        await library.send_media(bot, user.id, SETUP, CAPTION, None)
        outside = tmp_path / "moved.png"
        shutil.move(content_dir / SETUP.path, outside)  # keeps the modification time
        (content_dir / SETUP.path).symlink_to(outside)
        library._ids.clear()  # the id lost: an upload is needed
        async with db.unit_of_work() as uow:
            await uow.session.execute(delete(MediaFile))
            await uow.commit()
        await library.send_media(bot, user.id, SETUP, CAPTION, None)
    assert len(uploads(emu, "sendPhoto", "photo")) == 1
    assert last(user).text == f"{SHOWN_CAPTION}\n\n🖼 {SETUP.description}"


async def test_each_bot_uploads_its_own_copy(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    """A file id is valid for one bot only: another token (another bot id) uploads again."""
    async with db.unit_of_work() as uow:
        assert await uow.media_files.file_id(1, "x" * 64, "photo") is None
    async with running_bot(emu) as bot:
        library = MediaLibrary(db, content_dir, FakeClock())
        await library.send_media(bot, user.id, SETUP, CAPTION, None)
        async with db.unit_of_work() as uow:
            rows = (await uow.session.execute(_all_rows())).scalars().all()
        assert [(r.bot_id, r.kind, r.name) for r in rows] == [(bot.id, "photo", SETUP.path)]
        async with db.unit_of_work() as uow:  # the same bytes, as if another bot sent them
            await uow.media_files.remember(
                bot.id + 1, rows[0].sha256, "photo", "other-bots-id", "x", now=FakeClock().now()
            )
            await uow.commit()
        await library.send_media(bot, user.id, SETUP, CAPTION, None)
    assert len(uploads(emu, "sendPhoto", "photo")) == 1  # its own id, not the other bot's


def _all_rows() -> Select[tuple[MediaFile]]:
    return select(MediaFile).order_by(MediaFile.bot_id)


async def test_an_id_telegram_no_longer_knows_is_forgotten_and_the_file_uploaded(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    async with running_bot(emu) as bot:
        library = MediaLibrary(db, content_dir, FakeClock())
        await library.send_media(bot, user.id, SETUP, CAPTION, None)
        async with db.unit_of_work() as uow:
            row = (await uow.session.execute(_all_rows())).scalars().one()
            await uow.media_files.remember(
                row.bot_id, row.sha256, "photo", "AgACAgIAAxkBAAgone", row.name, now=row.uploaded_at
            )
            await uow.commit()
        fresh = MediaLibrary(db, content_dir, FakeClock())  # after a restart: only the table
        message = await fresh.send_media(bot, user.id, SETUP, CAPTION, None)
    assert message.photo
    refused = [c for c in emu.calls if c.method == "sendPhoto" and not c.ok]
    assert [c.description for c in refused] == [
        "Bad Request: wrong file identifier/HTTP URL specified"
    ]
    assert len(uploads(emu, "sendPhoto", "photo")) == 2
    async with db.unit_of_work() as uow:
        stored = await uow.media_files.file_id(row.bot_id, row.sha256, "photo")
    assert stored == message.photo[-1].file_id


# --- never blocking ------------------------------------------------------------------------


async def test_a_refused_upload_becomes_text_with_the_description(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    async with running_bot(emu) as bot:
        library = MediaLibrary(db, content_dir, FakeClock())
        emu.faults.fail_next(
            1, status=400, method="sendPhoto", description="Bad Request: IMAGE_PROCESS_FAILED"
        )
        message = await library.send_media(bot, user.id, SETUP, CAPTION, MARKUP)
        assert message.text is not None and message.photo == ()
        shown = last(user)
        assert shown.media is None
        assert shown.text == f"{SHOWN_CAPTION}\n\n🖼 {SETUP.description}"
        assert labels(shown) == ["Next"]
        # Refused for its bytes: not offered again by this process...
        await library.send_media(bot, user.id, SETUP, CAPTION, MARKUP)
        assert last(user).media is None
        assert len([c for c in emu.calls if c.method == "sendPhoto"]) == 1
        # ...but another file still goes out as a picture.
        await library.send_media(bot, user.id, STEP1, CAPTION, MARKUP)
        assert last(user).file_name == "hook-lying-march-step1.png"
    async with running_bot(emu) as bot:  # a restart tries again
        await MediaLibrary(db, content_dir, FakeClock()).send_media(
            bot, user.id, SETUP, CAPTION, MARKUP
        )
    assert last(user).file_name == "hook-lying-march-setup.png"


async def test_a_failing_upload_is_text_now_and_a_picture_next_time(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    async with running_bot(emu) as bot:
        library = MediaLibrary(db, content_dir, FakeClock())
        emu.faults.fail_next(3, status=502, method="sendPhoto")  # every attempt of one send
        await library.send_media(bot, user.id, SETUP, CAPTION, MARKUP)
        assert last(user).media is None
        assert last(user).text is not None and SETUP.description in last(user).text
        await library.send_media(bot, user.id, SETUP, CAPTION, MARKUP)
        assert last(user).file_name == "hook-lying-march-setup.png"


async def test_an_animation_that_cannot_be_sent_is_replaced_by_its_still(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    async with running_bot(emu) as bot:
        library = MediaLibrary(db, content_dir, FakeClock())
        emu.faults.fail_next(1, status=400, method="sendAnimation")
        await library.send_media(bot, user.id, MARCH, CAPTION, MARKUP)
    shown = last(user)
    assert (shown.media_kind, shown.file_name) == ("photo", "hook-lying-march-step2.png")
    assert shown.text == SHOWN_CAPTION


@pytest.mark.parametrize(
    "media",
    [
        ScreenMedia("media/missing.png", "photo", "A missing picture."),
        ScreenMedia("../content/media/hook-lying-march-setup.png", "photo", "Outside."),
    ],
    ids=["missing", "outside"],
)
async def test_a_file_that_cannot_be_read_is_text(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database, media: ScreenMedia
) -> None:
    async with running_bot(emu) as bot:
        await MediaLibrary(db, content_dir, FakeClock()).send_media(
            bot, user.id, media, CAPTION, MARKUP
        )
    assert last(user).text == f"{SHOWN_CAPTION}\n\n🖼 {media.description}"
    assert not [c for c in emu.calls if c.method == "sendPhoto"]


async def test_a_caption_over_1024_characters_is_text(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    long = "<b>Title</b>\n" + "x" * 1015  # 1021 after the tags: still a caption
    async with running_bot(emu) as bot:
        library = MediaLibrary(db, content_dir, FakeClock())
        await library.send_media(bot, user.id, SETUP, long, None)
        assert last(user).media is not None
        await library.send_media(bot, user.id, SETUP, long + "&amp;" * 4, None)
    assert last(user).media is None
    assert last(user).text == "Title\n" + "x" * 1015 + "&" * 4 + f"\n\n🖼 {SETUP.description}"


async def test_without_a_database_every_send_uploads_but_still_shows_the_picture(
    emu: Emulator, user: SimUser, content_dir: Path, tmp_path: Path
) -> None:
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")
    try:
        async with running_bot(emu) as bot:
            library = MediaLibrary(broken, content_dir, FakeClock())
            await library.send_media(bot, user.id, SETUP, CAPTION, None)
            await library.send_media(bot, user.id, SETUP, CAPTION, None)
    finally:
        await broken.dispose()
    assert [m.file_name for m in user.bot_messages] == ["hook-lying-march-setup.png"] * 2
    # The id learnt from the first upload is still used from memory.
    assert len(uploads(emu, "sendPhoto", "photo")) == 1


# --- the render seam -----------------------------------------------------------------------


async def test_a_screen_with_a_picture_is_a_picture_with_the_text_as_caption(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    library = MediaLibrary(db, content_dir, FakeClock())
    async with running_bot(emu) as bot:
        await send(bot, user.id, screen(CAPTION, SETUP), media=library)
        assert last(user).file_name == "hook-lying-march-setup.png"
        assert last(user).text == SHOWN_CAPTION
        assert labels(last(user)) == ["Next", "It hurts - stop"]
        # Without a library (a chat the wiring gave none) it is text with the description.
        await send(bot, user.id, screen(CAPTION, SETUP))
        assert last(user).media is None
        assert last(user).text == f"{SHOWN_CAPTION}\n\n🖼 {SETUP.description}"


async def test_a_picture_message_is_edited_in_place(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    library = MediaLibrary(db, content_dir, FakeClock())
    async with running_bot(emu) as bot:
        first = await send(bot, user.id, screen(CAPTION, SETUP), media=library)
        step = screen("<b>Marching on your back</b>\nStep 2 of 3", STEP1, rev=1)
        reply = Reply(edit=step)
        await deliver(bot, user.id, reply, first.message_id, media=library, tapped_has_media=True)
        # The same screen again (a redelivered tap): "not modified" is fine.
        await deliver(bot, user.id, reply, first.message_id, media=library, tapped_has_media=True)
        timed = screen("<b>Marching on your back</b>\nStep 3 of 3", MARCH, rev=2)
        await deliver(
            bot, user.id, Reply(edit=timed), first.message_id, media=library, tapped_has_media=True
        )
    assert len(user.bot_messages) == 1
    message = user.bot_messages[0]
    assert (message.media_kind, message.file_name) == ("animation", "hook-lying-march.gif")
    assert message.text == "Marching on your back\nStep 3 of 3"
    assert labels(message) == ["Next", "It hurts - stop"]
    edits = calls(emu, "editMessageMedia")
    assert len(edits) == 2
    assert edits[0].params["media"]["media"].startswith("attach://")  # uploaded in the edit
    assert len(uploads(emu, "sendPhoto", "photo")) == 1


async def test_a_text_message_is_not_edited_into_a_picture(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    """Defensive: the emulator (Bot API 10.1) would allow it; Telegram long refused it."""
    library = MediaLibrary(db, content_dir, FakeClock())
    async with running_bot(emu) as bot:
        intro = await send(bot, user.id, screen("<b>Today</b>: 2 exercises"), media=library)
        await deliver(
            bot, user.id, Reply(edit=screen(CAPTION, SETUP, rev=1)), intro.message_id, media=library
        )
    old, new = user.bot_messages
    assert (old.message_id, labels(old), old.media) == (intro.message_id, [], None)
    assert old.text == "Today: 2 exercises"  # the intro stays as it was
    assert (new.file_name, labels(new)) == (
        "hook-lying-march-setup.png",
        ["Next", "It hurts - stop"],
    )
    assert not calls(emu, "editMessageMedia")


async def test_a_picture_message_is_not_edited_into_text(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    library = MediaLibrary(db, content_dir, FakeClock())
    question = screen("How did it feel?", rev=5)
    async with running_bot(emu) as bot:
        step = await send(bot, user.id, screen(CAPTION, SETUP), media=library)
        await deliver(
            bot,
            user.id,
            Reply(edit=question),
            step.message_id,
            media=library,
            tapped_has_media=True,
        )
        # Not told it was a picture: the refused text edit is noticed, and handled alike.
        step2 = await send(bot, user.id, screen(CAPTION, SETUP), media=library)
        await deliver(bot, user.id, Reply(edit=question), step2.message_id, media=library)
    pictures = [m for m in user.bot_messages if m.media is not None]
    texts = [m for m in user.bot_messages if m.media is None]
    assert [labels(m) for m in pictures] == [[], []]  # old screens keep their picture, no buttons
    assert [m.text for m in texts] == ["How did it feel?"] * 2
    assert all(labels(m) == ["Next", "It hurts - stop"] for m in texts)
    refused = [c for c in emu.calls if c.method == "editMessageText" and not c.ok]
    assert [c.description for c in refused] == [
        "Bad Request: there is no text in the message to edit"
    ]


async def test_a_picture_that_cannot_be_sent_in_an_edit_becomes_text_below(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    """The previous step's picture must not stay above the next step's words."""
    library = MediaLibrary(db, content_dir, FakeClock())
    async with running_bot(emu) as bot:
        step = await send(bot, user.id, screen(CAPTION, SETUP), media=library)
        emu.faults.fail_next(1, status=400, method="editMessageMedia")
        await deliver(
            bot,
            user.id,
            Reply(edit=screen("Step 2", STEP1, rev=1)),
            step.message_id,
            media=library,
            tapped_has_media=True,
        )
    old, new = user.bot_messages
    assert (old.file_name, old.text, labels(old)) == (
        "hook-lying-march-setup.png",
        SHOWN_CAPTION,
        [],
    )
    assert new.media is None
    assert new.text == f"Step 2\n\n🖼 {STEP1.description}"
    assert labels(new) == ["Next", "It hurts - stop"]


async def test_an_edit_of_a_deleted_picture_message_sends_the_picture_anew(
    emu: Emulator, user: SimUser, content_dir: Path, db: Database
) -> None:
    library = MediaLibrary(db, content_dir, FakeClock())
    async with running_bot(emu) as bot:
        step = await send(bot, user.id, screen(CAPTION, SETUP), media=library)
        await bot.delete_message(user.id, step.message_id)
        await deliver(
            bot,
            user.id,
            Reply(edit=screen("Step 2", STEP1, rev=1)),
            step.message_id,
            media=library,
            tapped_has_media=True,
        )
    shown = last(user)
    assert (shown.file_name, shown.text) == ("hook-lying-march-step1.png", "Step 2")


def test_text_instead_escapes_the_description() -> None:
    assert text_instead("<b>A</b>", "knees < hips & feet") == (
        "<b>A</b>\n\n🖼 <i>knees &lt; hips &amp; feet</i>"
    )
