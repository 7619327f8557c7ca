"""At most one "I only work in private chats" notice per group every few minutes.

Telegram allows a bot ~20 messages a minute in a group, and a group full of people
trying commands would otherwise get a queue of identical notices (and hold up the bot's
answers there). This is politeness, not conversation state: losing it on a restart
only means one more notice.
"""

from __future__ import annotations

import time
from collections import OrderedDict


class NoticeThrottle:
    def __init__(self, every_seconds: float = 600.0, max_chats: int = 10_000) -> None:
        self._every = every_seconds
        self._max = max_chats
        self._last: OrderedDict[int, float] = OrderedDict()

    def allow(self, chat_id: int, now: float | None = None) -> bool:
        """True (and remembered) when this chat has not had a notice recently."""
        now = time.monotonic() if now is None else now
        last = self._last.get(chat_id)
        if last is not None and now - last < self._every:
            return False
        self._last[chat_id] = now
        self._last.move_to_end(chat_id)
        while len(self._last) > self._max:
            self._last.popitem(last=False)
        return True
