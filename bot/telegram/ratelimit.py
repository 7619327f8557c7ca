"""Telegram's flood limits: ~30 messages/s per bot (PTB's AIORateLimiter) plus about one
message a second per private chat, which AIORateLimiter does not cover.

Telegram documents the 30/s limit for *sending messages* in bulk ("bulk notifications").
Editing the message a patient just tapped changes no one else's chat and is not a new
message, so edits in a private chat skip the bot-wide bucket (PTB would count them, and
all patients together would be capped at ~30 taps a second while reminders go out); they
keep PTB's 429 handling. Callback answers carry no chat id and were never counted.

Every Bot API call but ``getUpdates`` passes here, so this is also where failed calls are
counted (``on_error``), each attempt, including 429s that PTB then waits out and retries.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter

Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]
ErrorHook = Callable[[str, TelegramError], None]  # (method, error)

_PER_CHAT_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendAnimation", "sendVideo", "sendDocument"}
)
_REPLY_EDITS = frozenset(
    {"editMessageText", "editMessageReplyMarkup", "editMessageCaption", "editMessageMedia"}
)
_BURST_SECONDS = 3.0  # a chat may get a short burst, averaging the per-chat rate
_BOT_BURST = 5  # messages the bot-wide bucket holds (see ChatRateLimiter.__init__)


class ChatRateLimiter(AIORateLimiter):
    def __init__(
        self,
        *,
        overall_max_rate: float,
        per_chat_rate: float,
        max_retries: int = 3,
        max_chats: int = 10_000,
        on_error: ErrorHook | None = None,
    ) -> None:
        # A bucket of _BOT_BURST messages refilled at the rate, rather than PTB's bucket of
        # a whole second's worth: with several sends in flight (docs/REMINDERS.md, the send
        # window) a full second's bucket lets 30 go at once, and the jitter on the way makes
        # Telegram count more than 30 in its second (measured: ~90 429s for 900 reminders).
        # A bucket of one would pace exactly but lose each wake-up's delay (25/s instead of
        # 30). 0 turns the bot-wide limit off.
        if overall_max_rate > 0:
            burst = min(_BOT_BURST, overall_max_rate)
            super().__init__(
                overall_max_rate=burst,
                overall_time_period=burst / overall_max_rate,
                max_retries=max_retries,
            )
        else:
            super().__init__(overall_max_rate=0, max_retries=max_retries)
        self._on_error = on_error
        self._per_chat_rate = per_chat_rate
        self._max_chats = max_chats
        self._chats: OrderedDict[int, AsyncLimiter] = OrderedDict()

    def _limiter_for(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chats.pop(chat_id, None) or AsyncLimiter(
            max(1.0, self._per_chat_rate * _BURST_SECONDS), _BURST_SECONDS
        )
        self._chats[chat_id] = limiter  # most recently used last
        while len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)
        return limiter

    def _counted(self, callback: Callback, endpoint: str) -> Callback:
        on_error = self._on_error
        if on_error is None:
            return callback

        async def call(*args: Any, **kwargs: Any) -> bool | dict[str, Any] | list[dict[str, Any]]:
            try:
                return await callback(*args, **kwargs)
            except TelegramError as error:
                on_error(endpoint, error)
                raise

        return call

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        callback = self._counted(callback, endpoint)
        chat_id = data.get("chat_id")
        if endpoint in _REPLY_EDITS and isinstance(chat_id, int) and chat_id > 0:
            # PTB counts any call with a chat id; pass it without one (see the docstring)
            return await super().process_request(
                callback, args, kwargs, endpoint, {}, rate_limit_args
            )
        if (
            self._per_chat_rate > 0
            and endpoint in _PER_CHAT_METHODS
            and isinstance(chat_id, int)
            and chat_id > 0
        ):
            async with self._limiter_for(chat_id):
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
