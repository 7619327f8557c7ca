"""The reminder settings dialogue: its screens, and its button data in both directions.

Days, then a time, then a time zone. Nothing is stored until the zone is chosen: the
draft (days, time) travels in each button's data, as the small typed classes below. A
question the patient must answer by typing (a time, a city) is a ``PendingQuestion``,
stored on the patient and forgotten after ``QUESTION_LIFETIME``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Self

from bot.content.model import Content
from bot.core import dates
from bot.core.callbacks import Action, Callback, InvalidCallback, canonical_number
from bot.core.schedule import is_valid_zone
from bot.core.screens import Button, Screen, describe_mask, rows, text
from bot.core.zones import Place, zone_label

EVERY_DAY, WEEKDAYS = 0b1111111, 0b0011111
PRESET_TIMES = ("07:00", "08:00", "12:00", "18:00", "20:00")
QUESTION_LIFETIME = timedelta(minutes=30)


def _mask(text_: str) -> int:
    mask = canonical_number(text_)
    if mask is None or mask > EVERY_DAY:
        raise InvalidCallback("bad days")
    return mask


def _hhmm(text_: str) -> str:
    """'0730' -> '07:30'."""
    digits = text_.isascii() and text_.isdigit()
    if len(text_) != 4 or not digits or int(text_[:2]) > 23 or int(text_[2:]) > 59:
        raise InvalidCallback("bad time")
    return f"{text_[:2]}:{text_[2:]}"


@dataclass(frozen=True)
class Days:
    """The days chosen so far (a weekday bit mask, Monday = bit 0)."""

    mask: int

    def arg(self) -> str:
        return str(self.mask)

    @classmethod
    def parse(cls, arg: str) -> Self:
        return cls(_mask(arg))


@dataclass(frozen=True)
class WeeklyToggle:
    """Turn the weekly summary on or off from the days screen, keeping the days chosen so
    far on it."""

    mask: int
    on: bool

    def arg(self) -> str:
        return f"{self.mask}-{int(self.on)}"

    @classmethod
    def parse(cls, arg: str) -> Self:
        mask, _, on = arg.partition("-")
        if on not in ("0", "1"):
            raise InvalidCallback("bad weekly toggle")
        return cls(_mask(mask), on == "1")


@dataclass(frozen=True)
class DaysAndTime:
    mask: int
    time: str  # "07:30"

    def arg(self) -> str:
        return f"{self.mask}-{self.time.replace(':', '')}"

    @classmethod
    def parse(cls, arg: str) -> Self:
        mask, _, hhmm = arg.partition("-")
        days = _mask(mask)
        if not days:
            raise InvalidCallback("no days")
        return cls(days, _hhmm(hhmm))


@dataclass(frozen=True)
class ZoneChoice:
    """A suggested zone (its index in the suggestion list), "keep the current one", or a
    zone named in full (one of the places a typed name may mean)."""

    draft: DaysAndTime
    pick: int | Literal["keep"] | ZoneName

    def arg(self) -> str:
        if isinstance(self.pick, ZoneName):
            return f"{self.draft.arg()}-z{self.pick.zone}"
        return f"{self.draft.arg()}-{'k' if self.pick == 'keep' else self.pick}"

    @classmethod
    def parse(cls, arg: str) -> Self:
        parts = arg.split("-", 2)
        if len(parts) != 3:
            raise InvalidCallback("bad zone choice")
        draft, pick = DaysAndTime.parse("-".join(parts[:2])), parts[2]
        if pick == "k":
            return cls(draft, "keep")
        if pick.startswith("z"):
            return cls(draft, ZoneName.parse(pick[1:]))
        index = canonical_number(pick)
        if index is None or index > 99:
            raise InvalidCallback("bad zone choice")
        return cls(draft, index)


@dataclass(frozen=True)
class ZoneName:
    """An installed IANA zone, carried whole in button data."""

    zone: str

    @classmethod
    def parse(cls, name: str) -> ZoneName:
        if not is_valid_zone(name):
            raise InvalidCallback("unknown zone")
        return cls(name)


@dataclass(frozen=True)
class PendingQuestion:
    """A typed answer the bot waits for: the time (with the days chosen) or the zone
    (with days and time). Stored as one short string on the patient."""

    kind: Literal["time", "zone"]
    mask: int
    time: str | None
    asked_at: datetime

    def encode(self) -> str:
        hhmm = self.time.replace(":", "") if self.time else ""
        return f"{self.kind}:{self.mask}:{hhmm}:{int(self.asked_at.timestamp())}"

    @classmethod
    def decode(cls, stored: str | None) -> PendingQuestion | None:
        """None for nothing stored or anything unreadable (an old format is forgotten)."""
        if not stored:
            return None
        parts = stored.split(":")
        if (
            len(parts) != 4
            or parts[0] not in ("time", "zone")
            or canonical_number(parts[3]) is None
        ):
            return None
        try:
            mask = _mask(parts[1])
            hhmm = _hhmm(parts[2]) if parts[2] else None
        except InvalidCallback:
            return None
        if parts[0] == "zone" and hhmm is None:
            return None
        asked = datetime.fromtimestamp(int(parts[3]), UTC)
        return cls("time" if parts[0] == "time" else "zone", mask, hhmm, asked)

    def expired(self, now: datetime) -> bool:
        return now - self.asked_at > QUESTION_LIFETIME


# --- screens ---------------------------------------------------------------------------------


def days_screen(content: Content, lang: str, mask: int, weekly: bool | None = None) -> Screen:
    """The days, and (``weekly`` not None) the weekly summary's toggle below them."""
    names = dates.day_names(content.language_of(lang))
    toggles = [
        Button(
            ("✓ " if mask >> day & 1 else "") + names[day],
            Callback(Action.DAYS_TOGGLE, arg=Days(mask ^ (1 << day)).arg()),
        )
        for day in range(7)
    ]
    toggles.append(
        Button(
            content.text(lang, "btn_days_done"), Callback(Action.DAYS_DONE, arg=Days(mask).arg())
        )
    )
    presets = (
        Button(
            content.text(lang, "btn_every_day"),
            Callback(Action.DAYS_TOGGLE, arg=Days(EVERY_DAY).arg()),
        ),
        Button(
            content.text(lang, "btn_weekdays"),
            Callback(Action.DAYS_TOGGLE, arg=Days(WEEKDAYS).arg()),
        ),
    )
    extra: tuple[tuple[Button, ...], ...] = ()
    if weekly is not None:
        extra = (
            (
                Button(
                    ("✓ " if weekly else "") + content.text(lang, "btn_weekly_summary"),
                    Callback(Action.WEEKLY_SUMMARY, arg=WeeklyToggle(mask, not weekly).arg()),
                ),
            ),
        )
    return Screen(text(content, lang, "settings_days"), (presets, *rows(toggles), *extra))


def time_screen(content: Content, lang: str, mask: int) -> Screen:
    buttons = [
        Button(t, Callback(Action.SET_TIME, arg=DaysAndTime(mask, t).arg())) for t in PRESET_TIMES
    ]
    buttons.append(
        Button(
            content.text(lang, "btn_other_time"),
            Callback(Action.OTHER_TIME, arg=Days(mask).arg()),
        )
    )
    days = describe_mask(content, lang, mask)
    return Screen(text(content, lang, "settings_time", days=days), rows(buttons))


def zone_screen(
    content: Content,
    lang: str,
    draft: DaysAndTime,
    current: str | None,
    suggestions: list[str],
    now: datetime,
) -> Screen:
    buttons = []
    if current:
        buttons.append(
            Button(
                content.text(lang, "btn_keep_zone", zone=zone_label(current, now, lang)),
                Callback(Action.SET_ZONE, arg=ZoneChoice(draft, "keep").arg()),
            )
        )
    for index, zone in enumerate(suggestions):
        if zone != current:
            buttons.append(
                Button(
                    zone_label(zone, now, lang),
                    Callback(Action.SET_ZONE, arg=ZoneChoice(draft, index).arg()),
                )
            )
    buttons.append(
        Button(content.text(lang, "btn_other_zone"), Callback(Action.OTHER_ZONE, arg=draft.arg()))
    )
    return Screen(text(content, lang, "settings_zone"), tuple((b,) for b in buttons))


def _clock_of(zone: str, now: datetime) -> str:
    """ "(EST)", "(UTC+3)": the clock part of a zone's label."""
    label = zone_label(zone, now)
    return label[label.rfind("(") :] if "(" in label else f"({label})"


def place_label(place: Place) -> str:
    """ "Cambridge, Massachusetts, United States" (the region only where there is one)."""
    return ", ".join(p for p in (place.city, place.region, place.country_name) if p)


def _candidate_label(place: Place, clock: str, limit: int = 64) -> str:
    """The place and its clock; a long name is cut, never the clock that tells it apart."""
    name = place_label(place)
    room = limit - len(clock) - 1
    if len(name) > room:
        name = name[: room - 1].rstrip(", ") + "…"
    return f"{name} {clock}"


def zone_candidates_screen(
    content: Content, lang: str, draft: DaysAndTime, candidates: Sequence[Place], now: datetime
) -> Screen:
    """A typed name several places share: which one (each with its clock), or type again."""
    buttons = [
        Button(
            _candidate_label(place, _clock_of(place.zone, now)),
            Callback(Action.SET_ZONE, arg=ZoneChoice(draft, ZoneName(place.zone)).arg()),
        )
        for place in candidates
    ]
    buttons.append(
        Button(content.text(lang, "btn_other_zone"), Callback(Action.OTHER_ZONE, arg=draft.arg()))
    )
    return Screen(text(content, lang, "zone_which"), tuple((b,) for b in buttons))


def ask_time_screen(content: Content, lang: str) -> Screen:
    return Screen(text(content, lang, "ask_time"))


def ask_zone_screen(content: Content, lang: str) -> Screen:
    return Screen(text(content, lang, "ask_zone"))


def saved_screen(
    content: Content, lang: str, mask: int, hhmm: str, zone: str, next_when: str | None
) -> Screen:
    """The confirmation; ``zone`` as the patient reads it (``zone_name``: "New York",
    "Nueva York"); ``next_when`` None means no reminder will come yet (on hold)."""
    chosen = {"days": describe_mask(content, lang, mask), "time": hhmm, "zone": zone}
    if next_when is None:
        return Screen(text(content, lang, "settings_saved_on_hold", **chosen))
    return Screen(
        text(content, lang, "settings_saved", next=next_when, **chosen),
        (
            (Button(content.text(lang, "btn_start_now"), Callback(Action.START_NOW)),),
            (Button(content.text(lang, "btn_nudge_setting"), Callback(Action.NUDGE_SETTING)),),
        ),
    )


NUDGE_CHOICES = (0, 60, 120)


@dataclass(frozen=True)
class NudgeChoice:
    """Off, or once 1 or 2 hours after the reminder; empty arg = show the question."""

    minutes: int | None

    def arg(self) -> str:
        return "" if self.minutes is None else str(self.minutes)

    @classmethod
    def parse(cls, arg: str) -> Self:
        if not arg:
            return cls(None)
        minutes = canonical_number(arg)
        if minutes not in NUDGE_CHOICES:
            raise InvalidCallback("bad nudge choice")
        return cls(minutes)


def nudge_question_screen(content: Content, lang: str) -> Screen:
    choices = (("btn_nudge_off", 0), ("btn_nudge_hour", 60), ("btn_nudge_hours", 120))
    return Screen(
        text(content, lang, "nudge_question"),
        tuple(
            (
                Button(
                    content.text(lang, key),
                    Callback(Action.NUDGE_SETTING, arg=NudgeChoice(m).arg()),
                ),
            )
            for key, m in choices
        ),
    )


def nudge_saved_screen(content: Content, lang: str, minutes: int) -> Screen:
    if not minutes:
        return Screen(text(content, lang, "nudge_off"))
    hours = minutes // 60
    if hours == 1:
        return Screen(text(content, lang, "nudge_on_hour"))
    return Screen(text(content, lang, "nudge_on_hours", hours=hours))
