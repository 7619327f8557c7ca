"""A patient's standing with the bot, as stored in ``patients.status``."""

from __future__ import annotations

from enum import StrEnum


class PatientStatus(StrEnum):
    NEW = "new"  # wrote to the bot, has not agreed yet (nothing else is stored)
    ACTIVE = "active"  # agreed; reminders and sessions as chosen
    BLOCKED = "blocked"  # blocked the bot (Telegram said 403): nothing is sent until /start
