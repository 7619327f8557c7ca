"""Bot API calls whose answer nobody turns into PTB objects: reminders sent in bulk, edits
of the tapped message, answers to taps: the lean call path.

``post`` skips what ``Bot._post`` adds for these calls: a ``RequestParameter`` per
parameter, each encoded to JSON and then the lot url-encoded, and PTB's debug logs of
every call's parameters and answer (message texts). What stays is PTB's: the rate limiter
(ours, ``bot/telegram/ratelimit.py``, with its 429 retries and error counts) and
``BaseRequest.post``, which maps Telegram's answers to ``RetryAfter``, ``Forbidden``,
``BadRequest``, ``TimedOut``, ... exactly as for any other call. The body is one JSON
document (``transport.JsonBody``) on our transport, PTB's usual form on HTTPXRequest.
Measured in docs/BENCHMARKS.md ("The lean call path").

Only for calls without files, with JSON values only (no PTB objects, no datetimes), and
without PTB ``Defaults`` (the bot sets none); never ``getUpdates``, which has a request
object of its own and skips the limiter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import Bot
from telegram.ext import ExtBot

from bot.telegram.transport import JsonBody


async def post(bot: Bot, method: str, values: Mapping[str, object]) -> Any:
    """Call ``method`` with ``values`` (None values left out); its ``result``, as JSON."""
    if method == "getUpdates":
        raise ValueError("getUpdates has its own request object: use the Bot's method")
    body = JsonBody(values)
    url = f"{bot.base_url}/{method}"
    request = bot.request

    async def call(*_: object, **__: object) -> Any:
        return await request.post(url, body)

    limiter = bot.rate_limiter if isinstance(bot, ExtBot) else None
    if limiter is None:
        return await call()
    return await limiter.process_request(
        callback=call,
        args=(),
        kwargs={},
        endpoint=method,
        data=body.parameters,
        rate_limit_args=None,
    )
