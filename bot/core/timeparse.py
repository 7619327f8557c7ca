"""Reading a reminder time the user typed ("7:30", "7pm", "19h30", "0730").

Accepted forms (case- and space-insensitive at the edges; minutes only, no seconds):

- ``H``, ``HH``                      24-hour, whole hour: "7" -> 07:00, "19" -> 19:00
- ``H:MM``, ``HH:MM``, ``H.MM``      24-hour: "7:30", "07:30", "19.15"
- ``HHMM``                           exactly four digits, 24-hour: "0730", "1915"
- ``Hh``, ``HhMM``                   French/German style: "19h", "19h30", "7 h 05"
- any of the first three + am/pm     12-hour, hour 1..12: "7pm", "7 pm", "7.30 pm",
                                     "7:30PM", "7 a.m.", "12am" -> 00:00, "12pm" -> 12:00

Everything else is rejected (None): hours over 23 (or over 12 with am/pm, or 0 with
am/pm), minutes over 59, one-digit minutes ("7:5"), three digits ("730"), seconds,
words ("tomorrow", "noon"), non-ASCII digits.
"""

from __future__ import annotations

import re
from datetime import time

_CLOCK = re.compile(
    r"(?P<h>[0-9]{1,2})(?:\s*[:.]\s*(?P<m>[0-9]{2}))?\s*(?P<ampm>[ap])?(?(ampm)\.?\s*m\.?)",
    re.ASCII,
)
_FOUR = re.compile(r"(?P<h>[0-9]{2})(?P<m>[0-9]{2})", re.ASCII)
_H_STYLE = re.compile(r"(?P<h>[0-9]{1,2})\s*h\s*(?P<m>[0-9]{2})?", re.ASCII)


def parse_local_time(text: str) -> time | None:
    """The wall-clock time in ``text``, or None when it is not one of the accepted forms."""
    if not isinstance(text, str):
        return None
    s = " ".join(text.strip().lower().split())
    if not s:
        return None
    match = _CLOCK.fullmatch(s)
    if match:
        hour, minute = int(match["h"]), int(match["m"] or 0)
        if match["ampm"]:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if match["ampm"] == "p" else 0)
        return _make(hour, minute)
    match = _FOUR.fullmatch(s) or _H_STYLE.fullmatch(s)
    if match:
        return _make(int(match["h"]), int(match["m"] or 0))
    return None


def _make(hour: int, minute: int) -> time | None:
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return time(hour, minute)
    return None
