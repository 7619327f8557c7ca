"""Which database errors mean "the database is unreachable right now" (worth a retry)
rather than "this request is wrong" (a bug: retrying would fail the same way)."""

from __future__ import annotations

from sqlalchemy import exc as sa

_OUTAGE_NAMES = frozenset(
    {
        # asyncpg, when raised outside SQLAlchemy's wrapping (e.g. during connect)
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CannotConnectNowError",
        "TooManyConnectionsError",
        "PostgresConnectionError",
        "InterfaceError",
    }
)


def is_outage(error: BaseException) -> bool:
    """True for a database that is down, restarting, unreachable, full or locked."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (sa.OperationalError, sa.InterfaceError, sa.TimeoutError)):
            return True
        if isinstance(current, (ConnectionError, TimeoutError)):
            return True
        if type(current).__name__ in _OUTAGE_NAMES:
            return True
        current = current.__cause__ or current.__context__
    return False
