"""What a Telegram error says about whether a message arrived."""

from __future__ import annotations

from telegram.error import TimedOut

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
