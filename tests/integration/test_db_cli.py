"""`exercise-bot db current | history | upgrade | downgrade`: one line each, clear states."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.store.database import MIGRATIONS_DIR, Database
from tests.migrations import HEAD, NEXT, newer_code


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # no stray .env
    value = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", value)
    return value


def _upgrade(url: str, scripts: Path | None = None, revision: str = "head") -> None:
    async def run() -> None:
        db = Database(url, script_location=scripts)
        try:
            await db.upgrade(revision)
        finally:
            await db.dispose()

    asyncio.run(run())


def test_history_lists_the_shipped_migrations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("0001  Initial schema")
    assert lines[-1].startswith(f"{HEAD} (head)  ")
    assert len(lines) == len(list((MIGRATIONS_DIR / "versions").glob("[0-9]*.py")))


@pytest.mark.usefixtures("url")
def test_current_on_a_missing_database_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "current"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("no SQLite database at ")
    assert not (tmp_path / "data").exists()


@pytest.mark.usefixtures("url")
def test_empty_then_upgraded_then_current(capsys: pytest.CaptureFixture[str]) -> None:
    Path("data").mkdir()
    Path("data", "bot.db").touch()  # an empty SQLite file
    assert main(["db", "current"]) == 1
    assert capsys.readouterr().out.startswith("empty: no migration applied yet")
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"database upgraded: empty -> {HEAD}\n"
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"database already current ({HEAD})\n"
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out == f"{HEAD} (head): current\n"


def test_a_database_ahead_of_this_code_is_one_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("data").mkdir()
    _upgrade(url, newer_code(tmp_path))
    assert main(["db", "current"]) == 2
    out = capsys.readouterr().out
    assert out.startswith(f"{NEXT}: ahead of this code (its newest migration is {HEAD})")
    assert out.count("\n") == 1
    assert main(["db", "upgrade"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "ahead" in captured.err


def test_behind_then_upgrade_then_rollback_with_the_newer_code(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("data").mkdir()
    _upgrade(url)  # HEAD, by the code that ships now
    monkeypatch.setattr("bot.store.database.MIGRATIONS_DIR", newer_code(tmp_path))
    # The next version of the bot, which ships NEXT, looks at the same database.
    assert main(["db", "current"]) == 1
    assert capsys.readouterr().out == (
        f"{HEAD}: behind this code (head {NEXT}); run `exercise-bot db upgrade`\n"
    )
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"database upgraded: {HEAD} -> {NEXT}\n"
    # Rolling back: the newer version undoes its own migration before the old one returns.
    assert main(["db", "downgrade", HEAD]) == 0
    assert capsys.readouterr().out == f"database downgraded: {NEXT} -> {HEAD}\n"
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out == f"{HEAD} (head): current\n"


@pytest.mark.usefixtures("url")
def test_downgrade_refuses_base_and_unknown_revisions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "downgrade", "base"]) == 2
    assert "refusing to downgrade to base" in capsys.readouterr().err
    Path("data").mkdir()
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "downgrade", "9999"]) == 2
    assert capsys.readouterr().err == "9999: no such migration; see `exercise-bot db history`\n"


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("postgresql://bot:s3cret@127.0.0.1/bot", "the bot needs asyncpg: postgresql+asyncpg://"),
        ("sqlite:///data/bot.db", "the bot needs aiosqlite: sqlite+aiosqlite:///data/bot.db"),
        ("mysql://bot:s3cret@db/bot", "mysql is not supported"),
        ("not a url", "is not a database URL"),
        ("postgresql+asyncpg://bot:s3cret@127.0.0.1:1/bot", "cannot reach the database"),
    ],
)
def test_unusable_database_urls_are_one_line_without_the_password(
    database_url: str,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for command in (["db", "current"], ["db", "upgrade"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert expected in err
        assert err.count("\n") == 1
        assert "s3cret" not in err
