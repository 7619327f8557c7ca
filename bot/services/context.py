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
        """The content language for a Telegram language code, or the default one."""
        return code if code in self.content.texts else self.settings.default_language

    @classmethod
    def build(cls, db: Database, content: Content, clock: Clock, settings: Settings) -> Services:
        return cls(db, content, clock, settings, catalog_for(content))


@dataclass(frozen=True)
class Patron:
    """Who is talking to the bot, as far as Telegram tells us."""

    user_id: int
    chat_id: int
    language: str
