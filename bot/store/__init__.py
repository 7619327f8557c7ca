"""Storage: SQLAlchemy models, repositories, the unit of work, Alembic migrations."""

from bot.store.database import Database, SchemaStatus, alembic_config
from bot.store.locks import acquire_dispatch_lock, release_dispatch_lock
from bot.store.models import Base, ExerciseSession, Lock, MediaFile, Patient, Report, Timer
from bot.store.types import UTCDateTime
from bot.store.uow import UnitOfWork

__all__ = [
    "Base",
    "Database",
    "ExerciseSession",
    "Lock",
    "MediaFile",
    "Patient",
    "Report",
    "SchemaStatus",
    "Timer",
    "UTCDateTime",
    "UnitOfWork",
    "acquire_dispatch_lock",
    "alembic_config",
    "release_dispatch_lock",
]
