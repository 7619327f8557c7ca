"""Settings from the environment (and an optional ``.env`` file), loaded once in ``main``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.content.model import DEFAULT_LANGUAGE
from bot.core.digest import OFF, parse_clock, weekday_number

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
Port = Annotated[int, Field(ge=0, le=65535)]


def _default_content_dir() -> Path:
    from bot.content.loader import bundled_content_dir  # the wheel's copy or content/ in a clone

    return bundled_content_dir()


class Settings(BaseSettings):
    """Every setting the bot reads. Documented in the README; names are the env variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    telegram_bot_token: str | None = Field(default=None, repr=False)
    telegram_api_base_url: str | None = None
    telegram_api_file_url: str | None = None
    # the HTTP client under PTB: aiohttp (bot/telegram/transport.py, ~2-4x less CPU per
    # call, see docs/BENCHMARKS.md) or httpx (PTB's own default)
    telegram_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    # how long to wait for Telegram's answer to one call; after that the call's outcome is
    # unknown (docs/RELIABILITY.md: a reminder counts as sent, advice is sent again)
    telegram_read_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    database_url: str = "sqlite+aiosqlite:///data/exercise-bot.db"
    content_dir: Path = Field(default_factory=_default_content_dir)
    # `run` refuses content whose clinic.yaml says `example: true` unless this is set
    allow_example_content: bool = False
    default_language: str = DEFAULT_LANGUAGE
    auto_migrate: bool = True
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    # reminders
    dispatch_interval_seconds: float = Field(default=2.0, ge=0)
    dispatch_batch_size: int = Field(default=100, ge=1)
    # reminders sent at once, in flight or sent and not yet recorded: at most this many
    # can be sent twice after a crash (docs/RELIABILITY.md); 1 records each send before
    # the next. The rate limiter still paces them (30/s).
    dispatch_send_window: int = Field(default=16, ge=1, le=1000)
    dispatch_lease_seconds: float = Field(default=120.0, gt=0)
    # one process dispatches at a time; after a crash another takes over within this
    dispatch_turn_seconds: float = Field(default=10.0, ge=1, le=600)
    reminder_grace_minutes: int = Field(default=120, ge=0)
    # a patient with reminder days and no session begun for this many local days gets one
    # gentle note with their next reminder and shows as lapsed to the staff; 0 = off
    lapse_days: int = Field(default=4, ge=0, le=365)
    rate_limit_per_second: float = Field(default=30.0, gt=0)
    # Telegram's paid broadcasts (allow_paid_broadcast): reminders up to 1,000/s, charged
    # in Stars to the bot's balance; for very large deployments
    telegram_paid_broadcast: bool = False
    rate_limit_per_chat_per_second: float = Field(default=1.0, ge=0)
    # updates: handled concurrently across chats, in order within one
    update_concurrency: int = Field(default=16, ge=1, le=1000)
    update_backlog_per_chat: int = Field(default=20, ge=1, le=1000)
    poll_window: int = Field(default=100, ge=1, le=100)
    # how long one getUpdates waits for news (long polling), in seconds
    poll_timeout_seconds: int = Field(default=10, ge=0, le=50)
    # the first wait after Telegram refuses polling (401/404/409); it doubles up to 60 s
    poll_retry_seconds: float = Field(default=5.0, gt=0, le=60)
    # the one poller's lease: renewed every third of it; a killed poller's lapses after it
    poller_lock_seconds: float = Field(default=15.0, ge=1, le=600)
    shutdown_grace_seconds: float = Field(default=5.0, ge=0, le=60)
    # webhook mode (run --webhook): the only listener that accepts updates
    webhook_url: str | None = None
    webhook_secret: str | None = Field(default=None, repr=False)
    web_host: str = "0.0.0.0"
    web_port: Port = 8080
    # /healthz, /readyz, /metrics: loopback unless the operator opens them
    ops_host: str = "127.0.0.1"
    ops_port: Port = 9090
    # safety: the clinic's staff chat for alerts (opt-in per patient)
    staff_chat_id: int | None = None
    # invite links (docs/CLINIC.md): how long a link works, and whether patients can
    # only start with one
    invite_ttl_days: int = Field(default=14, ge=1, le=365)
    invite_only: bool = False
    # the weekly digest to the staff chat (docs/CLINIC.md): the clinic's weekday ("off":
    # none) and local time, in the clinic's time zone (content/clinic.yaml)
    digest_weekday: str = "monday"
    digest_time: str = "08:00"

    @field_validator("digest_weekday")
    @classmethod
    def _known_weekday(cls, value: str) -> str:
        value = value.strip().lower()
        if value != OFF and weekday_number(value) is None:
            raise ValueError("must be a weekday (monday ... sunday, or mon ... sun) or off")
        return value

    @field_validator("digest_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if parse_clock(value) is None:
            raise ValueError("must be a time of day as HH:MM (24 h), e.g. 08:00")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.upper()


SECRET_SETTINGS = frozenset({"TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "DATABASE_URL"})


def settings_problems(error: ValidationError) -> list[str]:
    """One line per bad setting, named as the environment variable the operator sets.

    The value given is quoted back, except for secrets (and DATABASE_URL, which holds a
    password)."""
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "a setting"
        reason = str(item["msg"]).removeprefix("Value error, ")
        value = item.get("input")
        shown = ""
        if name not in SECRET_SETTINGS and isinstance(value, str | int | float):
            shown = f" (it is {str(value)[:60]!r})"
        lines.append(f"{name}: {reason}{shown}")
    return lines
