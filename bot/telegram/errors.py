"""What a Telegram error says: whether a message arrived, and what kind of failure it was."""

from __future__ import annotations

from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

TELEGRAM_ERROR_KINDS = ("429", "403", "400", "401", "409", "5xx", "timeout", "network", "other")

# Timeouts that happen before the request left this process: nothing reached Telegram.
_NOT_SENT = ("ConnectTimeout", "PoolTimeout", "ConnectionTimeoutError", "ConnectTimeoutError")


def maybe_delivered(error: TimedOut) -> bool:
    """False when the request certainly never reached Telegram (connect or pool timeout);
    True when it may have been processed and only the answer was lost."""
    if "pool timeout" in str(error).lower():
        return False
    cause = error.__cause__ or error.__context__
    while cause is not None:
        if type(cause).__name__ in _NOT_SENT:
            return False
        cause = cause.__cause__ or cause.__context__
    return True


def telegram_error_kind(error: BaseException) -> str:
    """One word for why a Bot API call failed, the same everywhere it is counted."""
    if isinstance(error, RetryAfter):
        return "429"
    if isinstance(error, Forbidden):
        return "403"
    if isinstance(error, InvalidToken):
        return "401"  # also 404: Telegram's answer to a token it does not know
    if isinstance(error, Conflict):
        return "409"
    if isinstance(error, BadRequest):
        return "400"
    if isinstance(error, TimedOut):
        return "timeout"
    if isinstance(error, NetworkError):
        # PTB raises a bare NetworkError for an error status it has no class for (5xx;
        # the cause, if any, is the unparsable body); a failed connection has its
        # transport's exception as the cause.
        cause = error.__cause__
        return "5xx" if cause is None or isinstance(cause, TelegramError) else "network"
    return "other"
