"""Structured logs for operators: one JSON object per line, event name plus fields.

Callers pass ids and outcomes in ``extra``; message texts, names, health details and
tokens are never logged. Two guards make that hold for code we do not own:

- Third-party loggers that write request bodies or whole updates at DEBUG (PTB's
  ``telegram.Bot`` and ``telegram.ext.Application``, httpx, httpcore) are kept at INFO or
  WARNING whatever ``LOG_LEVEL`` says.
- Every line is redacted: the bot token (and its secret half, which also appears in URL
  paths) and the webhook secret are replaced by ``[redacted]``, tracebacks included.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
REDACTED = "[redacted]"

# The least verbose level each noisy library may log at (they log bodies below it).
QUIET_FLOORS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "hpack": logging.WARNING,
    "aiohttp.access": logging.WARNING,
    "aiohttp.client": logging.WARNING,
    "aiohttp.server": logging.INFO,
    "apscheduler": logging.WARNING,
    "asyncio": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
    "alembic": logging.INFO,
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        data |= {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if record.exc_info and record.exc_info[0] is not None:
            data["exc_type"] = record.exc_info[0].__name__
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner``, then blanks every secret in the finished line."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self._inner = inner
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self._inner.format(record), self._secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def secrets_of(token: str | None, *others: str | None) -> list[str]:
    """What must never appear in a log: the token, its secret half, other secrets."""
    found = [s for s in (token, *others) if s]
    if token and ":" in token:
        found.append(token.split(":", 1)[1])
    return found


def configure(
    level: str = "INFO", fmt: str = "json", secrets: Iterable[str] = (), stream: object = None
) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    inner = (
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    handler.setFormatter(RedactingFormatter(inner, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    wanted = logging.getLevelName(level.upper())
    for name, floor in QUIET_FLOORS.items():
        effective = max(floor, wanted) if isinstance(wanted, int) else floor
        logging.getLogger(name).setLevel(effective)
