"""Choosing the user's IANA time zone: typed name or city, shared location, suggestions.

No network: names come from the installed tz database (``zoneinfo``/``tzdata``) and
locations from timezonefinder's bundled polygons, loaded lazily once per process.
timezonefinder is optional (``pip install 'exercise-bot[location]'``): without it
``zone_for_location`` raises ``LocationLookupUnavailable`` and the bot asks for a typed
city or a suggested zone instead; ``location_lookup_available`` tells in advance.
"""

from __future__ import annotations

import importlib.util
import math
import threading
import unicodedata
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from bot.core.schedule import get_zone, is_valid_zone

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

# Regions whose names are real "Region/City" zones (not the legacy US/, Canada/, Etc/ ...).
_REGIONS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)
_UTC_WORDS = frozenset({"utc", "gmt", "etc/utc", "etc/gmt", "z", "zulu"})

# Major cities that are not the city part of an IANA name (and preferred spellings).
_CITY_ALIASES: dict[str, tuple[str, ...]] = {
    "America/New_York": (
        "boston",
        "washington",
        "washington dc",
        "nyc",
        "new york city",
        "philadelphia",
        "atlanta",
        "miami",
        "orlando",
        "pittsburgh",
        "baltimore",
        "charlotte",
        "cleveland",
        "columbus",
    ),
    "America/Chicago": (
        "dallas",
        "houston",
        "austin",
        "san antonio",
        "minneapolis",
        "st louis",
        "saint louis",
        "new orleans",
        "nashville",
        "kansas city",
        "milwaukee",
        "memphis",
        "oklahoma city",
    ),
    "America/Denver": ("salt lake city", "albuquerque", "colorado springs", "el paso"),
    "America/Phoenix": ("tucson", "scottsdale"),
    "America/Los_Angeles": (
        "san francisco",
        "seattle",
        "san diego",
        "san jose",
        "las vegas",
        "portland",
        "sacramento",
        "oakland",
    ),
    "America/Anchorage": ("alaska",),
    "Pacific/Honolulu": ("hawaii",),
    "America/Toronto": ("montreal", "ottawa", "quebec", "quebec city", "hamilton"),
    "America/Vancouver": ("victoria",),
    "America/Edmonton": ("calgary",),
    "America/Sao_Paulo": ("rio", "rio de janeiro", "brasilia", "belo horizonte"),
    "Europe/London": (
        "manchester",
        "edinburgh",
        "glasgow",
        "birmingham",
        "liverpool",
        "leeds",
        "bristol",
        "cardiff",
        "belfast",
    ),
    "Europe/Dublin": ("cork",),
    "Europe/Berlin": (
        "munich",
        "munchen",
        "frankfurt",
        "hamburg",
        "cologne",
        "koln",
        "stuttgart",
        "dusseldorf",
        "dresden",
        "leipzig",
        "hannover",
        "bremen",
        "nuremberg",
        "nurnberg",
    ),
    "Europe/Vienna": ("salzburg", "graz", "innsbruck", "wien"),
    "Europe/Zurich": ("geneva", "geneve", "genf", "bern", "basel", "lausanne", "zurich"),
    "Europe/Paris": (
        "lyon",
        "marseille",
        "toulouse",
        "nice",
        "bordeaux",
        "lille",
        "nantes",
        "strasbourg",
    ),
    "Europe/Madrid": ("barcelona", "seville", "sevilla", "valencia", "bilbao", "malaga"),
    "Europe/Rome": (
        "milan",
        "milano",
        "naples",
        "napoli",
        "florence",
        "firenze",
        "venice",
        "venezia",
        "turin",
        "torino",
        "bologna",
        "roma",
    ),
    "Europe/Lisbon": ("porto", "lisboa"),
    "Europe/Amsterdam": ("rotterdam", "the hague", "utrecht", "eindhoven"),
    "Europe/Brussels": ("antwerp", "ghent", "bruxelles"),
    "Europe/Warsaw": ("krakow", "wroclaw", "gdansk", "poznan", "lodz", "warszawa"),
    "Europe/Prague": ("brno", "praha"),
    "Europe/Moscow": ("saint petersburg", "st petersburg", "moskva", "kazan"),
    "Europe/Kyiv": ("kyiv", "kiev", "kharkiv", "odesa", "odessa", "lviv", "dnipro"),
    "Europe/Istanbul": ("istanbul", "ankara", "izmir"),
    "Asia/Nicosia": ("nicosia", "limassol"),
    "Asia/Jerusalem": ("tel aviv", "haifa"),
    "Asia/Dubai": ("abu dhabi", "sharjah"),
    "Asia/Shanghai": (
        "beijing",
        "shenzhen",
        "guangzhou",
        "chengdu",
        "wuhan",
        "hangzhou",
        "nanjing",
        "tianjin",
    ),
    "Asia/Kolkata": (
        "delhi",
        "new delhi",
        "mumbai",
        "bombay",
        "bangalore",
        "bengaluru",
        "chennai",
        "madras",
        "calcutta",
        "hyderabad",
        "pune",
        "ahmedabad",
    ),
    "Asia/Tokyo": ("osaka", "kyoto", "yokohama", "nagoya", "sapporo"),
    "Asia/Seoul": ("busan",),
    "Asia/Ho_Chi_Minh": ("saigon", "ho chi minh city", "hanoi"),
    "Asia/Yangon": ("rangoon",),
    "Asia/Kathmandu": ("katmandu",),
    "Australia/Brisbane": ("gold coast",),
    "Australia/Sydney": ("canberra", "newcastle"),
    "Pacific/Auckland": ("wellington", "christchurch"),
}

_LANGUAGE_ZONES: dict[str, tuple[str, ...]] = {
    "en": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "Europe/London",
        "Australia/Sydney",
    ),
    "de": ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich"),
    "fr": ("Europe/Paris", "Europe/Brussels", "Europe/Zurich", "America/Toronto"),
    "es": (
        "Europe/Madrid",
        "America/Mexico_City",
        "America/Bogota",
        "America/Argentina/Buenos_Aires",
        "America/Lima",
        "America/Santiago",
    ),
    "it": ("Europe/Rome", "Europe/Zurich"),
    "pt": ("America/Sao_Paulo", "Europe/Lisbon"),
    "ru": (
        "Europe/Moscow",
        "Asia/Yekaterinburg",
        "Asia/Novosibirsk",
        "Asia/Vladivostok",
        "Asia/Almaty",
    ),
    "uk": ("Europe/Kyiv",),
    "pl": ("Europe/Warsaw",),
    "nl": ("Europe/Amsterdam", "Europe/Brussels"),
    "cs": ("Europe/Prague",),
    "sk": ("Europe/Bratislava",),
    "hu": ("Europe/Budapest",),
    "ro": ("Europe/Bucharest",),
    "el": ("Europe/Athens",),
    "sv": ("Europe/Stockholm",),
    "da": ("Europe/Copenhagen",),
    "nb": ("Europe/Oslo",),
    "no": ("Europe/Oslo",),
    "fi": ("Europe/Helsinki",),
    "tr": ("Europe/Istanbul",),
    "he": ("Asia/Jerusalem",),
    "ar": ("Asia/Riyadh", "Africa/Cairo", "Asia/Dubai"),
    "hi": ("Asia/Kolkata",),
    "ja": ("Asia/Tokyo",),
    "ko": ("Asia/Seoul",),
    "zh": ("Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong"),
}
_FALLBACK_ZONES = ("UTC", "Europe/London", "America/New_York")
_LEGACY_NAMES = {"Europe/Kyiv": "Europe/Kiev"}  # older tz databases
MAX_LABEL = 30


def _fold(text: str) -> str:
    """Lower-case, accents removed, '_'/'-' as spaces, single spaces, no dots."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("_", " ").replace("-", " ").replace(".", "")
    return " ".join(plain.split())


def _available(zone: str) -> str | None:
    """``zone`` if installed, else its legacy name if that is, else None."""
    for name in (zone, _LEGACY_NAMES.get(zone)):
        if name and is_valid_zone(name):
            return name
    return None


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, str]]:
    """(folded full name -> zone, folded city -> zone), built once from the tz database."""
    full: dict[str, str] = {}
    cities: dict[str, list[str]] = {}
    for zone in available_timezones():
        region = zone.split("/", 1)[0]
        if "/" not in zone or region in ("Etc", "posix", "right"):
            continue
        full[_fold(zone).replace(" / ", "/")] = zone
        if region in _REGIONS:
            cities.setdefault(_fold(zone.rsplit("/", 1)[1]), []).append(zone)
    # Several names for one city (America/Indianapolis, America/Indiana/Indianapolis):
    # the deeper name is the current one in the tz database; ties go alphabetically.
    by_city = {c: sorted(zs, key=lambda z: (-z.count("/"), z))[0] for c, zs in cities.items()}
    for zone, aliases in _CITY_ALIASES.items():
        name = _available(zone)
        if name:
            for alias in aliases:
                by_city[_fold(alias)] = name
    return full, by_city


def resolve_zone(text: str) -> str | None:
    """The IANA zone a user means by ``text``, or None.

    Accepts an IANA "Region/City" name in any case, a city (IANA city part or a known
    alias, accent-insensitive, "City, Country" allowed) and UTC/GMT (-> "UTC").
    Abbreviations such as EST or CET are ambiguous and rejected, as are fixed offsets.
    """
    if not isinstance(text, str):
        return None
    folded = _fold(text).replace(" / ", "/").replace("/ ", "/").replace(" /", "/")
    if not folded or len(folded) > 64:
        return None
    if folded in _UTC_WORDS:
        return "UTC"
    full, by_city = _index()
    if folded in full:
        return full[folded]
    if folded in by_city:
        return by_city[folded]
    head = _fold(text.split(",", 1)[0])
    if head != folded and head in by_city:
        return by_city[head]
    return None


LOCATION_EXTRA_HINT = "pip install 'exercise-bot[location]'"


class LocationLookupUnavailable(RuntimeError):
    """Zones cannot be found from a location here: timezonefinder is not installed.

    Not a problem with the location itself: the caller should tell the patient to type a
    city or pick a suggested zone (and never retry the location).
    """

    def __init__(self, reason: str = "timezonefinder is not installed") -> None:
        super().__init__(f"{reason}; {LOCATION_EXTRA_HINT} enables shared locations")


_finder: TimezoneFinder | None = None
_finder_missing: str | None = None  # why timezonefinder could not be imported, once known
_finder_lock = threading.Lock()


def location_lookup_available() -> bool:
    """Whether ``zone_for_location`` can work (timezonefinder is installed); cheap, no import.

    Use it to decide whether to offer a "share location" button at all.
    """
    if _finder is not None:
        return True
    if _finder_missing is not None:
        return False
    try:
        return importlib.util.find_spec("timezonefinder") is not None
    except (ImportError, ValueError):
        return False


def _get_finder() -> TimezoneFinder:
    """The process's one finder, built on first use; ``LocationLookupUnavailable`` without it."""
    global _finder, _finder_missing
    if _finder is None:
        with _finder_lock:
            if _finder is None:
                if _finder_missing is not None:
                    raise LocationLookupUnavailable(_finder_missing)
                try:
                    from timezonefinder import TimezoneFinder  # heavy: only when needed
                except ImportError as error:  # absent, or present but broken (numpy, h3)
                    _finder_missing = f"timezonefinder cannot be imported ({error.msg})"
                    raise LocationLookupUnavailable(_finder_missing) from None
                _finder = TimezoneFinder()
    return _finder


def zone_for_location(lat: float, lon: float) -> str | None:
    """The zone at a shared location; None for invalid coordinates or the open sea.

    Raises ``LocationLookupUnavailable`` when timezonefinder is not installed, whatever the
    coordinates, so "this bot cannot read locations" is never mistaken for "that place
    has no zone".
    """
    finder = _get_finder()
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    zone = finder.timezone_at(lng=lon, lat=lat)
    if not zone or zone.startswith("Etc/") or not is_valid_zone(zone):
        return None
    return zone


def suggested_zones(language_code: str | None) -> list[str]:
    """A few likely zones (at most 6, all installed) for a Telegram language code."""
    lang = (language_code or "").strip().lower().replace("_", "-").split("-", 1)[0]
    candidates = _LANGUAGE_ZONES.get(lang, _FALLBACK_ZONES)
    zones = [z for z in (_available(c) for c in candidates) if z]
    return (zones or list(_FALLBACK_ZONES))[:6]


def _offset_text(at: datetime) -> str:
    off = at.utcoffset()
    if off is None:
        return "UTC"
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone: str, at: datetime) -> str:
    """A short button label: "New York (EST)", "Istanbul (UTC+3)", "UTC"; at most 30 chars.

    The abbreviation is the one in force at ``at``; numeric ones ("+03") become UTC
    offsets. Long city names are shortened with an ellipsis.
    """
    local = at.astimezone(get_zone(zone))
    if "/" not in zone:
        return zone[:MAX_LABEL]
    city = zone.rsplit("/", 1)[1].replace("_", " ")
    abbr = local.tzname() or ""
    if not abbr or abbr[0] in "+-" or abbr[0].isdigit():
        abbr = _offset_text(local)
    suffix = f" ({abbr})"
    room = MAX_LABEL - len(suffix)
    if len(city) > room:
        city = city[: room - 1].rstrip() + "…"
    return city + suffix
