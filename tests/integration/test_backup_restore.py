"""Backup, wipe, restore: patients and pending reminders come back intact (docs/DEPLOY.md).

The backups are taken by deploy/backup.sh, the script the compose backup service and the
systemd timer run; the restores use the commands DEPLOY.md gives (pg_restore with the same
flags; `sqlite3 FILE ".restore BACKUP"` and the sqlite3 backup API).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.store import Database, Patient

ROOT = Path(__file__).resolve().parents[2]
BACKUP_SH = ROOT / "deploy" / "backup.sh"
T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)

Snapshot = tuple[list[tuple[object, ...]], list[tuple[object, ...]], dict[str, int]]


async def _populate(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
        async with db.unit_of_work() as uow:
            for n in range(1, 4):
                patient = await uow.patients.add(
                    Patient(telegram_user_id=1000 + n, chat_id=1000 + n, timezone="Europe/Berlin")
                )
                day = T0 + timedelta(days=n)
                await uow.timers.schedule(patient.id, "reminder", day, f"reminder:{n}:{day:%F}")
                await uow.timers.schedule(
                    patient.id, "snooze", day + timedelta(minutes=30), f"snooze:{n}", {"step": n}
                )
            done = await uow.timers.schedule(patient.id, "checkin", T0, "checkin:3")
            assert done is not None
            done.state = "done"
            await uow.commit()
    finally:
        await db.dispose()


async def _snapshot(url: str) -> Snapshot:
    db = Database(url)
    try:
        assert await db.schema_status() == "current"
        async with db.unit_of_work(read_only=True) as uow:
            patients = await uow.patients.get_many(range(1, 10))
            people = sorted(
                (p.id, p.telegram_user_id, p.code, p.timezone) for p in patients.values()
            )
            timers = []
            for patient_id in sorted(patients):
                for t in await uow.timers.pending_for_patient(patient_id):
                    timers.append(
                        (t.id, t.patient_id, t.kind, t.due_at, t.idempotency_key, t.payload)
                    )
            return people, timers, await uow.timers.count_by_state()
    finally:
        await db.dispose()


async def _still_writable(url: str) -> None:
    """New rows after a restore get fresh ids (the sequences came back too)."""
    db = Database(url)
    try:
        async with db.unit_of_work() as uow:
            patient = await uow.patients.add(Patient(telegram_user_id=2000, chat_id=2000))
            assert patient.id == 4
            assert await uow.timers.schedule(patient.id, "reminder", T0, "reminder:new")
            await uow.commit()
    finally:
        await db.dispose()


def _backup(tmp_path: Path, **env: str) -> Path:
    out = subprocess.run(
        ["sh", str(BACKUP_SH)],
        env={**os.environ, "BACKUP_ONCE": "1", "BACKUP_DIR": str(tmp_path / "backups"), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    (backup,) = (tmp_path / "backups").iterdir()
    assert out.stdout.strip() == f"backup: wrote {backup}"
    assert backup.stat().st_mode & 0o077 == 0  # readable by its owner only
    return backup


@pytest.mark.postgres
async def test_postgres_backup_wipe_restore(postgres_url: str, tmp_path: Path) -> None:
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump/pg_restore not installed")
    await _populate(postgres_url)
    before = await _snapshot(postgres_url)
    assert len(before[0]) == 3 and len(before[1]) == 6 and before[2] == {"pending": 6, "done": 1}

    backup = await asyncio.to_thread(_backup, tmp_path, DATABASE_URL=postgres_url)
    assert backup.name.endswith(".dump")

    # Wipe and restore as docs/DEPLOY.md says (dropdb --force, createdb, pg_restore).
    parts = urlsplit(postgres_url.replace("+asyncpg", ""))
    name = parts.path.lstrip("/")
    libpq = {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
    }
    for command in (
        ["dropdb", "--force", name],
        ["createdb", name],
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d", name, str(backup)],
    ):
        done = await asyncio.to_thread(
            subprocess.run, command, env=libpq, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (command, done.stderr)

    assert await _snapshot(postgres_url) == before
    await _still_writable(postgres_url)


async def test_sqlite_backup_wipe_restore_while_the_bot_writes(tmp_path: Path) -> None:
    path = tmp_path / "data" / "exercise-bot.db"
    path.parent.mkdir()
    url = f"sqlite+aiosqlite:///{path}"
    await _populate(url)
    # As while the bot runs: a connection open, the last writes still in the WAL file.
    live = sqlite3.connect(path)
    try:
        live.execute("PRAGMA wal_autocheckpoint=0")
        live.execute(
            "UPDATE timers SET payload = '{\"late\": 1}' WHERE idempotency_key = 'snooze:1'"
        )
        live.commit()
        assert await asyncio.to_thread(os.path.getsize, f"{path}-wal") > 0
        before = await _snapshot(url)
        backup = await asyncio.to_thread(_backup, tmp_path, DATABASE_URL=url)
    finally:
        live.close()
    assert backup.name.endswith(".sqlite3")

    for restore in ("sqlite3-cli", "python"):
        # Wipe: the file and its WAL and shared-memory companions.
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        if restore == "sqlite3-cli":
            if not shutil.which("sqlite3"):
                continue
            command = ["sqlite3", str(path), f".restore '{backup}'"]
            done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        else:
            source, target = sqlite3.connect(backup), sqlite3.connect(path)
            with target:
                source.backup(target)
            source.close()
            target.close()
        assert await _snapshot(url) == before
    await _still_writable(url)


def test_check_mode_reports_a_stale_backup_folder(tmp_path: Path) -> None:
    env = {**os.environ, "BACKUP_DIR": str(tmp_path), "BACKUP_INTERVAL_SECONDS": "3600"}
    run = ["sh", str(BACKUP_SH), "check"]
    assert subprocess.run(run, env=env, capture_output=True, check=False).returncode == 1
    (tmp_path / "exercise-bot-20260101T000000Z.dump").write_bytes(b"x")
    assert subprocess.run(run, env=env, capture_output=True, check=False).returncode == 0
    old = datetime.now().timestamp() - 3 * 3600
    os.utime(tmp_path / "exercise-bot-20260101T000000Z.dump", (old, old))
    assert subprocess.run(run, env=env, capture_output=True, check=False).returncode == 1
