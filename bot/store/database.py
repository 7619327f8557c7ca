"""Engine, connection settings and migrations for one database URL.

Migrations are safe when several processes start at once: on PostgreSQL the upgrade runs
under a transaction-level advisory lock, on SQLite under an exclusive file lock next to the
database (and BEGIN IMMEDIATE); the second process waits, then finds the schema current.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, create_engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.core.clock import Clock, SystemClock
from bot.store.taps import KnownSessions
from bot.store.uow import UnitOfWork, WriteTurn

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SchemaStatus = Literal["current", "behind", "empty", "ahead"]
R = TypeVar("R")
# in_one_hop(autocommit=True) on PostgreSQL: connections kept, none opened beyond them (an
# overflow connection would be closed again as soon as it is returned). A hop holds one
# for its statements only (about a millisecond), so taps beyond these wait their turn
# briefly rather than open more.
HOP_POOL_SIZE = 8

# The PostgreSQL advisory lock key that serialises migrations (any fixed 64-bit number;
# this one spells "exmigrat"). Only `Database.upgrade`/`downgrade` take it.
MIGRATION_LOCK_KEY = 0x65786D6967726174

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


def _configure_sqlite(
    sync_engine: Engine, busy_timeout_ms: int, *, checkpoints: bool = True
) -> None:
    """WAL, enforced foreign keys, and transactions that take the write lock up front.

    The driver's own transaction handling is switched off and SQLAlchemy's "begin" emits
    ``BEGIN IMMEDIATE``: in WAL mode a deferred transaction that reads and then writes
    fails at once with "database is locked" if another connection wrote in between (the
    busy timeout does not apply to that case). Taking the lock at BEGIN makes every
    writing unit of work wait its turn instead, which also serialises timer claims across
    processes sharing the file. Read-only units of work ask for a plain ``BEGIN``.

    For the async engine's ``sync_engine`` and for the synchronous engines of
    :meth:`Database.in_one_hop` alike (the one used on the event loop: no busy wait, no
    checkpoints).
    """

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            if not checkpoints:  # left to the other connections (see Database.in_one_hop)
                cursor.execute("PRAGMA wal_autocheckpoint=0")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql("BEGIN" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


@dataclass(frozen=True)
class Migration:
    """One migration shipped with this code, for `exercise-bot db history`."""

    revision: str
    down_revision: str | None
    title: str
    is_head: bool


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision(s), this code's head(s), and the verdict."""

    status: SchemaStatus
    current: tuple[str, ...]
    heads: tuple[str, ...]


SUPPORTED_URLS = (
    "sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user:password@host:5432/db"
)


def check_database_url(url: str) -> str | None:
    """One line saying what is wrong with a DATABASE_URL, or None when it can be used."""
    try:
        parsed = make_url(url)
    except Exception:
        return f"DATABASE_URL is not a database URL; use {SUPPORTED_URLS}"
    driver = parsed.drivername
    if driver == "sqlite+aiosqlite" or driver == "postgresql+asyncpg":
        return None
    if parsed.get_backend_name() in ("postgresql", "postgres"):
        fixed = parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=True)
        return f"DATABASE_URL uses the {driver} driver; the bot needs asyncpg: {fixed}"
    if parsed.get_backend_name() == "sqlite":
        fixed = parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=True)
        return f"DATABASE_URL uses the {driver} driver; the bot needs aiosqlite: {fixed}"
    return f"DATABASE_URL: {driver} is not supported; use {SUPPORTED_URLS}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory ones."""
    try:
        parsed = make_url(url)
    except Exception:
        return None
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    return None if name.startswith("file:") else Path(name)


@dataclass(frozen=True)
class DatabaseProblem:
    """Why a database cannot be used, in one line without the password.

    ``transient``: it may work on the next try (the server is down, starting, full, or its
    name does not resolve yet), so ``run`` exits 1 and a supervisor restarts it; otherwise
    (login refused, no such database, an unusable SQLite file) retrying cannot help.
    """

    message: str
    transient: bool


_TRANSIENT_NAMES = frozenset(
    {"CannotConnectNowError", "TooManyConnectionsError", "ConnectionFailureError"}
)


def database_problem(error: BaseException, url: str) -> DatabaseProblem | None:
    """What is wrong with the database an error came from; None for anything else (a bug)."""
    where = safe_url(url)
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(seen) < 10:
        seen.append(current)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    for exc in seen:
        name = type(exc).__name__
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return DatabaseProblem(
                f"the database refused the login ({where}): check the user and password "
                "in DATABASE_URL",
                transient=False,
            )
        if name == "InvalidCatalogNameError":
            return DatabaseProblem(
                f"the database does not exist ({where}): create it or fix DATABASE_URL",
                transient=False,
            )
        if "unable to open database file" in str(exc):
            return DatabaseProblem(
                f"cannot open the SQLite file ({where}): is its folder there and writable?",
                transient=False,
            )
        if name in _TRANSIENT_NAMES:
            return DatabaseProblem(
                f"the database is not accepting connections yet ({where}): {name}",
                transient=True,
            )
        if isinstance(exc, socket.gaierror):
            host = make_url(url).host if check_database_url(url) is None else None
            return DatabaseProblem(
                f"cannot resolve the database host {host or ''!s} ({where}): check the host "
                "in DATABASE_URL, and DNS",
                transient=True,
            )
        if isinstance(exc, (ConnectionError, TimeoutError)) or (
            isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError)
        ):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else name
            return DatabaseProblem(
                f"cannot reach the database ({where}): {reason}; is it running?", transient=True
            )
    return None


def describe_database_error(error: BaseException, url: str) -> str | None:
    """One line for a database that cannot be used (unreachable, login refused, missing
    database or file), without the password; None for anything else (a real bug)."""
    problem = database_problem(error, url)
    return problem.message if problem else None


def sqlite_path_problem(path: Path | None, *, create: bool) -> str | None:
    """What stops a SQLite file from being used, checked before connecting (a failed
    aiosqlite connect leaves a thread behind). ``create``: make its folder if missing."""
    if path is None:
        return None
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            blocking = next((p for p in path.parents if p.exists()), None)
            reason = (
                f"{blocking} is a file, not a folder"
                if blocking is not None and not blocking.is_dir()
                else error.strerror
            )
            return (
                f"cannot create the folder of the SQLite file {path} ({reason}): check DATABASE_URL"
            )
    elif not path.is_file():
        return (
            f"no SQLite database at {path}: check DATABASE_URL (relative paths start in the "
            "working directory), or create it with `exercise-bot db upgrade`"
        )
    writable = path if path.exists() else path.parent
    if not os.access(writable, os.W_OK):
        return f"cannot write the SQLite file {path}: check its owner and permissions"
    return None


def _revisions(revisions: tuple[str, ...]) -> str:
    return ",".join(revisions) if revisions else "empty"


def schema_message(state: SchemaState, *, auto_migrate: bool = True) -> str | None:
    """One line for a schema the bot cannot start on; None when it can (or will migrate)."""
    if state.status == "ahead":
        return (
            f"the database is at {_revisions(state.current)}, ahead of this code (its newest "
            f"migration is {_revisions(state.heads)}); a newer bot migrated this database: "
            "run that version, or roll back as docs/DEPLOY.md says"
        )
    if auto_migrate or state.status == "current":
        return None
    if state.status == "empty":
        return (
            "the database is empty and AUTO_MIGRATE=false: run `exercise-bot db upgrade` "
            "first (or set AUTO_MIGRATE=true)"
        )
    return (
        f"the database is at {_revisions(state.current)}, behind this code (head "
        f"{_revisions(state.heads)}), and AUTO_MIGRATE=false: take a backup, then run "
        "`exercise-bot db upgrade`"
    )


def shipped_migrations(script_location: Path | str | None = None) -> list[Migration]:
    """Every migration this code ships, oldest first (no database needed)."""
    script = ScriptDirectory.from_config(alembic_config(script_location=script_location))
    heads = set(script.get_heads())
    newest_first = [
        Migration(
            revision=rev.revision,
            down_revision=_one_down(rev.down_revision),
            title=(rev.doc or "").strip().splitlines()[0] if rev.doc else "",
            is_head=rev.revision in heads,
        )
        for rev in script.walk_revisions()
    ]
    return newest_first[::-1]


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # unparsable: show nothing of it rather than a password
        return "(the DATABASE_URL)"


class Database:
    """One database: the async engine, the session factory, and schema migrations."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        sqlite_busy_timeout_ms: int = 15_000,
        script_location: Path | str | None = None,
        clock: Clock | None = None,
        pool_size: int | None = None,
    ) -> None:
        self.url = url
        # stored timestamps come from the bot's clock (bot/store/stamps.py)
        self.clock: Clock = clock or SystemClock()
        sqlite = url.startswith("sqlite")
        # PostgreSQL: keep as many connections as units of work run at once (``pool_size``,
        # e.g. UPDATE_CONCURRENCY): with SQLAlchemy's default of 5, busy taps opened and
        # closed a connection each time (docs/BENCHMARKS.md). SQLite writers take turns.
        pooling = {"pool_size": pool_size} if pool_size and not sqlite else {}
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, pool_pre_ping=not sqlite, **pooling
        )
        self.dialect: str = self.engine.dialect.name
        # PostgreSQL: in_one_hop(autocommit=True)'s own small pool, in autocommit for good
        # and without the checkout ping: per tap, the ping's round trip and switching the
        # isolation level there and back cost about 0.6 CPU-ms and 0.8 ms (docs/BENCHMARKS.md).
        # A connection found dead (the server restarted) is replaced and the work run again.
        self._autocommit_engine: AsyncEngine | None = None
        # PostgreSQL: the sessions this process's taps wrote last, so that the next tap on
        # one skips its read (bot/store/taps.py); SQLite reads in place, in microseconds
        self.known_sessions: KnownSessions | None = None
        if self.dialect == "postgresql":
            self.known_sessions = KnownSessions()
            self._autocommit_engine = create_async_engine(
                url,
                echo=echo,
                isolation_level="AUTOCOMMIT",
                pool_size=HOP_POOL_SIZE,
                max_overflow=0,
            )
        # SQLite: writing units of work of this process take turns (bot/store/uow.py)
        self._write_turn: WriteTurn | None = None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine.sync_engine, sqlite_busy_timeout_ms)
            self._write_turn = WriteTurn(sqlite_busy_timeout_ms / 1000)
        # SQLite file: in_one_hop's synchronous engines on the same file: one used in
        # place (never waits for a lock, never checkpoints), one in a thread of its own
        self._hop_engine: Engine | None = None
        self._in_place_engine: Engine | None = None
        self._hop_thread: ThreadPoolExecutor | None = None
        if sqlite_file(url) is not None:
            sync_url = make_url(url).set(drivername="sqlite+pysqlite")
            self._hop_engine = create_engine(sync_url, echo=echo)
            _configure_sqlite(self._hop_engine, sqlite_busy_timeout_ms)
            self._in_place_engine = create_engine(sync_url, echo=echo)
            _configure_sqlite(self._in_place_engine, 0, checkpoints=False)
        self._session_factory = async_sessionmaker(self.engine, expire_on_commit=False)
        self._script_location = script_location or MIGRATIONS_DIR

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work. ``read_only`` lets SQLite readers skip the write lock (and
        the turn writers take in this process)."""
        begin_options = (
            {SQLITE_BEGIN_OPTION: "DEFERRED"} if read_only and self.dialect == "sqlite" else None
        )
        return UnitOfWork(
            self._session_factory,
            self.dialect,
            begin_options=begin_options,
            now=self.clock.now,
            turn=None if read_only else self._write_turn,
        )

    async def in_one_hop(self, work: Callable[[Connection], R], *, autocommit: bool = False) -> R:
        """Run ``work(connection)`` in one writing transaction, committed when it returns
        (rolled back when it raises): for a short, hot use case written as synchronous
        Core statements (bot/store/taps.py).

        SQLite file, in this process's turn of writers (``WriteTurn``): the transaction
        runs in place, on the event loop, on a synchronous engine on the same file that
        never waits: its busy timeout is 0, so a file another process is writing answers
        at once at ``BEGIN IMMEDIATE`` (then the transaction runs in a worker thread on a
        third engine, with the busy timeout, waiting there and not on the loop), and it
        never checkpoints (``wal_autocheckpoint=0``; the other connections do, as they
        commit: the lease renewals, the dispatcher's claims). In WAL mode with
        ``synchronous=NORMAL`` a commit does not fsync, so what is left on the loop is the
        statements themselves (about 0.15 ms for a tap). Through aiosqlite every cursor
        step was a trip to its thread (about twelve for a tap); one trip to a thread cost
        a third of a tap's CPU at one patient, and its latency (docs/BENCHMARKS.md).
        PostgreSQL (and SQLite in memory or through a ``file:`` URI): the async engine's
        ``run_sync`` (on SQLite in the writers' turn too). Not inside a writing unit of
        work of the same task: that would wait for itself (RuntimeError).

        ``autocommit``: on PostgreSQL, no transaction around ``work``: each statement
        commits on its own, which saves the round trips of BEGIN and COMMIT, on a pool of
        its own that stays in autocommit and skips the checkout ping. Only for work whose
        every write is one atomic statement that is safe to run again (a compare-and-set):
        a connection found dead runs the work again on a new one. SQLite keeps its
        transaction (its write lock is taken at BEGIN).
        """
        turn = self._write_turn
        if turn is not None and turn.held_here():
            # its BEGIN IMMEDIATE would wait for the writing unit of work around it, which
            # waits for it: "database is locked" after the busy timeout, as an outage
            raise RuntimeError("in_one_hop inside a writing unit of work of the same task")
        if self._hop_engine is None:
            if autocommit and self._autocommit_engine is not None:
                return await _autocommit_hop(self._autocommit_engine, work)
            # PostgreSQL in one transaction (a mixed group of sent reminders), or SQLite in
            # memory or through a file: URI: the async engine; SQLite's in the writers' turn
            # (in memory every unit of work shares one connection)
            taken = turn is not None and await turn.take()
            try:
                async with self.engine.begin() as conn:
                    return await conn.run_sync(work)
            finally:
                if taken:
                    assert turn is not None
                    turn.give_back()
        assert turn is not None and self._in_place_engine is not None
        taken = await turn.take()
        try:
            result = _in_transaction(self._in_place_engine, work, only_if_free=True)
        except FileBusy:
            log.info("db.file_busy_waiting_in_thread")
        except BaseException:
            if taken:
                turn.give_back()
            raise
        else:
            if taken:
                turn.give_back()
            return result
        if self._hop_thread is None:
            self._hop_thread = ThreadPoolExecutor(1, thread_name_prefix="db-hop")
        running = self._hop_thread.submit(_in_transaction, self._hop_engine, work)
        try:
            return await asyncio.wrap_future(running)
        finally:
            if taken:
                if running.done():
                    turn.give_back()
                else:  # cancelled while the thread still runs it: the turn ends with it
                    loop = asyncio.get_running_loop()
                    running.add_done_callback(lambda _: loop.call_soon_threadsafe(turn.give_back))

    def _alembic_config(self, connection: Connection | None = None) -> Config:
        cfg = alembic_config(script_location=self._script_location)
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg

    async def upgrade(self, revision: str = "head") -> None:
        """Run Alembic migrations up to ``revision``; waits for another process's upgrade."""

        def run(connection: Connection) -> None:
            command.upgrade(self._alembic_config(connection), revision)

        await self._migrate(run)

    async def downgrade(self, revision: str) -> None:
        """Undo migrations down to ``revision`` (for a rollback; see docs/DEPLOY.md)."""

        def run(connection: Connection) -> None:
            command.downgrade(self._alembic_config(connection), revision)

        await self._migrate(run)

    async def _migrate(self, run: Any) -> None:
        """Run ``run(connection)`` in one transaction, holding the migration lock."""
        async with self._sqlite_file_lock(), self.engine.begin() as conn:
            if self.dialect == "postgresql":
                await _pg_migration_lock(conn)
            await conn.run_sync(run)

    @contextlib.asynccontextmanager
    async def _sqlite_file_lock(self) -> AsyncIterator[None]:
        """An exclusive lock on ``<database>.migrate-lock`` (SQLite files on POSIX only).

        BEGIN IMMEDIATE already serialises the upgrade, but only for the busy timeout
        (15 s); this lock lets a second process wait for a long migration to finish.
        """
        path = self.engine.url.database if self.dialect == "sqlite" else None
        try:
            import fcntl
        except ImportError:  # Windows: BEGIN IMMEDIATE alone
            path = None
        if not path or path == ":memory:" or path.startswith("file:"):
            yield
            return
        lock_path = f"{path}.migrate-lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("db.migration_wait", extra={"lock": lock_path})
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def migrations(self) -> list[Migration]:
        """Every migration this code ships, oldest first."""
        return shipped_migrations(self._script_location)

    async def schema_state(self) -> SchemaState:
        """The database's revision(s) against this code's migrations."""

        def state(connection: Connection) -> SchemaState:
            current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
            script = ScriptDirectory.from_config(self._alembic_config())
            heads = tuple(sorted(script.get_heads()))
            return SchemaState(_status(script, set(current), set(heads)), current, heads)

        async with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn = await conn.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
            return await conn.run_sync(state)

    async def schema_status(self) -> SchemaStatus:
        """Where the database stands against the migrations shipped with this code."""
        return (await self.schema_state()).status

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
        if self._autocommit_engine is not None:
            await self._autocommit_engine.dispose()
        if self._hop_thread is not None:  # its connections are closed in their thread
            assert self._hop_engine is not None
            await asyncio.wrap_future(self._hop_thread.submit(self._hop_engine.dispose))
            self._hop_thread.shutdown(wait=False)
            self._hop_thread = None
        if self._in_place_engine is not None:
            self._in_place_engine.dispose()


async def _autocommit_hop(engine: AsyncEngine, work: Callable[[Connection], R]) -> R:
    """``work`` on a connection in autocommit; run again, once, on a fresh connection when
    the pooled one turns out dead (no ping at checkout: SQLAlchemy's "optimistic"
    disconnect handling; it then renews every connection of the pool). Running it again is
    safe because autocommit work writes only with atomic compare-and-sets."""
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(work)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.info("db.reconnecting", extra={"reason": type(error.orig).__name__})
    async with engine.connect() as conn:
        return await conn.run_sync(work)


class FileBusy(Exception):
    """The SQLite file's write lock is held by another process (``BEGIN IMMEDIATE`` was
    refused at once); nothing was run."""


def _in_transaction(
    engine: Engine, work: Callable[[Connection], R], *, only_if_free: bool = False
) -> R:
    """``work`` in one transaction; ``only_if_free``: raise FileBusy when the transaction
    could not begin because the file is locked (the engine's busy timeout is 0)."""
    conn = engine.connect()
    try:
        transaction = conn.begin()  # the "begin" hook sends BEGIN IMMEDIATE
    except OperationalError as error:
        conn.close()
        if only_if_free and _is_busy(error):
            raise FileBusy from error
        raise
    except BaseException:
        conn.close()
        raise
    with conn, transaction:
        return work(conn)


def _is_busy(error: OperationalError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


async def _pg_migration_lock(conn: Any) -> None:
    """Take the migration advisory lock for this transaction, waiting (and saying so)."""
    key = {"key": MIGRATION_LOCK_KEY}
    if not await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), key):
        log.info("db.migration_wait", extra={"lock": "pg_advisory_xact_lock"})
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), key)


def _one_down(down: str | list[str] | tuple[str, ...] | None) -> str | None:
    if down is None or isinstance(down, str):
        return down
    return ",".join(down)


def _status(script: ScriptDirectory, current: set[str], heads: set[str]) -> SchemaStatus:
    if not current:
        return "empty"
    if current == heads:
        return "current"
    for rev in current:
        try:
            if script.get_revision(rev) is None:
                return "ahead"
        except CommandError:
            return "ahead"
    return "behind"
