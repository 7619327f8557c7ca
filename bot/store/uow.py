"""The unit of work: one transaction, the repositories that share it."""

from __future__ import annotations

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
    ) -> None:
        self._session_factory = session_factory
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
        session = self._session_factory()
        self._session = session
        if self._now is not None:
            session.info[NOW] = self._now  # bot/store/stamps.py
        if self._begin_options:
            await session.connection(execution_options=self._begin_options)
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
        # close() rolls back the open transaction without expiring loaded objects, so
        # rows read here stay usable (detached) for rendering after the block.
        await self.session.close()

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
