"""Every start-up or configuration mistake of `exercise-bot run` is one or two lines on
stderr, never a traceback and never the token, with the exit code a supervisor needs:
2 for a mistake a restart cannot fix, 1 for something that is merely down (issue 12).

Each case runs the real command in a fresh process, in an empty working directory (no
stray `.env`), with Telegram pointed at a closed port: none of them may get that far.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import default_content_dir
from bot.sandbox.emulator import Emulator
from bot.store.database import Database
from tests.migrations import HEAD, NEXT, newer_code
from tests.reliability.processes import exercise_bot

TOKEN = "987654:STARTUP-ERRORS-SECRET-TOKEN"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


@dataclass
class Outcome:
    code: int
    lines: list[str]  # what the operator reads: every line that is not a JSON log record
    logs: list[dict[str, object]]
    raw: str


async def run(tmp_path: Path, *args: str, **env: str) -> Outcome:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_", "LOG_", "CONTENT_"))
    }
    base |= {
        "NO_PROXY": "127.0.0.1,localhost",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{_closed_port()}/bot",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}",
        "ALLOW_EXAMPLE_CONTENT": "true",
        "OPS_PORT": "0",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
    }
    proc = await asyncio.create_subprocess_exec(
        *exercise_bot(),
        "run",
        *args,
        cwd=tmp_path,
        env=base | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    raw = (out + err).decode()
    lines, logs = [], []
    for line in raw.splitlines():
        try:
            logs.append(json.loads(line))
        except ValueError:
            lines.append(line)
    assert proc.returncode is not None
    return Outcome(proc.returncode, lines, logs, raw)


def assert_clean(outcome: Outcome, code: int, *, at_most: int = 2) -> str:
    """The exit code, 1..at_most lines for the operator, no traceback, no token; the text."""
    assert outcome.code == code, outcome.raw
    assert 1 <= len(outcome.lines) <= at_most, outcome.raw
    assert "Traceback" not in outcome.raw
    assert TOKEN not in outcome.raw and TOKEN.split(":")[1] not in outcome.raw
    assert outcome.logs == [], outcome.raw  # nothing at WARNING or above besides the line
    return "\n".join(outcome.lines)


async def _at_a_later_revision(url: str, tmp_path: Path) -> None:
    """The database as a newer bot left it: migrated to a revision this code lacks."""
    db = Database(url, script_location=newer_code(tmp_path))
    try:
        await db.upgrade()
    finally:
        await db.dispose()


# --- the content -----------------------------------------------------------------------------


async def test_example_content_is_refused_unless_allowed(tmp_path: Path) -> None:
    text = assert_clean(await run(tmp_path, ALLOW_EXAMPLE_CONTENT="false"), 2, at_most=1)
    assert "example clinic" in text and "CONTENT_DIR" in text
    assert "ALLOW_EXAMPLE_CONTENT=true" in text


async def test_own_content_without_the_example_flag_gets_past_the_check(tmp_path: Path) -> None:
    own = tmp_path / "clinic"
    shutil.copytree(default_content_dir(), own)
    clinic = own / "clinic.yaml"
    clinic.write_text(clinic.read_text().replace("example: true\n", ""), encoding="utf-8")
    outcome = await run(tmp_path, ALLOW_EXAMPLE_CONTENT="false", CONTENT_DIR=str(own))
    # it went on to Telegram, which is not there (exit 1: restart later)
    assert "Bot API server" in assert_clean(outcome, 1, at_most=1)


async def test_invalid_content_lists_each_problem_and_nothing_else(tmp_path: Path) -> None:
    broken = tmp_path / "clinic"
    shutil.copytree(default_content_dir(), broken)
    (broken / "safety.yaml").unlink()
    program = broken / "programs" / "lower-back.yaml"
    program.write_text(program.read_text().replace("  - arm-leg-raises", "  - bird-dgo"))
    outcome = await run(tmp_path, CONTENT_DIR=str(broken))
    text = assert_clean(outcome, 2, at_most=2)
    assert f"{broken / 'safety.yaml'}: missing file" in text
    assert "refers to exercise 'bird-dgo'" in text


async def test_a_language_missing_a_safety_text_is_refused_naming_it(tmp_path: Path) -> None:
    """Issue 16: a translation without the pain advice must never reach a patient."""
    partial = tmp_path / "clinic"
    shutil.copytree(default_content_dir(), partial)
    spanish = partial / "texts" / "es.yaml"
    lines = spanish.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("advice_pain:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    spanish.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    outcome = await run(tmp_path, CONTENT_DIR=str(partial))
    text = assert_clean(outcome, 2, at_most=2)
    assert f"{spanish}: advice_pain:" in text


async def test_a_default_language_the_content_lacks_is_refused(tmp_path: Path) -> None:
    """DEFAULT_LANGUAGE is what patients of other languages and the staff chat read: it
    must be a language of the content ("es" is; a "de" without its files is not)."""
    text = assert_clean(await run(tmp_path, DEFAULT_LANGUAGE="de"), 2, at_most=1)
    assert text.startswith("DEFAULT_LANGUAGE=de is not a language of the content")
    assert "(it has: en, es)" in text and "docs/CONTENT.md" in text
    outcome = await run(tmp_path, DEFAULT_LANGUAGE="es")  # then on to Telegram (not there)
    assert "Bot API server" in assert_clean(outcome, 1, at_most=1)


# --- the settings ----------------------------------------------------------------------------


async def test_invalid_settings_are_one_line_each_naming_the_variable(tmp_path: Path) -> None:
    outcome = await run(tmp_path, LOG_FORMAT="yaml", WEB_PORT="abc")
    text = assert_clean(outcome, 2)
    assert outcome.lines[0].startswith("LOG_FORMAT: ") and "'yaml'" in outcome.lines[0]
    assert outcome.lines[1].startswith("WEB_PORT: ") and "'abc'" in outcome.lines[1]
    assert "pydantic" not in text


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"WEBHOOK_URL": ""}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://bot.example.org/webhook"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "https://x.example/webhook", "WEBHOOK_SECRET": "a b"}, "WEBHOOK_SECRET"),
    ],
)
async def test_webhook_mode_without_its_settings_binds_nothing(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    with socket.socket() as taken:  # if anything tried to listen here, it would fail loudly
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        outcome = await run(tmp_path, "--webhook", WEB_PORT=port, OPS_PORT=port, **env)
    text = assert_clean(outcome, 2, at_most=1)
    assert text.startswith(variable)


# --- the database ----------------------------------------------------------------------------


async def test_postgresql_without_asyncpg_says_which_url_to_use(tmp_path: Path) -> None:
    url = "postgresql://clinic:hunter2-password@127.0.0.1:5432/bot"
    text = assert_clean(await run(tmp_path, DATABASE_URL=url), 2, at_most=1)
    assert "postgresql+asyncpg://clinic:***@127.0.0.1:5432/bot" in text
    assert "hunter2" not in text


async def test_an_unknown_database_host_is_retried_later(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://bot:hunter2-password@db.invalid:5432/bot"
    text = assert_clean(await run(tmp_path, DATABASE_URL=url), 1, at_most=1)
    assert "cannot resolve the database host db.invalid" in text and "hunter2" not in text


async def test_a_database_that_is_down_is_retried_later(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://bot:hunter2-password@127.0.0.1:{_closed_port()}/bot"
    text = assert_clean(await run(tmp_path, DATABASE_URL=url), 1, at_most=1)
    assert text.startswith("cannot reach the database") and "is it running?" in text
    assert "hunter2" not in text


@pytest.mark.postgres
async def test_a_refused_login_and_a_missing_database_are_mistakes(
    tmp_path: Path, postgres_url: str
) -> None:
    host = postgres_url.split("@", 1)[1].rsplit("/", 1)[0]
    wrong_user = f"postgresql+asyncpg://no_such_role:hunter2-password@{host}/postgres"
    text = assert_clean(await run(tmp_path, DATABASE_URL=wrong_user), 2, at_most=1)
    assert text.startswith("the database refused the login") and "hunter2" not in text
    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_database_here"
    text = assert_clean(await run(tmp_path, DATABASE_URL=missing), 2, at_most=1)
    assert text.startswith("the database does not exist")


async def test_a_sqlite_file_under_a_file_is_a_mistake(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("x")
    url = f"sqlite+aiosqlite:///{tmp_path / 'not-a-folder' / 'bot.db'}"
    text = assert_clean(await run(tmp_path, DATABASE_URL=url), 2, at_most=1)
    assert "is a file, not a folder" in text


async def test_a_sqlite_file_in_a_read_only_folder_is_a_mistake(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: a read-only folder is writable")
        url = f"sqlite+aiosqlite:///{folder / 'bot.db'}"
        text = assert_clean(await run(tmp_path, DATABASE_URL=url), 2, at_most=1)
        assert text.startswith("cannot write the SQLite file")
    finally:
        folder.chmod(0o755)


async def test_a_missing_sqlite_folder_is_created(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new' / 'deeper' / 'bot.db'}"
    outcome = await run(tmp_path, DATABASE_URL=url)
    assert "Bot API server" in assert_clean(outcome, 1, at_most=1)  # got as far as Telegram
    assert (tmp_path / "new" / "deeper" / "bot.db").is_file()


async def test_an_empty_database_without_auto_migrate(tmp_path: Path) -> None:
    text = assert_clean(await run(tmp_path, AUTO_MIGRATE="false"), 2, at_most=1)
    assert "empty and AUTO_MIGRATE=false" in text and "exercise-bot db upgrade" in text


async def test_a_schema_newer_than_the_code(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    await _at_a_later_revision(url, tmp_path)
    text = assert_clean(await run(tmp_path, DATABASE_URL=url), 2, at_most=1)
    assert f"at {NEXT}, ahead of this code" in text


def test_an_old_schema_without_auto_migrate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The next release (which ships a later migration) started on this release's database."""
    (tmp_path / "data").mkdir()
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"

    async def at_head() -> None:
        db = Database(url)
        await db.upgrade()
        await db.dispose()

    asyncio.run(at_head())
    monkeypatch.setattr("bot.store.database.MIGRATIONS_DIR", newer_code(tmp_path))
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": url,
        "AUTO_MIGRATE": "false",
        "ALLOW_EXAMPLE_CONTENT": "true",
        "LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(key, value)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"at {HEAD}, behind this code (head {NEXT}), and AUTO_MIGRATE=false" in err


# --- the ports ---------------------------------------------------------------------------------


async def test_an_ops_port_in_use_is_one_line_and_retried_later(tmp_path: Path) -> None:
    async with Emulator(token=TOKEN) as emulator:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = str(taken.getsockname()[1])
            outcome = await run(
                tmp_path,
                OPS_PORT=port,
                TELEGRAM_API_BASE_URL=emulator.base_url,
                TELEGRAM_API_FILE_URL=emulator.base_file_url,
            )
    text = assert_clean(outcome, 1, at_most=1)
    assert text.startswith(f"cannot listen on 127.0.0.1:{port}") and "OPS_PORT" in text


# --- anything else -----------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError(f"something nobody expected, near {TOKEN}")

    monkeypatch.setattr("bot.run.run_bot", broken)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("LOG_FORMAT", "json")
    try:
        assert main(["run"]) == 1
    finally:
        import logging

        logging.getLogger().handlers.clear()  # logs.configure pointed it at this test's stderr
    err = capsys.readouterr().err
    lines = err.splitlines()
    said = [line for line in lines if not line.startswith("{")]
    assert said == [
        "exercise-bot run stopped on an unexpected RuntimeError; its traceback is in the log "
        "(event run.crashed)"
    ]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    crash = next(r for r in records if r["event"] == "run.crashed")
    assert crash["level"] == "critical" and "something nobody expected" in crash["traceback"]
    assert TOKEN not in err and TOKEN.split(":")[1] not in err  # redacted
