"""Retrying one Bot API call: after a rate limit, after connection errors, and after a
timeout only when the caller says the call may be repeated (an edit, a reply that must
arrive). Shared by ``render`` (texts) and ``media`` (pictures) so both keep one rule."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

T = TypeVar("T")
RETRY_DELAYS = (0.5, 2.0)  # seconds before the 2nd and 3rd attempt


async def with_retries(call: Callable[[], Awaitable[T]], *, retry_timeouts: bool) -> T:
    for delay in (*RETRY_DELAYS, None):
        try:
            return await call()
        except RetryAfter as error:  # the rate limiter already retried; one more wait
            if delay is None:
                raise
            retry = error.retry_after
            await asyncio.sleep(
                retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            )
        except TimedOut:
            if delay is None or not retry_timeouts:
                raise
            await asyncio.sleep(delay)
        except BadRequest:
            raise
        except NetworkError:
            if delay is None:
                raise
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
