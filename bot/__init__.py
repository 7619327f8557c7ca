"""A Telegram bot for home exercise programs."""

import os

# Opt in to PTB 22's future behaviour: durations (retry_after, ...) as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "1")
