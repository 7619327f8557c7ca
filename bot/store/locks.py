"""A named, expiring lock row: one dispatching process per SQLite file.

Several processes may share a SQLite file (e.g. the bot and a ``demo`` run); only the
holder of the dispatch lock sends timers. The holder renews it well within ``ttl``; if
it crashes, the lock simply expires and another process takes over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_

from bot.store.database import Database
from bot.store.models import Lock
from bot.store.repositories import dialect_insert

DISPATCH_LOCK = "dispatcher"


async def acquire_dispatch_lock(
    db: Database, holder_id: str, now: datetime, ttl: timedelta, *, name: str = DISPATCH_LOCK
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


async def release_dispatch_lock(db: Database, holder_id: str, *, name: str = DISPATCH_LOCK) -> bool:
    """Give the lock up early (clean shutdown); only the holder can."""
    stmt = delete(Lock).where(Lock.name == name, Lock.holder == holder_id).returning(Lock.name)
    async with db.unit_of_work() as uow:
        released = (await uow.session.execute(stmt)).scalar_one_or_none()
        await uow.commit()
    return released is not None
