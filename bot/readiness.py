"""What ``/readyz`` checks: can this process do its job right now?

Each check is named in the JSON answer with ``ok`` and a line for the operator; the
process is ready when all are ok (docs/DEPLOY.md, "Monitoring", says what each means):

- ``database``: answers ``SELECT 1`` within ``DATABASE_SECONDS``;
- ``content``: loaded (the bot does not start without it), with its version;
- ``dispatcher``: the reminder job ran recently (``DispatchHealth``), or stands by because
  another process dispatches on this SQLite file;
- ``updates``: polling is not refused for good (a 409 conflict or a 401/404 token, twice
  in a row or more), and this process still holds the poller lock; in webhook mode the
  listener is up; a worker takes no updates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from bot.app import BotApp
from bot.store.locks import Lease
from bot.telegram.polling import Poller

DATABASE_SECONDS = 2.0
Mode = Literal["polling", "webhook", "worker"]


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def _updates(mode: Mode, poller: Poller | None, lease: Lease | None) -> Check:
    if mode == "worker":
        return Check(True, "worker: takes no updates (another process polls or gets the webhook)")
    if mode == "webhook":
        return Check(True, "webhook: Telegram posts updates to WEBHOOK_URL")
    if lease is not None:
        age = lease.age()
        if lease.lost:
            return Check(False, "another process took the poller lock; this one is stopping")
        if age is not None and age > lease.ttl.total_seconds():
            return Check(False, f"the poller lock was not renewed for {age:.0f} s (database?)")
    if poller is None:
        return Check(False, "polling has not started")
    status = poller.status
    blocking = status.blocking()
    if blocking == "conflict":
        return Check(
            False,
            "409 Conflict: another process (or a webhook) takes this bot's updates; run one "
            "poller per bot token",
        )
    if blocking == "unauthorized":
        return Check(False, "401/404: Telegram refuses TELEGRAM_BOT_TOKEN (revoked?)")
    if status.problem is not None:
        return Check(True, f"polling, last poll failed: {status.problem} (retrying)")
    return Check(True, "polling")


async def readiness(
    bot: BotApp, mode: Mode, poller: Poller | None, lease: Lease | None
) -> tuple[bool, dict[str, object]]:
    services = bot.services
    database_ok = await services.db.ping(within=DATABASE_SECONDS)
    content = services.content
    dispatch_ok, dispatch_detail = bot.dispatch_health.check()
    checks = {
        "database": Check(
            database_ok, "answers" if database_ok else f"no answer within {DATABASE_SECONDS:g} s"
        ),
        "content": Check(
            True,
            f"version {content.short_version}, {len(content.programs)} program(s)"
            + (" (example content)" if content.clinic.example else ""),
        ),
        "dispatcher": Check(dispatch_ok, dispatch_detail),
        "updates": _updates(mode, poller, lease),
    }
    return all(check.ok for check in checks.values()), {
        name: asdict(check) for name, check in checks.items()
    }
