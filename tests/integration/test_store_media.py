"""The media_files table: one Telegram file id per bot and file content, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store import Database, MediaFile

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SHA = "a" * 64


async def test_remember_then_find_per_bot_and_kind(db: Database) -> None:
    async with db.unit_of_work() as uow:
        assert await uow.media_files.file_id(1, SHA, "photo") is None
        await uow.media_files.remember(1, SHA, "photo", "AgAC-1", "media/a.png", now=NOW)
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert await uow.media_files.file_id(1, SHA, "photo") == "AgAC-1"
        assert await uow.media_files.file_id(2, SHA, "photo") is None  # another bot
        assert await uow.media_files.file_id(1, SHA, "animation") is None  # another kind
        assert await uow.media_files.file_id(1, "b" * 64, "photo") is None  # other bytes


async def test_remember_again_replaces_and_forget_deletes(db: Database) -> None:
    big_bot = 8_000_000_000  # bot ids exceed 32 bits
    async with db.unit_of_work() as uow:
        await uow.media_files.remember(big_bot, SHA, "photo", "old", "media/a.png", now=NOW)
        await uow.media_files.remember(big_bot, SHA, "photo", "new", "media/b.png", now=NOW)
        await uow.commit()
    async with db.unit_of_work() as uow:
        row = await uow.session.get(MediaFile, (big_bot, SHA))
        assert row is not None
        assert (row.file_id, row.name, row.uploaded_at) == ("new", "media/b.png", NOW)
        await uow.media_files.forget(big_bot, SHA)
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert await uow.media_files.file_id(big_bot, SHA, "photo") is None


async def test_nothing_is_kept_without_a_commit(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.media_files.remember(1, SHA, "photo", "x", "media/a.png", now=NOW)
    async with db.unit_of_work() as uow:
        assert await uow.media_files.file_id(1, SHA, "photo") is None
