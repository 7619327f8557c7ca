"""`exercise-bot invite`: prints the link once; only the token's hash is stored."""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.store.database import Database
from bot.store.models import Invite


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # no stray .env
    value = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", value)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return value


def _stored(url: str) -> list[Invite]:
    async def run() -> list[Invite]:
        db = Database(url)
        try:
            async with db.unit_of_work(read_only=True) as uow:
                return list(await uow.session.scalars(select(Invite)))
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_invite_prints_a_link_and_stores_its_hash(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    code = main(
        [
            "invite",
            "gentle-start",
            "--ref",
            "H-77",
            "--dose",
            "hook-lying-march.sets=3",
            "--username",
            "clinic_bot",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    found = re.search(r"https://t\.me/clinic_bot\?start=([A-Za-z0-9_-]{22})", out)
    assert found is not None
    assert "H-77" in out and "3 rounds *" in out
    (invite,) = _stored(url)
    assert invite.token_hash == hashlib.sha256(found.group(1).encode()).hexdigest()
    assert (invite.program_id, invite.clinic_ref, invite.created_by) == (
        "gentle-start",
        "H-77",
        "cli",
    )
    assert invite.dose == {"hook-lying-march": {"sets": 3}}
    assert invite.used_at is None and invite.expires_at > invite.created_at


def test_bad_arguments_are_one_line_and_store_nothing(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["invite", "neck", "--username", "b"]) == 2
    assert capsys.readouterr().err.startswith("There is no program neck.")
    assert main(["invite", "lower-back", "--dose", "arm-leg-raises.sets=50"]) == 2
    assert "arm-leg-raises.sets must be from 1 to 20" in capsys.readouterr().err
    assert main(["invite", "lower-back"]) == 2  # no --username and no token to ask with
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err
    assert _stored(url) == []
