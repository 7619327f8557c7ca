"""Invite links: ``t.me/<bot>?start=<token>``, made in the staff chat (``/invite``) or on
the command line (``exercise-bot invite``).

The token is random (``secrets.token_urlsafe``), single-use and expires; only its SHA-256
is stored, so the database alone cannot be turned into working links. Pure: making and
checking tokens and reading ``/invite`` arguments; the use cases are in
``bot/services/invites.py``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.content.model import Content
from bot.core.dose import OwnDose, Problem, parse_items

TOKEN_BYTES = 16  # 22 characters, 128 random bits
# what token_urlsafe(16) makes (and a deep link can carry): anything else is no token of
# ours, and it fits a button's data with a language (bot/core/ui/onboarding.py AgreeIn)
TOKEN_LENGTH = 22
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
# the clinic's own reference (a record number...): short, and nothing to escape anywhere
REF_MAX = 32
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,31}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored and looked up: the SHA-256 of the token, in hex."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(text: str) -> bool:
    """Could this /start argument be a token at all (else it is a bad link at once)."""
    return _TOKEN.fullmatch(text) is not None


def link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def valid_ref(ref: str) -> bool:
    return _REF.fullmatch(ref) is not None


@dataclass(frozen=True)
class InviteRequest:
    """What ``/invite PROGRAM [ref=REF] [exercise.field=N ...]`` asks for."""

    program_id: str
    clinic_ref: str | None = None
    dose: OwnDose = field(default_factory=dict)


def parse_invite(content: Content, args: Sequence[str]) -> InviteRequest:
    """The request, or :class:`~bot.core.dose.Problem` with a text key saying what is wrong."""
    if not args:
        raise Problem("invite_usage")
    program_id, *rest = args
    if program_id not in content.programs:
        raise Problem(
            "invite_no_program",
            {"program": program_id[:40], "programs": ", ".join(sorted(content.programs))},
        )
    ref: str | None = None
    items = []
    for arg in rest:
        if arg.lower().startswith("ref="):
            value = arg[4:]
            if ref is not None or not valid_ref(value):
                raise Problem("invite_bad_ref", {"max": REF_MAX})
            ref = value
        else:
            items.append(arg)
    return InviteRequest(program_id, ref, parse_items(content, items, {}))
