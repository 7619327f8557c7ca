"""Does free text a patient typed speak of pain? ("it hurts", "my back hurts, stop").

``mentions_pain(text, words)`` is True when the text holds a pain or stop word or phrase
that no negation covers. It errs towards True: the bot answers a mention with the stop
advice and a button to carry on, so a false alarm costs a tap while a missed one could
cost an injury. Soreness is normal after exercise and handled elsewhere: "sore" is not a
pain word.

Matching is on whole words, case- and accent-insensitive ("Me DUELE", "me duele" and
"me dúele" are the same; "pain" is not found in "painted"); apostrophes are dropped
("doesn't" and "doesn’t" are "doesnt") and hyphens split words ("pain-free").
Punctuation ends a clause.

A negation phrase ("no pain", "doesn't hurt", "no me duele") covers the mentions inside
it. Between two of its words may stand up to ``window`` filler words of the language
("no *real* pain", "doesn't *really* hurt", "no me duele *nada*" needs none, "sin
*ningún* dolor"), never punctuation and never any other word: "no, it hurts" and "no it
hurts" are mentions, and so is "it doesn't matter it hurts". Every mention counts on its
own: "it doesn't hurt anymore but my knee hurts" is a mention.

The words come per language as a ``PainWords`` (``DEFAULT_WORDS`` for "en" and "es"),
built from plain lists so that content files can hold them::

    PainWords.from_lists(pain=["hurts", "pain"], stop=["stop"], negations=["no pain"])
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

Phrase = tuple[str, ...]

_APOSTROPHES = str.maketrans({"'": None, "’": None, "`": None, "-": " ", "_": " "})
_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")  # a word, or one punctuation mark (a clause end)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold().translate(_APOSTROPHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _tokens(text: str) -> tuple[str, ...]:
    """Words and punctuation marks, folded; a mark stands for "the clause ends here"."""
    return tuple(_TOKEN.findall(_fold(text)))


def _is_word(token: str) -> bool:
    return token[0].isalnum()


def _phrase(text: str) -> Phrase:
    phrase = tuple(t for t in _tokens(text) if _is_word(t))
    if not phrase:
        raise ValueError(f"not a word or phrase: {text!r}")
    return phrase


@dataclass(frozen=True)
class PainWords:
    """One language's words for reading pain in free text.

    - ``pain``: words and phrases that speak of pain ("hurts", "me duele");
    - ``stop``: words and phrases that ask to stop ("stop"), read like pain words;
    - ``negations``: phrases that take back the pain or stop words inside them ("no
      pain", "doesn't hurt", "sin dolor"); each holds at least one of them;
    - ``fillers``: words that may stand inside a negation ("really", "nada");
    - ``window``: how many fillers at most between two words of a negation.

    Build it from plain lists (a YAML file's) with ``from_lists`` or ``from_mapping``; a
    list that cannot work raises ``ValueError`` naming the entry.
    """

    pain: tuple[str, ...]
    negations: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    fillers: tuple[str, ...] = ()
    window: int = 2

    def __post_init__(self) -> None:
        for name in ("pain", "negations", "stop", "fillers"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{name}: a list of words or phrases")
            object.__setattr__(self, name, tuple(value))
        if not self.pain:
            raise ValueError("pain: at least one word")
        if not 0 <= self.window <= 5:
            raise ValueError("window: 0 to 5 filler words")
        mentions = {_phrase(p) for p in (*self.pain, *self.stop)}
        for negation in self.negations:
            tokens = _phrase(negation)
            if not any(_find(tokens, m) for m in mentions):
                raise ValueError(f"negations: {negation!r} holds no pain or stop word")
        for filler in self.fillers:
            tokens = _phrase(filler)
            if len(tokens) != 1:
                raise ValueError(f"fillers: one word each, not {filler!r}")
            if (tokens[0],) in mentions:
                raise ValueError(f"fillers: {filler!r} is a pain or stop word")

    @classmethod
    def from_lists(
        cls,
        *,
        pain: Iterable[str],
        negations: Iterable[str] = (),
        stop: Iterable[str] = (),
        fillers: Iterable[str] = (),
        window: int = 2,
    ) -> PainWords:
        return cls(tuple(pain), tuple(negations), tuple(stop), tuple(fillers), window)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> PainWords:
        """From a parsed content file: keys pain, negations, stop, fillers, window."""
        unknown = set(data) - {"pain", "negations", "stop", "fillers", "window"}
        if unknown:
            raise ValueError(f"unknown keys: {sorted(unknown)}")

        def words(key: str) -> tuple[str, ...]:
            value = data.get(key) or ()
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise ValueError(f"{key}: a list of words or phrases")
            return tuple(value)

        window = data.get("window", 2)
        if not isinstance(window, int) or isinstance(window, bool):
            raise ValueError("window: a whole number")
        return cls(words("pain"), words("negations"), words("stop"), words("fillers"), window)


def _find(haystack: Phrase, needle: Phrase) -> list[int]:
    """Where ``needle`` starts in ``haystack`` (whole tokens, contiguous)."""
    n = len(needle)
    return [i for i in range(len(haystack) - n + 1) if haystack[i : i + n] == needle]


@dataclass(frozen=True)
class _Compiled:
    mentions: tuple[Phrase, ...]
    negations: tuple[Phrase, ...]
    fillers: frozenset[str]
    window: int


@lru_cache(maxsize=32)
def _compile(words: PainWords) -> _Compiled:
    return _Compiled(
        mentions=tuple(dict.fromkeys(_phrase(p) for p in (*words.pain, *words.stop))),
        negations=tuple(dict.fromkeys(_phrase(n) for n in words.negations)),
        fillers=frozenset(_phrase(f)[0] for f in words.fillers),
        window=words.window,
    )


def _negated_spans(tokens: tuple[str, ...], rules: _Compiled) -> list[tuple[int, int]]:
    """(start, end) of every negation in the tokens, fillers allowed between its words."""
    spans = []
    for negation in rules.negations:
        for start in _find(tokens, negation[:1]):
            pos = start + 1
            for word in negation[1:]:
                skipped = 0
                while pos < len(tokens) and tokens[pos] != word:
                    if tokens[pos] not in rules.fillers or skipped == rules.window:
                        break
                    pos += 1
                    skipped += 1
                if pos >= len(tokens) or tokens[pos] != word:
                    break
                pos += 1
            else:
                spans.append((start, pos))
    return spans


def mentions_pain(text: str, words: PainWords) -> bool:
    """Whether ``text`` speaks of pain (or asks to stop) in words no negation takes back."""
    if not isinstance(text, str):
        return False
    tokens = _tokens(text)
    if not tokens:
        return False
    rules = _compile(words)
    negated = _negated_spans(tokens, rules)
    for mention in rules.mentions:
        for start in _find(tokens, mention):
            end = start + len(mention)
            if not any(s <= start and end <= e for s, e in negated):
                return True
    return False


DEFAULT_WORDS: dict[str, PainWords] = {
    "en": PainWords.from_lists(
        pain=["hurt", "hurts", "hurting", "pain", "pains", "painful", "ache", "aches", "aching"],
        stop=["stop"],
        negations=[
            "no pain",
            "not in pain",
            "not painful",
            "doesn't hurt",
            "does not hurt",
            "don't feel pain",
            "do not feel pain",
            "didn't feel pain",
            "not feeling pain",
            "didn't hurt",
            "did not hurt",
            "don't hurt",
            "do not hurt",
            "isn't hurting",
            "is not hurting",
            "not hurting",
            "never hurts",
            "no longer hurts",
            "without pain",
            "pain free",
            "pain-free",
            "pain is gone",
            "pain has gone",
            "pain went away",
            "no aches",
            "doesn't ache",
            "does not ache",
            "not aching",
        ],
        fillers=[
            "really",
            "much",
            "too",
            "very",
            "so",
            "any",
            "more",
            "real",
            "even",
            "quite",
            "at",
            "all",
            "longer",
        ],
    ),
    "es": PainWords.from_lists(
        pain=[
            "me duele",
            "duele",
            "duelen",
            "dolor",
            "dolores",
            "doloroso",
            "me está doliendo",
            "doliendo",
            "dolió",
            "dolía",
            "dolían",
            "me hace daño",
            "me hice daño",
            "me lastimé",
        ],
        stop=["parar", "detener", "basta", "stop"],
        negations=[
            "no me duele",
            "no duele",
            "no duelen",
            "ya no duele",
            "ya no me duele",
            "sin dolor",
            "no tengo dolor",
            "no siento dolor",
            "no hay dolor",
            "nada de dolor",
            "no me está doliendo",
            "no está doliendo",
            "no es doloroso",
            "no dolió",
            "no me dolió",
            "no me hace daño",
            "no me hice daño",
            "no me lastimé",
        ],
        fillers=[
            "me",
            "le",
            "nada",
            "mucho",
            "tanto",
            "ya",
            "casi",
            "más",
            "ningún",
            "ninguna",
            "realmente",
            "de",
            "el",
        ],
    ),
}
