"""Named, expiring locks (leases) in the ``locks`` table: one holder per name.

- ``dispatcher``: one dispatching process per SQLite file. Several processes may share a
  SQLite file (e.g. the bot and a ``demo`` run); only the holder sends timers.
- ``poller``: one polling process per database, on SQLite and PostgreSQL alike. Telegram
  gives updates to one ``getUpdates`` caller at a time; two pollers would fight (409).

The holder renews its lease well within ``ttl``; if it crashes, the lease simply expires
and another process takes over. A row, not a PostgreSQL advisory lock, for the poller
too: the same code and tests on both databases, it survives a database restart or a
dropped connection (an advisory lock would vanish with its connection, silently), it works
behind a transaction-mode connection pooler, and ``SELECT * FROM locks`` shows who holds
it. What it costs: after a SIGKILL the next poller waits for the lease to expire
(``Lease.take``), at most ``ttl``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select

from bot.store.database import Database
from bot.store.errors import is_outage
from bot.store.models import Lock
from bot.store.repositories import dialect_insert

log = logging.getLogger(__name__)

DISPATCH_LOCK = "dispatcher"
POLLER_LOCK = "poller"


@dataclass(frozen=True)
class LockState:
    holder: str
    expires_at: datetime


def holder_id() -> str:
    """Unique per process, also across containers that all run as pid 1."""
    return f"{secrets.token_hex(4)}@{socket.gethostname()}:{os.getpid()}"[:64]


async def acquire_lock(
    db: Database, name: str, holder_id: str, now: datetime, ttl: timedelta
) -> bool:
    """Take or renew the lock; ``False`` while another holder's lock is unexpired."""
    insert = dialect_insert(db.dialect)(Lock).values(
        name=name, holder=holder_id, expires_at=now + ttl
    )
    stmt = insert.on_conflict_do_update(
        index_elements=[Lock.name],
        set_={"holder": insert.excluded.holder, "expires_at": insert.excluded.expires_at},
        where=or_(Lock.holder == holder_id, Lock.expires_at < now),
    ).returning(Lock.holder)
    async with db.unit_of_work() as uow:
        won = (await uow.session.execute(stmt)).scalar_one_or_none()
        await uow.commit()
    return won == holder_id


async def release_lock(db: Database, name: str, holder_id: str) -> bool:
    """Give the lock up early (clean shutdown); only the holder can."""
    stmt = delete(Lock).where(Lock.name == name, Lock.holder == holder_id).returning(Lock.name)
    async with db.unit_of_work() as uow:
        released = (await uow.session.execute(stmt)).scalar_one_or_none()
        await uow.commit()
    return released is not None


async def read_lock(db: Database, name: str) -> LockState | None:
    async with db.unit_of_work(read_only=True) as uow:
        row = (
            await uow.session.execute(select(Lock.holder, Lock.expires_at).where(Lock.name == name))
        ).one_or_none()
    return None if row is None else LockState(row.holder, row.expires_at)


async def acquire_dispatch_lock(
    db: Database, holder_id: str, now: datetime, ttl: timedelta, *, name: str = DISPATCH_LOCK
) -> bool:
    return await acquire_lock(db, name, holder_id, now, ttl)


async def release_dispatch_lock(db: Database, holder_id: str, *, name: str = DISPATCH_LOCK) -> bool:
    return await release_lock(db, name, holder_id)


class Lease:
    """A lock one process holds while it runs: taken once, renewed, released at the end."""

    def __init__(
        self,
        db: Database,
        name: str,
        clock: Callable[[], datetime],
        *,
        ttl: timedelta = timedelta(seconds=15),
        holder: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self.name = name
        self._clock = clock
        self.ttl = ttl
        self.holder = holder or holder_id()
        self._monotonic = monotonic
        self.renewed: float | None = None  # monotonic time of the last successful renewal
        self.lost = False

    @property
    def renew_every(self) -> float:
        return self.ttl.total_seconds() / 3

    async def _acquire(self) -> bool:
        won = await acquire_lock(self._db, self.name, self.holder, self._clock(), self.ttl)
        if won:
            self.renewed = self._monotonic()
        return won

    async def take(self, *, check_every: float = 0.5) -> LockState | None:
        """Take the lease: None once it is ours, else the state of a holder that is alive.

        A holder that keeps renewing is alive. One that stopped (killed, or frozen) is
        waited out: its lease expires within ``ttl`` and is taken then. So a process
        restarted right after a SIGKILL takes over instead of refusing to start."""
        seen: LockState | None = None
        give_up = self._monotonic() + 2 * self.ttl.total_seconds()  # clocks may disagree
        while True:
            if await self._acquire():
                return None
            current = await read_lock(self._db, self.name)
            if current is None:  # released in between: try again at once
                continue
            if seen is not None and current != seen:
                return current  # renewed (or taken by a third): alive
            if seen is None:
                log.info("lock.waiting", extra={"lock": self.name, "holder": current.holder})
            seen = current
            if self._monotonic() > give_up:
                return current
            await asyncio.sleep(check_every)

    async def keep(self, on_lost: Callable[[], None]) -> None:
        """Renew every ``ttl / 3`` until cancelled. A database outage is waited out (the
        lease is taken again if it expired meanwhile and nobody took it); if another
        process holds it now, ``on_lost`` is called and renewing stops."""
        failing = False
        while True:
            await asyncio.sleep(self.renew_every)
            try:
                won = await self._acquire()
            except Exception as error:
                if not is_outage(error):
                    raise
                if not failing:
                    log.warning("lock.renew_failed", extra={"lock": self.name})
                failing = True
                continue
            if failing:
                log.info("lock.renewed_again", extra={"lock": self.name})
                failing = False
            if not won:
                self.lost = True
                log.error("lock.lost", extra={"lock": self.name})
                on_lost()
                return

    def age(self) -> float | None:
        """Seconds since the last renewal; None before the lease was taken."""
        return None if self.renewed is None else self._monotonic() - self.renewed

    async def release(self) -> None:
        if self.renewed is not None and not self.lost:
            await release_lock(self._db, self.name, self.holder)
