"""The one place button payloads are encoded and decoded.

Telegram clients can send any bytes as callback data, so decoding is strict: a payload that
is not exactly what :func:`encode` produces is rejected. A payload names the action, the
session it belongs to (0 for none) and the revision of the screen it was shown on, so a tap
on an old screen can be recognised as stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

VERSION = "1"
MAX_BYTES = 64
MAX_ID = 2**31 - 1  # ids and revisions fit a 32-bit signed column on every database
# "/" and "+" for IANA zone names carried whole ("America/Argentina/ComodRivadavia",
# "Etc/GMT+5"); 44 characters keep the longest payload within Telegram's 64 bytes.
_ARG = re.compile(r"[A-Za-z0-9_.\-/+]{0,44}")
_INT = re.compile(r"0|[1-9a-z][0-9a-z]{0,12}")


class Action(StrEnum):
    """Every button the bot can show. The values are the short codes on the wire."""

    AGREE = "ag"
    DECLINE = "dc"
    START_NOW = "sn"
    LATER = "lt"
    BEGIN = "bg"
    NOT_NOW = "nn"
    NEXT = "nx"
    BACK = "bk"
    ALTERNATIVE = "al"
    SKIP = "sk"
    HURTS = "hu"
    START_TIMER = "st"
    STOP_TIMER = "sp"
    FEEL_FINE = "ff"
    FEEL_SORE = "fs"
    FEEL_PAIN = "fp"
    PAIN_WHICH = "pw"
    CONTINUE = "co"
    RESTART = "rs"
    FORGET_YES = "fy"
    FORGET_NO = "fn"
    SETUP_REMINDERS = "sr"
    DAYS_TOGGLE = "dt"
    DAYS_DONE = "dd"
    SET_TIME = "tm"
    OTHER_TIME = "to"
    SET_ZONE = "zn"
    OTHER_ZONE = "zo"
    REMINDER_START = "rg"
    SNOOZE = "rz"
    SNOOZE_FOR = "rf"
    SKIP_TODAY = "rk"
    PAUSE_FOR = "pa"
    STOP_YES = "sy"
    STOP_NO = "so"
    CLEARED = "cl"
    RESUME_ALL = "ra"
    RESUME_WITHOUT = "rw"
    NOT_YET = "ny"
    CHECKIN = "ci"
    SORE_FOLLOWUP = "sf"
    WARNING = "wa"
    ALERTS = "at"
    STAFF_CLEAR = "sc"
    NUDGE_SETTING = "ns"
    TYPED_PAIN = "tp"  # after typed pain words: yes it hurts / no, carry on
    WELCOME = "wl"  # the consent screen again (from a dead end: text before /start)
    NO_REMINDERS = "nr"  # "No, thanks" to the reminders offer
    LANGUAGE = "lg"  # a language of /language (bot/core/ui/language.py LanguageChoice)
    PAIN_RATING = "pr"  # 0-10 or skip, for one pain report (bot/core/ui/safety.py PainRating)
    WEEKLY_SUMMARY = "wk"  # the weekly summary on/off, on the days screen (WeeklyToggle)


_NUMBER = re.compile(r"0|[1-9][0-9]*")


def canonical_number(text: str) -> int | None:
    """``text`` as a number if it is written as ``str(n)`` writes one (ASCII digits, no
    leading zero), else None: button data is read back only in the form it is written."""
    return int(text) if _NUMBER.fullmatch(text) else None


class InvalidCallback(ValueError):
    """The payload was not produced by this codec (forged, truncated or from an old version)."""


@dataclass(frozen=True)
class Callback:
    action: Action
    session_id: int = 0
    rev: int = 0
    arg: str = ""


def _b36(number: int) -> str:
    if number < 0:
        raise ValueError("negative numbers are not encoded")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rem = divmod(number, 36)
        out = digits[rem] + out
        if number == 0:
            return out


def encode(callback: Callback) -> str:
    if callback.session_id > MAX_ID or callback.rev > MAX_ID:
        raise ValueError("session id or revision out of range")
    if not _ARG.fullmatch(callback.arg):
        raise ValueError(f"argument {callback.arg!r} cannot be encoded")
    data = ":".join(
        (
            VERSION,
            callback.action.value,
            _b36(callback.session_id),
            _b36(callback.rev),
            callback.arg,
        )
    )
    if len(data.encode()) > MAX_BYTES:
        raise ValueError("callback data over 64 bytes")
    return data


def decode(data: object) -> Callback:
    """The callback a payload encodes; InvalidCallback for anything ``encode`` cannot make
    (clients send any JSON value here, not only strings)."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES:
        raise InvalidCallback("empty or too long")
    parts = data.split(":")
    if len(parts) != 5 or parts[0] != VERSION:
        raise InvalidCallback("wrong shape or version")
    _, code, session, rev, arg = parts
    try:
        action = Action(code)
    except ValueError as exc:
        raise InvalidCallback("unknown action") from exc
    if not (_INT.fullmatch(session) and _INT.fullmatch(rev) and _ARG.fullmatch(arg)):
        raise InvalidCallback("malformed field")
    session_id, revision = int(session, 36), int(rev, 36)
    if session_id > MAX_ID or revision > MAX_ID:
        raise InvalidCallback("number out of range")
    return Callback(action, session_id, revision, arg)
