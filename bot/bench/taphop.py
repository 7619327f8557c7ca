"""The store side of one tap alone, on PostgreSQL: ``Database.in_one_hop`` running
``bot.store.taps.tap_transaction`` N times on one session, (a) reading before each write
(a process that does not know the session) and (b) with ``KnownSessions`` (the session
this process's last tap wrote: the checked write only). No Telegram, no use case: a
decision that moves the step on. Variants interleaved over rounds, in turn.

Figures, never pass/fail: ``python -m bot.bench.taphop [N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from bot.bench.databases import fresh_postgres, postgres_admin_url, postgres_available
from bot.store import Database, ExerciseSession, Patient
from bot.store.taps import (
    KnownSessions,
    StepWrite,
    TapPatient,
    TapResult,
    TapSession,
    tap_transaction,
)

USER = 7001
VARIANTS = ("read each tap", "known sessions")


@dataclass(frozen=True)
class _Plan:
    write: StepWrite | None


def _decide(patient: TapPatient | None, session: TapSession | None) -> _Plan:
    assert patient is not None and session is not None
    values = {
        "exercises": list(session.exercises),
        "completed": list(session.completed),
        "phase": "step",
        "exercise_index": session.exercise_index,
        "step_index": (session.step_index + 1) % 5,
        "set_index": 0,
        "timer_due_at": None,
        "updated_at": datetime.now(UTC),
        "message_id": 42,
    }
    return _Plan(StepWrite(patient.id, session.id, session.rev, values))


async def _one_session(db: Database) -> int:
    async with db.unit_of_work() as uow:
        patient = await uow.patients.add(Patient(telegram_user_id=USER, chat_id=USER))
        session = await uow.sessions.add(
            ExerciseSession(
                patient_id=patient.id,
                program_id="back-basic",
                content_version="bench",
                exercises=["pelvic_tilt", "cat_cow", "bridge"],
                phase="step",
                started_at=datetime.now(UTC) - timedelta(minutes=1),
            )
        )
        await uow.commit()
        return session.id


async def _taps(
    db: Database, session_id: int, n: int, known: KnownSessions | None
) -> tuple[float, float]:
    """N taps in a row: (wall ms, CPU ms) per tap."""

    def work(conn: Connection) -> TapResult[_Plan]:
        return tap_transaction(conn, USER, session_id, _decide, known=known)

    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        result = await db.in_one_hop(work, autocommit=True)
        assert result.written
    return (time.perf_counter() - wall) * 1000 / n, (time.process_time() - cpu) * 1000 / n


async def run(n: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    figures: dict[str, list[tuple[float, float]]] = {variant: [] for variant in VARIANTS}
    async with fresh_postgres(postgres_admin_url()) as url:
        db = Database(url)
        try:
            await db.upgrade()
            session_id = await _one_session(db)
            await _taps(db, session_id, 50, None)  # warm-up: connections, prepared statements
            for round_ in range(rounds):
                order = VARIANTS if round_ % 2 == 0 else VARIANTS[::-1]
                for variant in order:
                    known = KnownSessions() if variant == "known sessions" else None
                    if known is not None:  # as after the process's first tap on it
                        await _taps(db, session_id, 1, known)
                    figures[variant].append(await _taps(db, session_id, n, known))
        finally:
            await db.dispose()
    return figures


def table(figures: dict[str, list[tuple[float, float]]]) -> str:
    base_wall = min(wall for wall, _ in figures[VARIANTS[0]])
    base_cpu = min(cpu for _, cpu in figures[VARIANTS[0]])
    lines = [f"{'variant':<16} {'wall ms/tap':>12} {'CPU ms/tap':>11} {'wall':>6} {'CPU':>6}"]
    for variant, runs in figures.items():
        wall = min(w for w, _ in runs)
        cpu = min(c for _, c in runs)
        lines.append(
            f"{variant:<16} {wall:>12.3f} {cpu:>11.3f} {wall / base_wall:>5.2f}x "
            f"{cpu / base_cpu:>5.2f}x"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.taphop", description=__doc__)
    parser.add_argument("n", nargs="?", type=int, default=2000, help="taps per run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    problem = asyncio.run(postgres_available(postgres_admin_url()))
    if problem is not None:
        print(f"PostgreSQL not reachable, nothing measured: {problem}")
        return 0
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# the store side of a tap, PostgreSQL: {args.n} taps per run, {args.rounds} rounds")
    print(f"load average before: {load}; per variant the best round")
    print(table(asyncio.run(run(args.n, args.rounds))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
