"""The unit of work: one transaction, the repositories that share it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.repositories import (
    InviteRepository,
    MediaFileRepository,
    PatientRepository,
    ReportRepository,
    SessionRepository,
    TimerRepository,
)
from bot.store.stamps import NOW

log = logging.getLogger(__name__)


class WriteTurn:
    """One writing unit of work at a time in this process: SQLite's lock, taken in turn.

    SQLite allows one writer per file. Without this, every writing unit of work sends
    ``BEGIN IMMEDIATE`` and the ones that find the file locked wait in SQLite's busy
    handler, which sleeps in growing steps (up to 100 ms) in the driver's thread while the
    holder's transaction spans several event-loop turns: under concurrent taps most of
    the time went to sleeping (docs/BENCHMARKS.md). Here they queue on an asyncio lock
    instead and go in as soon as the previous one ends; the busy timeout still guards
    against other processes sharing the file. PostgreSQL needs none of this.

    Re-entrant within one task (a unit of work opened inside another of the same task
    leaves the decision to SQLite, as before), and bounded: after ``wait_at_most``
    seconds a unit of work goes ahead without its turn (SQLite's busy timeout decides
    then), so a mistake can cost a "database is locked" error, never a hang.
    """

    def __init__(self, wait_at_most: float) -> None:
        self._wait_at_most = wait_at_most
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder: asyncio.Task[object] | None = None

    async def take(self) -> bool:
        """Wait for the turn; True when taken (then :meth:`give_back` it), False when it
        goes ahead without (nested in the holder's task, or waited too long)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:  # a lock belongs to one loop
            self._loop, self._lock, self._holder = loop, asyncio.Lock(), None
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            return False
        try:
            async with asyncio.timeout(self._wait_at_most):
                await self._lock.acquire()
        except TimeoutError:
            log.warning("db.write_turn_waited_too_long", extra={"seconds": self._wait_at_most})
            return False
        self._holder = task
        return True

    def held_here(self) -> bool:
        """True when the running task holds the turn (inside its writing unit of work)."""
        task = asyncio.current_task()
        return task is not None and task is self._holder

    def give_back(self) -> None:
        assert self._lock is not None
        self._holder = None
        self._lock.release()


class UnitOfWork:
    """``async with db.unit_of_work() as uow: ...; await uow.commit()``.

    Repositories only stage and flush; nothing is durable until :meth:`commit`.
    Leaving the block rolls back whatever was not committed, so an exception (or a
    forgotten commit) never leaves half a use case behind. Objects read inside stay
    readable afterwards (``expire_on_commit=False``; nothing lazy-loads).
    """

    patients: PatientRepository
    sessions: SessionRepository
    reports: ReportRepository
    timers: TimerRepository
    media_files: MediaFileRepository
    invites: InviteRepository

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        dialect: str,
        *,
        begin_options: dict[str, Any] | None = None,
        now: Callable[[], datetime] | None = None,
        turn: WriteTurn | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._turn = turn
        self._has_turn = False
        self._now = now
        self._dialect = dialect
        self._begin_options = begin_options
        self._session: AsyncSession | None = None
        self._after_commit: list[Callable[[], object]] = []

    @property
    def session(self) -> AsyncSession:
        """The underlying session, for queries no repository offers yet."""
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work cannot be entered twice")
        if self._turn is not None:
            self._has_turn = await self._turn.take()
        session = self._session_factory()
        self._session = session
        if self._now is not None:
            session.info[NOW] = self._now  # bot/store/stamps.py
        if self._begin_options:
            try:
                await session.connection(execution_options=self._begin_options)
            except BaseException:
                await self._end()
                raise
        self.patients = PatientRepository(session)
        self.sessions = SessionRepository(session)
        self.reports = ReportRepository(session)
        self.timers = TimerRepository(session, self._dialect)
        self.media_files = MediaFileRepository(session, self._dialect)
        self.invites = InviteRepository(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._end()

    async def _end(self) -> None:
        # close() rolls back the open transaction without expiring loaded objects, so
        # rows read here stay usable (detached) for rendering after the block.
        try:
            await self.session.close()
        finally:
            if self._has_turn and self._turn is not None:
                self._has_turn = False
                self._turn.give_back()

    def on_commit(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once the next commit succeeded (never if it is rolled back).

        For what must count only what became durable, e.g. a metric: a use case that
        fails at commit (and is handled again) does not count twice."""
        self._after_commit.append(callback)

    async def commit(self) -> None:
        await self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def rollback(self) -> None:
        await self.session.rollback()
