"""The collaborators every use case needs, built once in ``main`` and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.content.model import Content
from bot.core.clock import Clock
from bot.core.screens import catalog_for
from bot.core.session import ExercisePlan
from bot.metrics import Metrics
from bot.store.database import Database


@dataclass(frozen=True)
class Services:
    db: Database
    content: Content
    clock: Clock
    settings: Settings
    catalog: dict[str, ExercisePlan] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)  # this process's own (bot/metrics.py)

    def language(self, code: str | None) -> str:
        """The content language for a Telegram language code ("es-MX" -> "es"), else the
        clinic's default."""
        if code:
            for candidate in (code.lower(), code.lower().split("-")[0]):
                if candidate in self.content.texts:
                    return candidate
        return self.settings.default_language

    async def patient_language(self, who: Patron) -> str:
        """The language the patient chose (or got on first contact); Telegram's before that."""
        async with self.db.unit_of_work(read_only=True) as uow:
            patient = await uow.patients.by_telegram_id(who.user_id)
        return patient.language if patient is not None else self.language(who.language)

    @classmethod
    def build(cls, db: Database, content: Content, clock: Clock, settings: Settings) -> Services:
        return cls(db, content, clock, settings, catalog_for(content))


@dataclass(frozen=True)
class Patron:
    """Who is talking to the bot, as far as Telegram tells us."""

    user_id: int
    chat_id: int
    language: str
