"""Pseudonymous patient codes: short, readable aloud, no look-alike characters."""

from __future__ import annotations

import random
import secrets

# Crockford-style: digits 2-9 and capitals without I, L, O, U (no 0/O, 1/I/L, U/V mix-ups).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_PREFIX = "P-"
CODE_LENGTH = 6

_system_random = secrets.SystemRandom()


def new_patient_code(rng: random.Random | None = None) -> str:
    """A code like ``P-7K3Q9M``; uniqueness is the repository's job, not this one's."""
    source = rng or _system_random
    return CODE_PREFIX + "".join(source.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_patient_code(text: str) -> bool:
    """Whether ``text`` is a code as ``new_patient_code`` makes them."""
    body = text.removeprefix(CODE_PREFIX)
    return (
        text.startswith(CODE_PREFIX)
        and len(body) == CODE_LENGTH
        and all(c in CODE_ALPHABET for c in body)
    )
