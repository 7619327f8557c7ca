"""The content the bot shows, as immutable typed values.

The models check shapes and single-field ranges; rules that span fields or files (a
program's exercises exist, a timed step needs a duration, texts fit Telegram's limits)
live in ``bot.content.rules`` so each problem can name its exact place in a file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.core.typed_pain import PainWords

Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
Id = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
]
DEFAULT_LANGUAGE = "en"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Clinic(_Frozen):
    """Whom a patient should call: shown with every "see a doctor" advice."""

    name: Text
    clinician: Text
    credentials: Text
    address: Text
    phone: Text
    phone_international: (
        Annotated[
            str, StringConstraints(strict=True, strip_whitespace=True, pattern=r"^\+[0-9 ]{6,20}$")
        ]
        | None
    ) = None
    opening_hours: Text
    website: Text | None = None
    emergency_number: Annotated[
        str, StringConstraints(strict=True, strip_whitespace=True, pattern=r"^[0-9]{2,6}$")
    ]
    # Emergency numbers where the patient lives, by IANA zone prefix ("Europe/": "112");
    # the longest matching prefix wins, else ``emergency_number`` (the clinic's country).
    emergency_numbers: dict[
        str,
        Annotated[
            str, StringConstraints(strict=True, strip_whitespace=True, pattern=r"^[0-9]{2,6}$")
        ],
    ] = Field(default_factory=dict)

    def emergency_number_for(self, zone: str | None) -> str:
        """The number to call where the patient is (their zone), else the clinic's."""
        if zone:
            matches = [p for p in self.emergency_numbers if zone.startswith(p)]
            if matches:
                return self.emergency_numbers[max(matches, key=len)]
        return self.emergency_number

    # The clinic's country (ISO 3166 code, "US"): a typed place name that several countries
    # share means the one here ("Cambridge" is Cambridge, MA for a Boston clinic).
    country: (
        Annotated[str, StringConstraints(strict=True, strip_whitespace=True, pattern=r"^[A-Z]{2}$")]
        | None
    ) = None

    # The clinic's IANA time zone: follow-ups for a patient who has not chosen one yet are
    # timed in it (10:00 UTC would be 05:00 in Boston).
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as America/New_York)"
            ) from None
        return value

    # For operators, never shown to patients: this is sample content, not a real clinic's
    # deployment. `exercise-bot run` refuses it unless ALLOW_EXAMPLE_CONTENT=true.
    example: StrictBool = False

    @property
    def phone_display(self) -> str:
        """The international form when given: Telegram makes it a tappable link."""
        return self.phone_international or self.phone


class Dose(_Frozen):
    """How much of an exercise: repetitions, sets, holds and timed sets."""

    reps: Annotated[StrictInt, Field(ge=1, le=100)] | None = None
    reps_max: Annotated[StrictInt, Field(ge=1, le=100)] | None = None
    per: Literal["side", "limb"] | None = None
    sets: Annotated[StrictInt, Field(ge=1, le=20)] = 1
    sets_max: Annotated[StrictInt, Field(ge=1, le=20)] | None = None
    hold_breaths: Annotated[StrictInt, Field(ge=1, le=20)] | None = None
    duration_seconds: Annotated[StrictInt, Field(ge=5, le=600)] | None = None
    rest_seconds: Annotated[StrictInt, Field(ge=0, le=600)] | None = None


MediaPath = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]


class Media(_Frozen):
    """Pictures for a screen: files relative to the content directory, and their alt text.

    ``image`` is a still (PNG or JPEG), ``animation`` a short silent loop (GIF or MP4).
    With both, the screen shows the animation and the image stands in for it when the
    animation cannot be sent. The description is shown instead of the picture wherever
    a picture cannot be shown, so it says what the picture shows. That the files exist,
    are what they claim and fit Telegram's limits is checked in ``bot.content.media``.
    """

    image: MediaPath | None = None
    animation: MediaPath | None = None
    description: Text  # one line, at most MAX_DESCRIPTION characters (bot.content.media)


class Step(_Frozen):
    """One screen of an exercise. In YAML a plain string is a step too."""

    text: Text
    timed: StrictBool = False
    media: Media | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value


class Exercise(_Frozen):
    id: Id
    title: Text
    short_title: Text  # a button label: at most 30 characters
    position: Text
    purpose: Text
    setup: Text
    steps: Annotated[tuple[Step, ...], Field(min_length=1, max_length=20)]
    dose: Dose
    dose_text: Text
    minutes: Annotated[StrictInt, Field(ge=1, le=60)]
    cautions: tuple[Text, ...] = ()
    alternative: Id | None = None
    # Shown on the setup screen next to the "Try ..." button: why and when the alternative
    # suits better, e.g. "If lying on your stomach is hard: ..."
    alternative_hint: Text | None = None
    media: Media | None = None  # for every screen of the exercise without media of its own
    setup_media: Media | None = None  # for the setup screen

    @property
    def timed_step(self) -> Step | None:
        return next((step for step in self.steps if step.timed), None)

    def media_for(self, screen: int) -> Media | None:
        """The media of one screen of the exercise: 0 is the setup, 1.. the steps.

        A screen's own media wins; otherwise the exercise's media, if any.
        """
        own = self.setup_media if screen == 0 else self.steps[screen - 1].media
        return own or self.media

    def media_places(self) -> list[tuple[str, Media]]:
        """Every media entry with its place in the file, e.g. ``steps[1].media``."""
        places = [("media", self.media), ("setup_media", self.setup_media)]
        places += [(f"steps[{i}].media", step.media) for i, step in enumerate(self.steps)]
        return [(where, media) for where, media in places if media is not None]


class Program(_Frozen):
    id: Id
    title: Text
    intro: Text
    before_you_start: Text  # a key of the UI texts, e.g. advice_before_start
    exercises: Annotated[tuple[Id, ...], Field(min_length=1, max_length=20)]
    # The program a new patient gets. Required on exactly one program when there are
    # several (checked by bot.content.rules.check_default_program), so adding a program
    # file never changes what new patients get.
    default: StrictBool = False


class WarningSign(_Frozen):
    id: Id
    label: Text  # at most 80 characters


class Safety(_Frozen):
    warning_signs: Annotated[tuple[WarningSign, ...], Field(min_length=1)]
    # The optional 0-10 pain rating asked after a pain report, once the advice is shown
    # (docs/SAFETY.md). Off unless the clinic turns it on; a switch, not words, so it is
    # never in a translation's safety.yaml.
    pain_rating: StrictBool = False


class Localized(_Frozen):
    """One language besides English: the English files with this language's words."""

    clinic: Clinic
    programs: dict[str, Program]
    exercises: dict[str, Exercise]
    warning_signs: tuple[WarningSign, ...]


class Content(_Frozen):
    """Everything loaded from one content directory, with the hash of its files.

    ``clinic``, ``programs``, ``exercises`` and ``warning_signs`` are the English files:
    ids, doses, timers, pictures and numbers are the same in every language, so code that
    needs only those reads them here. Whatever a patient reads comes through the methods
    that take a language (``exercise(id, lang)``, ``program(id, lang)``, ``signs(lang)``,
    ``clinic_in(lang)``, ``text(lang, key)``); the loader made every language complete.
    """

    clinic: Clinic
    programs: dict[str, Program]
    exercises: dict[str, Exercise]
    texts: dict[str, dict[str, str]]
    warning_signs: tuple[WarningSign, ...]
    version: str  # sha256 hex of the content files
    # Ask "how strong was the pain, 0 to 10?" after a pain report (safety.yaml pain_rating)
    pain_rating: bool = False
    # language -> the words that mean pain in typed text (content/pain-words/<lang>.yaml)
    pain_words: dict[str, PainWords] = Field(default_factory=dict)
    # language -> its words (every language of ``texts`` but English)
    localized: dict[str, Localized] = Field(default_factory=dict)

    @property
    def short_version(self) -> str:
        return self.version[:12]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.texts)

    @property
    def default_program(self) -> Program:
        """The program a new patient gets: the one marked ``default: true``, or the only one.

        The loader guarantees exactly one of those exists."""
        marked = [p for p in self.programs.values() if p.default]
        return marked[0] if marked else next(iter(self.programs.values()))

    def language_of(self, lang: str) -> str:
        """The content language that serves ``lang``: itself, its base ("es" for "es-MX"),
        else English."""
        for candidate in (lang, lang.split("-")[0].lower()):
            if candidate in self.texts:
                return candidate
        return DEFAULT_LANGUAGE

    def _words(self, lang: str) -> Localized | None:
        return self.localized.get(self.language_of(lang))

    def program(self, program_id: str, lang: str) -> Program:
        words = self._words(lang)
        return (words.programs if words else self.programs)[program_id]

    def exercise(self, exercise_id: str, lang: str) -> Exercise:
        words = self._words(lang)
        return (words.exercises if words else self.exercises)[exercise_id]

    def signs(self, lang: str) -> tuple[WarningSign, ...]:
        words = self._words(lang)
        return words.warning_signs if words else self.warning_signs

    def clinic_in(self, lang: str) -> Clinic:
        words = self._words(lang)
        return words.clinic if words else self.clinic

    def program_minutes(self, program_id: str) -> int:
        return sum(self.exercises[ex].minutes for ex in self.programs[program_id].exercises)

    def raw_text(self, lang: str, key: str) -> str:
        """The unformatted text: the language asked for, its base language, then English."""
        for candidate in (lang, lang.split("-")[0].lower(), DEFAULT_LANGUAGE):
            table = self.texts.get(candidate)
            if table is not None and key in table:
                return table[key]
        raise KeyError(f"no UI text {key!r}")

    def text(self, lang: str, key: str, **values: object) -> str:
        """A UI text with its placeholders filled; the caller passes every one it allows."""
        try:
            return self.raw_text(lang, key).format(**values)
        except KeyError as missing:
            raise KeyError(f"UI text {key!r} needs a value for {missing}") from None
