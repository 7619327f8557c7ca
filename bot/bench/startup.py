"""Start-up time and peak memory: this bot (timers in the database) against one PTB
JobQueue ``run_daily`` job per patient ("the usual approach").

Each measurement is a fresh child process (``python -m bot.bench _child ...``) pointed at
an emulator served by the parent, so imports, migrations check, ``getMe`` and the first
dispatcher pass are all counted. Peak RSS is the child's own ``ru_maxrss``.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

BOT, JOBQUEUE = "bot", "jobqueue"


@dataclass(frozen=True)
class Startup:
    approach: str
    patients: int
    seconds: float
    peak_rss_mb: float
    jobs: int


async def measure(
    approach: str, db_path: Path, patients: int, base_url: str, token: str
) -> Startup:
    spawned = time.time()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.bench",
        "_child",
        approach,
        str(db_path),
        str(patients),
        base_url,
        token,
        repr(spawned),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{approach} child failed: {err.decode()[-2000:]}")
    data = json.loads(out.decode().strip().splitlines()[-1])
    return Startup(approach, patients, data["seconds"], data["rss_kb"] / 1024, data["jobs"])


async def _bot_child(db_path: str, base_url: str, token: str) -> int:
    """What `exercise-bot run` does before its first update: services, app, one pass."""
    from bot.app import build_application, build_services
    from bot.config import Settings

    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{db_path}",
        telegram_bot_token=token,
        dispatch_interval_seconds=0.0,
    )
    services = await build_services(settings)
    bot = build_application(services, token=token, base_url=base_url)
    await bot.application.initialize()
    processed = await bot.dispatcher.run_until_idle()
    _report(processed)
    await bot.application.shutdown()
    await services.db.dispose()
    return processed


async def _noop(context: object) -> None:
    return None


async def _jobqueue_child(db_path: str, patients: int, base_url: str, token: str) -> int:
    """The usual approach: load every patient at start-up, one run_daily job each."""
    from telegram.ext import ApplicationBuilder

    app = ApplicationBuilder().token(token).base_url(base_url).updater(None).build()
    assert app.job_queue is not None
    zones: dict[str, ZoneInfo] = {}
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT id, chat_id, reminder_time, timezone, reminder_days FROM patients"
            " ORDER BY id LIMIT ?",
            (patients,),
        ).fetchall()
    finally:
        conn.close()
    for patient_id, chat_id, hhmm, zone, mask in rows:
        tz = zones.get(zone) or zones.setdefault(zone, ZoneInfo(zone))
        hour, minute = (int(part) for part in hhmm.split(":"))
        # PTB counts days 0 = Sunday; the bot's mask has bit 0 = Monday.
        days = tuple((day + 1) % 7 for day in range(7) if mask >> day & 1)
        app.job_queue.run_daily(
            _noop,
            wall_time(hour, minute, tzinfo=tz),
            days=days,
            chat_id=chat_id,
            name=f"reminder:{patient_id}",
        )
    await app.initialize()
    await app.start()
    jobs = len(app.job_queue.jobs())
    _report(jobs)
    await app.stop()
    await app.shutdown()
    return jobs


_SPAWNED = 0.0


def peak_rss_kb() -> int:
    """This process's peak RSS. VmHWM, because ``ru_maxrss`` of a forked child starts
    at its parent's peak (it survives exec), which would hide the child's own figure."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _report(jobs: int) -> None:
    rss_kb = peak_rss_kb()
    print(json.dumps({"seconds": time.time() - _SPAWNED, "rss_kb": rss_kb, "jobs": jobs}))


def child_main(argv: list[str]) -> int:
    global _SPAWNED
    approach, db_path, patients, base_url, token, spawned = argv
    _SPAWNED = float(spawned)
    if approach == BOT:
        asyncio.run(_bot_child(db_path, base_url, token))
    else:
        asyncio.run(_jobqueue_child(db_path, int(patients), base_url, token))
    return 0
