"""Engine, connection settings and migrations for one database URL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.store.uow import UnitOfWork

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SchemaStatus = Literal["current", "behind", "empty", "ahead"]

# Execution option read by the SQLite "begin" hook; see ``_configure_sqlite``.
SQLITE_BEGIN_OPTION = "bot_sqlite_begin"


def alembic_config(url: str | None = None, *, script_location: Path | str | None = None) -> Config:
    """An Alembic config built in code, so no ``alembic.ini`` has to ship or be found."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location or MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    """WAL, enforced foreign keys, and transactions that take the write lock up front.

    The driver's own transaction handling is switched off and SQLAlchemy's "begin" emits
    ``BEGIN IMMEDIATE``: in WAL mode a deferred transaction that reads and then writes
    fails at once with "database is locked" if another connection wrote in between (the
    busy timeout does not apply to that case). Taking the lock at BEGIN makes every
    writing unit of work wait its turn instead, which also serialises timer claims across
    processes sharing the file. Read-only units of work ask for a plain ``BEGIN``.
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql("BEGIN" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


class Database:
    """One database: the async engine, the session factory, and schema migrations."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        sqlite_busy_timeout_ms: int = 15_000,
        script_location: Path | str | None = None,
    ) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, pool_pre_ping=not url.startswith("sqlite")
        )
        self.dialect: str = self.engine.dialect.name
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, sqlite_busy_timeout_ms)
        self._session_factory = async_sessionmaker(self.engine, expire_on_commit=False)
        self._script_location = script_location or MIGRATIONS_DIR

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work. ``read_only`` lets SQLite readers skip the write lock."""
        begin_options = (
            {SQLITE_BEGIN_OPTION: "DEFERRED"} if read_only and self.dialect == "sqlite" else None
        )
        return UnitOfWork(self._session_factory, self.dialect, begin_options=begin_options)

    def _alembic_config(self, connection: Connection | None = None) -> Config:
        cfg = alembic_config(script_location=self._script_location)
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg

    async def upgrade(self, revision: str = "head") -> None:
        """Run Alembic migrations up to ``revision`` on this database."""

        def run(connection: Connection) -> None:
            command.upgrade(self._alembic_config(connection), revision)

        async with self.engine.begin() as conn:
            await conn.run_sync(run)

    async def schema_status(self) -> SchemaStatus:
        """Where the database stands against the migrations shipped with this code."""

        def status(connection: Connection) -> SchemaStatus:
            current = set(MigrationContext.configure(connection).get_current_heads())
            script = ScriptDirectory.from_config(self._alembic_config())
            if not current:
                return "empty"
            if current == set(script.get_heads()):
                return "current"
            for rev in current:
                try:
                    if script.get_revision(rev) is None:
                        return "ahead"
                except CommandError:
                    return "ahead"
            return "behind"

        async with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn = await conn.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
            return await conn.run_sync(status)

    async def ping(self, within: float = 2.0) -> bool:
        """True when the database answers a trivial query within ``within`` seconds."""
        try:
            async with asyncio.timeout(within), self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    conn = await conn.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
