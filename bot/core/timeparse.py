"""Reading a reminder time the user typed ("7:30", "7pm", "half past seven", "7 de la tarde").

The text is cut into tokens (ASCII numbers, words, ``:`` and ``.``), then read by a small
grammar; any token the grammar does not expect rejects the whole text (None). Words are
matched exactly, after case and accents are folded: there is no fuzzy matching.

    phrase   := [prefix] (special | clock [o'clock] [part of day] [o'clock])
    prefix   := "at" | "a las" | "a la" | "las" | "la"
    special  := "noon" | "midday" | "midnight" | "12 noon" | "mediodía" | "medianoche"
    clock    := H | H ":"|"." MM | HHMM | H "h" [MM]          numbers, 24-hour
              | hour [minutes]                                 "seven thirty", "siete y media"
              | fraction "past" hour | "quarter to" hour       "half past 7", "quarter to eight"
              | hour "menos cuarto"                            "ocho menos cuarto" -> 07:45
              | hour "y"|"menos" 5/10/15/20/25 in words        "siete y diez", "ocho menos veinte"
              | hour "y" M                                     "7 y 20" -> 07:20
    hour     := H | one .. twelve | uno/una .. doce
    part of day := am | pm | "in the morning" | "in the afternoon" | "in the evening"
              | "at night" | "de la mañana" | "de la madrugada" | "de la tarde" | "de la noche"
    o'clock  := "o'clock" | "h" | "en punto" | "hs" | "horas"

A bare hour stays 24-hour ("7" and "seven" are 07:00). A part of day needs an hour from 1
to 12 ("13pm" and "0am" are rejected); "12am" is 00:00 and "12pm" 12:00; evening and night
have their own limits (see ``_apply``). Numbers written as "0730", "19h30" or with seconds,
one-digit minutes, commas or signs keep their old rules (docs/REMINDERS.md, "Typed times").

Words come per language (``_WORDS``): the patient's language, with English as a fallback
for the others (am/pm and English words are common in every chat), never Spanish words in
an English chat ("once" is an English word, and 11 in Spanish).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from enum import Enum

Phrase = tuple[str, ...]


class _Part(Enum):
    """The part of the day a 12-hour time was given with."""

    AM = "am"  # 12 -> 0, 1..11 as is
    PM = "pm"  # 12 as is, 1..11 + 12
    EVENING = "evening"  # 1..11 + 12; "12 in the evening" is nonsense
    NIGHT = "night"  # 12 -> 0, 6..11 + 12; "2 at night" could be 02:00 or 14:00: rejected


@dataclass(frozen=True)
class _Words:
    """The phrases of one language, each a tuple of folded tokens."""

    hours: dict[str, int] = field(default_factory=dict)
    # after the hour: ("thirty",) -> 30, ("y", "media") -> 30, ("menos", "cuarto") -> -15
    minutes: dict[Phrase, int] = field(default_factory=dict)
    # before the hour: ("half", "past") -> 30, ("quarter", "to") -> -15
    fractions: dict[Phrase, int] = field(default_factory=dict)
    prefixes: tuple[Phrase, ...] = ()
    parts: dict[Phrase, _Part] = field(default_factory=dict)
    oclock: tuple[Phrase, ...] = ()
    specials: dict[Phrase, time] = field(default_factory=dict)


def _phrases(*texts: str) -> tuple[Phrase, ...]:
    return tuple(tuple(t.split()) for t in texts)


def _numbered(words: str) -> dict[str, int]:
    """Number words in order from one: {"one": 1, "two": 2, ...}."""
    return {word: n for n, word in enumerate(words.split(), 1)}


_ENGLISH = _Words(
    hours=_numbered("one two three four five six seven eight nine ten eleven twelve"),
    minutes={("fifteen",): 15, ("thirty",): 30, ("forty", "five"): 45},
    fractions={
        ("half", "past"): 30,
        ("quarter", "past"): 15,
        ("a", "quarter", "past"): 15,
        ("quarter", "after"): 15,
        ("quarter", "to"): -15,
        ("a", "quarter", "to"): -15,
        ("quarter", "of"): -15,
    },
    prefixes=_phrases("at"),
    parts={
        ("am",): _Part.AM,
        ("pm",): _Part.PM,
        ("in", "the", "morning"): _Part.AM,
        ("in", "the", "afternoon"): _Part.PM,
        ("in", "the", "evening"): _Part.EVENING,
        ("at", "night"): _Part.NIGHT,
    },
    oclock=_phrases("oclock", "o clock", "h"),
    specials={
        ("noon",): time(12, 0),
        ("midday",): time(12, 0),
        ("12", "noon"): time(12, 0),
        ("midnight",): time(0, 0),
        ("12", "midnight"): time(0, 0),
    },
)

# the minutes said after "y" (past) or "menos" (to) besides "media" and "cuarto"
_SPANISH_MINUTES = {"cinco": 5, "diez": 10, "quince": 15, "veinte": 20, "veinticinco": 25}

_SPANISH = _Words(
    hours=_numbered("una dos tres cuatro cinco seis siete ocho nueve diez once doce") | {"uno": 1},
    minutes={
        ("y", "media"): 30,
        ("y", "cuarto"): 15,
        ("menos", "cuarto"): -15,
        ("y", "treinta"): 30,
        # "siete y diez", "ocho menos veinte", "7 y 20"
        **{("y", word): n for word, n in _SPANISH_MINUTES.items()},
        **{("menos", word): -n for word, n in _SPANISH_MINUTES.items()},
        **{("y", f"{n}"): n for n in range(1, 60)},
        **{("y", f"{n:02}"): n for n in range(1, 10)},
    },
    prefixes=_phrases("a las", "a la", "las", "la"),
    parts={
        ("am",): _Part.AM,
        ("pm",): _Part.PM,
        ("de", "la", "manana"): _Part.AM,
        ("de", "la", "madrugada"): _Part.AM,
        ("de", "la", "tarde"): _Part.PM,
        ("de", "la", "noche"): _Part.NIGHT,
    },
    oclock=_phrases("en punto", "h", "hs", "horas"),
    specials={
        ("mediodia",): time(12, 0),
        ("el", "mediodia"): time(12, 0),
        ("medianoche",): time(0, 0),
        ("la", "medianoche"): time(0, 0),
    },
)

_WORDS: dict[str, tuple[_Words, ...]] = {"en": (_ENGLISH,), "es": (_SPANISH, _ENGLISH)}
_DEFAULT = "en"

_TOKEN = re.compile(r"\s*([0-9]+|[a-z]+|[:.])", re.ASCII)
# "7 a.m.", "7p.m", "7 A M" -> "am"/"pm"; not inside a word ("dream", "a media")
_AM_PM = re.compile(r"(?<![a-z])([ap])\.?\s*m(?![a-z])\.?", re.ASCII)


def parse_local_time(text: str, language: str | None = "en") -> time | None:
    """The wall-clock time in ``text``, or None when it is not one of the accepted forms.

    ``language`` is a Telegram language code ("es", "es-MX"); it picks the words read
    (unknown languages read English words). Numbers and am/pm work in every language.
    """
    if not isinstance(text, str):
        return None
    tokens = _tokens(text)
    if not tokens:
        return None
    for words in _language_words(language):
        got = _Reader(tokens, words).phrase()
        if got is not None:
            return got
    return None


def _language_words(language: str | None) -> tuple[_Words, ...]:
    code = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return _WORDS.get(code, _WORDS[_DEFAULT])


def _fold(text: str) -> str:
    """Lower-case, accents off, apostrophes out, hyphens between letters as spaces.

    NFD, not NFKD: full-width and other non-ASCII digits must stay non-ASCII (rejected).
    """
    decomposed = unicodedata.normalize("NFD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("'", "").replace("\u2019", "")
    plain = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", plain)
    return _AM_PM.sub(lambda m: f" {m[1]}m ", plain)


def _tokens(text: str) -> tuple[str, ...]:
    """The tokens of ``text``; empty when it is blank or holds anything else."""
    s = _fold(text).strip()
    tokens: list[str] = []
    pos = 0
    while pos < len(s):
        match = _TOKEN.match(s, pos)
        if match is None:
            return ()
        tokens.append(match[1])
        pos = match.end()
    return tuple(tokens)


@dataclass(frozen=True)
class _Clock:
    """A clock as said: ``hour`` as named (the part of day applies to it), then minutes.

    ``minute`` may be negative ("quarter to eight" is 8 and -15).
    """

    hour: int
    minute: int
    twelve_hour_ok: bool = True  # "1915" and "19h30" are 24-hour forms: no am/pm


class _Reader:
    """Reads one phrase from the tokens; every method returns None on a mismatch."""

    def __init__(self, tokens: tuple[str, ...], words: _Words) -> None:
        self.tokens = tokens
        self.words = words
        self.pos = 0

    # -- token helpers
    def _peek(self, offset: int = 0) -> str | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def _take(self, phrases: Iterable[Phrase]) -> Phrase | None:
        """Consume the longest of ``phrases`` found at the cursor."""
        for phrase in sorted(phrases, key=len, reverse=True):
            if self.tokens[self.pos : self.pos + len(phrase)] == phrase:
                self.pos += len(phrase)
                return phrase
        return None

    def _at_end(self) -> bool:
        return self.pos == len(self.tokens)

    # -- grammar
    def phrase(self) -> time | None:
        self._take(self.words.prefixes)
        special = self._take(self.words.specials)
        if special is not None:
            return self.words.specials[special] if self._at_end() else None
        clock = self._clock()
        if clock is None:
            return None
        part: _Part | None = None
        oclock = self._take(self.words.oclock) is not None
        found = self._take(self.words.parts)
        if found is not None:
            part = self.words.parts[found]
            if not oclock:
                self._take(self.words.oclock)
        if not self._at_end():
            return None
        return _apply(clock, part)

    def _clock(self) -> _Clock | None:
        start = self.pos
        for read in (self._numeric, self._fraction_first, self._hour_first):
            self.pos = start
            got = read()
            if got is not None:
                return got
        return None

    def _numeric(self) -> _Clock | None:
        """H:MM, H.MM, HHMM, HhMM (a bare hour is read by ``_hour_first``)."""
        first, sep, minutes = self._peek(), self._peek(1), self._peek(2)
        if first is None or not first.isdigit():
            return None
        if len(first) == 4:
            self.pos += 1
            return _Clock(int(first[:2]), int(first[2:]), twelve_hour_ok=False)
        if len(first) > 2 or sep not in (":", ".", "h"):
            return None
        if minutes is None or not minutes.isdigit() or len(minutes) != 2:
            return None  # "7:", "7:5", "7h5"; "19h" is an hour and "h" (o'clock)
        self.pos += 3
        return _Clock(int(first), int(minutes), twelve_hour_ok=sep != "h")

    def _hour(self) -> int | None:
        token = self._peek()
        if token is None:
            return None
        if token.isdigit() and len(token) <= 2:
            self.pos += 1
            return int(token)
        if token in self.words.hours:
            self.pos += 1
            return self.words.hours[token]
        return None

    def _hour_first(self) -> _Clock | None:
        """An hour, then minutes in words: "seven thirty", "7 y media", "ocho menos cuarto"."""
        hour = self._hour()
        if hour is None:
            return None
        minutes = self._take(self.words.minutes)
        return _Clock(hour, self.words.minutes[minutes] if minutes else 0)

    def _fraction_first(self) -> _Clock | None:
        """Minutes in words, then the hour: "half past seven", "quarter to 8"."""
        fraction = self._take(self.words.fractions)
        if fraction is None:
            return None
        hour = self._hour()
        return None if hour is None else _Clock(hour, self.words.fractions[fraction])


def _apply(clock: _Clock, part: _Part | None) -> time | None:
    """The time of day: the part of day turns the named hour to 24-hour, then minutes."""
    hour = clock.hour
    if part is not None:
        if not clock.twelve_hour_ok or not 1 <= hour <= 12:
            return None
        if part is _Part.AM:
            hour %= 12
        elif part is _Part.PM:
            hour = hour % 12 + 12
        elif part is _Part.EVENING:
            if hour == 12:
                return None
            hour += 12
        elif part is _Part.NIGHT:
            if hour == 12:
                hour = 0
            elif 6 <= hour <= 11:
                hour += 12
            else:
                return None
    if not (0 <= hour <= 23 and -59 <= clock.minute <= 59):
        return None
    total = hour * 60 + clock.minute
    if total < 0:
        return None  # "quarter to 0"
    return time(total // 60, total % 60)
