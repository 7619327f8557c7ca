"""Dates, times and day names in the patient's language, from CLDR (Babel), never hand tables.

A content language code ("es", "pt-br") picks the Babel locale; one Babel does not know
falls back to English, so a clinic's new language never breaks a screen.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import (
    format_date,
    format_datetime,
    get_day_names,
    get_timezone,
    get_timezone_location,
)

FALLBACK = "en"


@cache
def locale_for(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK)


def day_names(lang: str) -> list[str]:
    """The seven short day names, Monday first ("Mon", "lun")."""
    names = get_day_names("abbreviated", locale=locale_for(lang))
    return [names[day] for day in range(7)]


def when(local: datetime, lang: str) -> str:
    """'Wed 26 Nov, 07:30' / 'mié 26 nov, 07:30': the day and the 24-hour clock."""
    return f"{day(local, lang)}, {local:%H:%M}"


def day(local: datetime, lang: str) -> str:
    """'Wed 26 Nov' / 'mié 26 nov'."""
    return str(format_datetime(local, "EEE d MMM", locale=locale_for(lang)))


def moment(local: datetime, lang: str) -> str:
    """'Mon 12 Jan 2026, 10:00 EST' / 'lun 12 ene 2026, 10:00 EST': an instant for the
    clinic's staff, with the year and the zone's abbreviation (as the zone database has it,
    the same in every language)."""
    shown = str(format_datetime(local, "EEE d MMM y, HH:mm", locale=locale_for(lang)))
    zone = local.tzname()
    return f"{shown} {zone}" if zone else shown


def day_month(when: date, lang: str) -> str:
    """'2 Mar' / '2 mar': a day of a month, as a chart labels a week by its Monday."""
    return str(format_date(when, "d MMM", locale=locale_for(lang)))


def language_name(lang: str) -> str:
    """A language's name in itself, as its speakers look for it: 'English', 'Español'."""
    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return lang
    name = locale.get_display_name(locale) or lang
    return name[:1].upper() + name[1:]


@cache
def zone_city(zone: str, lang: str) -> str | None:
    """The city a zone is named after, in the language: "Ciudad de México", "Nueva York";
    None when CLDR has no name for it."""
    try:
        city = get_timezone_location(get_timezone(zone), locale=locale_for(lang), return_city=True)
    except LookupError:
        return None
    return str(city) if city else None
