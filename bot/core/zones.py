"""Choosing the user's IANA time zone: typed name or city, shared location, suggestions.

No network. Typed names are read against, in order: UTC words, IANA names from the
installed tz database (``zoneinfo``/``tzdata``), common zone names and abbreviations
("EST", "Eastern", "CET", "hora del este"), then places: cities of the GeoNames gazetteer
(population 15,000 or more, with alternate names such as "Nueva York" or "Londres"), from
``data/places.tsv.gz`` in this package (built by tools/gazetteer/build.py; data CC BY 4.0,
GeoNames, geonames.org: see NOTICE), and the city part of IANA names. The gazetteer is
read on first use and kept (``load_gazetteer``).
``find_zones`` gives one zone, the candidates of an ambiguous name, or nothing;
``resolve_zone`` is its one-answer form.

Locations come from timezonefinder's bundled polygons, loaded lazily once per process.
timezonefinder is optional (``pip install 'exercise-bot[location]'``): without it
``zone_for_location`` raises ``LocationLookupUnavailable`` and the bot asks for a typed
city or a suggested zone instead; ``location_lookup_available`` tells in advance.
"""

from __future__ import annotations

import gzip
import importlib.resources
import importlib.util
import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from bot.core.dates import zone_city
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
_UTC_WORDS = frozenset(
    {
        "utc",
        "gmt",
        "etc/utc",
        "etc/gmt",
        "z",
        "zulu",
        "greenwich mean time",
        "coordinated universal time",
    }
)

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


# ----------------------------------------------------------------------------- folding

_LATIN = str.maketrans(
    {"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h"}
)
_PUNCTUATION = str.maketrans(
    {".": None, "'": None, "’": None, "`": None} | dict.fromkeys("_-()", " ")
)
_SHORT_WORDS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}
_SHORT = re.compile(r"\b(?:st|ste|mt|ft)\b")
_MARKS = re.compile(r"[\u0300-\u036f]")
_OTHER_SCRIPT = re.compile(r"[^\x00-\u024f\u1e00-\u1eff\u0300-\u036f]")


def _fold(text: str) -> str:
    """Lower-case, accents off, dots and apostrophes out, '_'/'-'/brackets as spaces.

    "St. John's" and "St_Johns" both give "saint johns"; "Łódź" gives "lodz". Text in
    other scripts is kept as it is (and matches nothing in the gazetteer).
    """
    s = text.casefold()
    if not s.isascii():
        decomposed = unicodedata.normalize("NFKD", s.translate(_LATIN))
        s = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _tidy(s)


def _fold_alternate(text: str) -> str | None:
    """``_fold`` for the gazetteer's alternate names; None for other scripts (skipped).

    tools/gazetteer/build.py stores the alternate names folded by this: rebuild the data
    file after changing it or ``_fold`` (tools/gazetteer/README.md).
    """
    s = text.casefold()
    if not s.isascii():
        if _OTHER_SCRIPT.search(s):
            return None
        s = _MARKS.sub("", unicodedata.normalize("NFKD", s.translate(_LATIN)))
    return _tidy(s)


def _tidy(s: str) -> str:
    s = " ".join(s.translate(_PUNCTUATION).split())
    return _SHORT.sub(lambda m: _SHORT_WORDS[m[0]], s)


def _fold_zone_name(text: str) -> str:
    return re.sub(r"\s*/\s*", "/", _fold(text))


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
        full[_fold_zone_name(zone)] = zone
        if region in _REGIONS:
            cities.setdefault(_fold(zone.rsplit("/", 1)[1]), []).append(zone)
    # Several names for one city (America/Indianapolis, America/Indiana/Indianapolis):
    # the deeper name is the current one in the tz database; ties go alphabetically.
    # A zone of its own beats a link (Europe/Istanbul, not Asia/Istanbul).
    by_city = {
        c: sorted(zs, key=lambda z: (not _is_main_zone(z), -z.count("/"), z))[0]
        for c, zs in cities.items()
    }
    return full, by_city


# ------------------------------------------------------------ zone names and abbreviations

_NEW_YORK, _CHICAGO, _DENVER, _LOS_ANGELES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
)
_CENTRAL_EUROPE, _EASTERN_EUROPE = "Europe/Paris", "Europe/Athens"

# What people mean by a zone's name: the zone that follows its summer time, never a fixed
# offset ("EST" is New York, with EDT in summer, not the tz database's fixed "EST").
# "" holds the abbreviations, read in every language; words are per language. Left out:
# abbreviations that are everyday words ("EAT", "CAT", "ART", "WEST", "MET") or mean
# fixed offsets only ("UTC+2").
_ZONE_NAMES: dict[str, dict[str, str]] = {
    "": {
        **dict.fromkeys(("est", "edt", "et"), _NEW_YORK),
        **dict.fromkeys(("cst", "cdt", "ct"), _CHICAGO),
        **dict.fromkeys(("mst", "mdt", "mt"), _DENVER),
        **dict.fromkeys(("pst", "pdt", "pt"), _LOS_ANGELES),
        **dict.fromkeys(("akst", "akdt"), "America/Anchorage"),
        "hst": "Pacific/Honolulu",
        **dict.fromkeys(("nst", "ndt"), "America/St_Johns"),
        "adt": "America/Halifax",
        "bst": "Europe/London",
        **dict.fromkeys(("wet",), "Europe/Lisbon"),
        **dict.fromkeys(("cet", "cest"), _CENTRAL_EUROPE),
        **dict.fromkeys(("eet", "eest"), _EASTERN_EUROPE),
        "msk": "Europe/Moscow",
        "ist": "Asia/Kolkata",
        "pkt": "Asia/Karachi",
        "jst": "Asia/Tokyo",
        "kst": "Asia/Seoul",
        "hkt": "Asia/Hong_Kong",
        "sgt": "Asia/Singapore",
        "wib": "Asia/Jakarta",
        **dict.fromkeys(("aest", "aedt"), "Australia/Sydney"),
        **dict.fromkeys(("acst", "acdt"), "Australia/Adelaide"),
        "awst": "Australia/Perth",
        **dict.fromkeys(("nzst", "nzdt"), "Pacific/Auckland"),
        "sast": "Africa/Johannesburg",
        "brt": "America/Sao_Paulo",
    },
    "en": {
        **dict.fromkeys(
            (
                "eastern",
                "eastern time",
                "eastern standard time",
                "eastern daylight time",
                "us eastern",
            ),
            _NEW_YORK,
        ),
        **dict.fromkeys(
            (
                "central",
                "central time",
                "central standard time",
                "central daylight time",
                "us central",
            ),
            _CHICAGO,
        ),
        **dict.fromkeys(
            (
                "mountain",
                "mountain time",
                "mountain standard time",
                "mountain daylight time",
                "us mountain",
            ),
            _DENVER,
        ),
        **dict.fromkeys(
            (
                "pacific",
                "pacific time",
                "pacific standard time",
                "pacific daylight time",
                "us pacific",
            ),
            _LOS_ANGELES,
        ),
        **dict.fromkeys(("alaska", "alaska time"), "America/Anchorage"),
        **dict.fromkeys(("hawaii", "hawaii time"), "Pacific/Honolulu"),
        **dict.fromkeys(("atlantic time", "atlantic standard time"), "America/Halifax"),
        "newfoundland time": "America/St_Johns",
        **dict.fromkeys(
            ("uk time", "british time", "british summer time", "london time"), "Europe/London"
        ),
        **dict.fromkeys(("central european time", "central european summer time"), _CENTRAL_EUROPE),
        **dict.fromkeys(("eastern european time", "eastern european summer time"), _EASTERN_EUROPE),
        **dict.fromkeys(("western european time",), "Europe/Lisbon"),
        **dict.fromkeys(("india time", "indian standard time"), "Asia/Kolkata"),
    },
    "es": {
        **dict.fromkeys(("hora del este", "tiempo del este", "zona este"), _NEW_YORK),
        **dict.fromkeys(("hora central", "tiempo central", "zona central"), _CHICAGO),
        **dict.fromkeys(("hora de la montana", "hora de montana", "tiempo de la montana"), _DENVER),
        **dict.fromkeys(
            ("hora del pacifico", "tiempo del pacifico", "zona pacifico"), _LOS_ANGELES
        ),
        **dict.fromkeys(("hora del atlantico", "tiempo del atlantico"), "America/Halifax"),
        **dict.fromkeys(("hora del centro", "tiempo del centro"), "America/Mexico_City"),
        **dict.fromkeys(("hora de espana", "hora peninsular"), "Europe/Madrid"),
        "hora de canarias": "Atlantic/Canary",
        **dict.fromkeys(("hora de europa central", "hora central europea"), _CENTRAL_EUROPE),
    },
}

# Names that mean another clock in some countries: "IST" in Ireland, "CST" in China.
_LOCAL_MEANINGS: dict[str, dict[str, str]] = {
    "ist": {"IE": "Europe/Dublin", "IL": "Asia/Jerusalem"},
    "cst": {"CN": "Asia/Shanghai", "TW": "Asia/Taipei", "CU": "America/Havana"},
}
# Central time in Mexico has kept no summer time since 2022: not Chicago's clock.
_COUNTRY_TWINS: dict[tuple[str, str], str] = {(_CHICAGO, "MX"): "America/Mexico_City"}
_CLOCK_YEAR = 2026  # "the same clock" is compared over every day of this year


@lru_cache(maxsize=512)
def _clock(zone: str) -> tuple[int, ...]:
    """The zone's UTC offset (minutes) at noon UTC on each day of ``_CLOCK_YEAR``."""
    tz = get_zone(zone)
    start = datetime(_CLOCK_YEAR, 1, 1, 12, tzinfo=UTC)
    offsets = []
    for day in range(365):
        offset = (start + timedelta(days=day)).astimezone(tz).utcoffset()
        offsets.append(int(offset.total_seconds() // 60) if offset is not None else 0)
    return tuple(offsets)


@lru_cache(maxsize=1)
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """ISO country -> its zones, main one first, from tzdata's zone.tab (empty without it)."""
    try:
        text = (importlib.resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text(
            encoding="utf-8"
        )
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and not line.startswith("#"):
            zones.setdefault(fields[0], []).append(fields[2])
    return {country: tuple(z) for country, z in zones.items()}


@lru_cache(maxsize=1)
def _main_zones() -> frozenset[str]:
    return frozenset(z for zones in _zones_by_country().values() for z in zones)


def _is_main_zone(zone: str) -> bool:
    """Whether ``zone`` is a zone of its own in zone.tab, not an old link to another.

    Without zone.tab (no tzdata package) every zone counts as one.
    """
    return not _main_zones() or zone in _main_zones()


def _in_country(zone: str, country: str) -> str:
    """The country's own zone that keeps ``zone``'s clock (CET in Spain: Europe/Madrid)."""
    twin = _COUNTRY_TWINS.get((zone, country))
    if twin:
        return twin
    zones = _zones_by_country().get(country, ())
    if zone in zones:
        return zone
    for candidate in zones:
        if _available(candidate) == candidate and _clock(candidate) == _clock(zone):
            return candidate
    return zone


def _zone_name(folded: str, languages: tuple[str, ...], country: str | None) -> str | None:
    """The zone meant by a zone name or abbreviation, in the clinic's country if it has one."""
    zone = next(
        (_ZONE_NAMES[lang][folded] for lang in languages if folded in _ZONE_NAMES[lang]), None
    )
    if zone is None:
        return None
    if country:
        local = _LOCAL_MEANINGS.get(folded, {}).get(country)
        zone = local or _in_country(zone, country)
    return _available(zone)


# ----------------------------------------------------------------------------- places


@dataclass(frozen=True, slots=True)
class Place:
    """A city a typed name may mean.

    ``region`` is the state or province ("Massachusetts", "Ontario", "England") where the
    gazetteer names it, else ""; ``country`` is the ISO 3166 code ("US"), ``country_name``
    its English name ("United States"); ``zone`` an installed IANA name.
    """

    city: str
    region: str
    country: str
    country_name: str
    zone: str


MAX_CANDIDATES = 5


@dataclass(frozen=True, slots=True)
class ZoneAnswer:
    """What a typed zone or place means: one zone, a few candidates to choose from, or none.

    - one zone: ``zone`` is set; ``place`` is the city it came from (None for an IANA
      name, UTC or a zone name such as "EST"); ``candidates`` is empty;
    - ambiguous: ``zone`` is None and ``candidates`` holds 2 to 5 places, in at least two
      different clocks, most likely first (the clinic's country first, then the largest);
    - nothing: all empty.
    """

    zone: str | None = None
    place: Place | None = None
    candidates: tuple[Place, ...] = ()

    def __post_init__(self) -> None:
        if self.zone is not None and self.candidates:
            raise ValueError("an answer has either a zone or candidates")
        if self.place is not None and self.place.zone != self.zone:
            raise ValueError("the place of an answer is in its zone")
        if len(self.candidates) == 1 or len(self.candidates) > MAX_CANDIDATES:
            raise ValueError(f"2 to {MAX_CANDIDATES} candidates")

    @property
    def found(self) -> bool:
        """One zone was found."""
        return self.zone is not None

    @property
    def ambiguous(self) -> bool:
        """Several places in different clocks: ask which one."""
        return bool(self.candidates)


NOTHING = ZoneAnswer()
# A city this many times larger than every namesake keeping another clock is the one meant
# ("Paris" is Paris, France, not Paris, Texas; "Manchester" is in England), unless the
# clinic's country has a namesake (below).
_DOMINANT_RATIO = 5

# Chat words that are also the names of towns in the gazetteer ("Hola", Kenya; "Time",
# Norway; "Yes" is an alternate name of Yasuj, Iran): never read as places.
_NOT_PLACES = frozenset(
    {"yes", "no", "ok", "okay", "hello", "hi", "hola", "si", "casa", "nada", "time", "help"}
    | {"ayuda", "thanks", "gracias", "home", "here", "aqui", "none", "nothing", "cancel"}
)

# Countries and regions typed after a city, in words the gazetteer does not hold:
# folded text -> (ISO country, gazetteer admin1 code or None).
_COUNTRY_WORDS: dict[str, dict[str, tuple[str, str | None]]] = {
    "en": {
        **dict.fromkeys(("usa", "us", "united states of america", "america"), ("US", None)),
        **dict.fromkeys(("uk", "britain", "great britain"), ("GB", None)),
        "england": ("GB", "ENG"),
        "scotland": ("GB", "SCT"),
        "wales": ("GB", "WLS"),
        "northern ireland": ("GB", "NIR"),
        "holland": ("NL", None),
        "korea": ("KR", None),
        "czech republic": ("CZ", None),
    },
    "es": {
        **dict.fromkeys(("estados unidos", "eeuu", "ee uu", "eua", "usa"), ("US", None)),
        **dict.fromkeys(("reino unido", "gran bretana"), ("GB", None)),
        "inglaterra": ("GB", "ENG"),
        "escocia": ("GB", "SCT"),
        "gales": ("GB", "WLS"),
        "espana": ("ES", None),
        "alemania": ("DE", None),
        "francia": ("FR", None),
        "italia": ("IT", None),
        "brasil": ("BR", None),
        "peru": ("PE", None),
        "republica dominicana": ("DO", None),
        "japon": ("JP", None),
        "suiza": ("CH", None),
        "belgica": ("BE", None),
        **dict.fromkeys(("paises bajos", "holanda"), ("NL", None)),
        "irlanda": ("IE", None),
        "rusia": ("RU", None),
        "corea del sur": ("KR", None),
        "sudafrica": ("ZA", None),
        "nueva zelanda": ("NZ", None),
        "marruecos": ("MA", None),
        "turquia": ("TR", None),
        "grecia": ("GR", None),
        "polonia": ("PL", None),
        "suecia": ("SE", None),
        "filipinas": ("PH", None),
        "canada": ("CA", None),
        "mexico": ("MX", None),
        "panama": ("PA", None),
        "haiti": ("HT", None),
    },
}
# Older short forms of US states, common in addresses ("Worcester, Mass.").
_US_STATE_SHORT = {
    "mass": "MA",
    "calif": "CA",
    "fla": "FL",
    "conn": "CT",
    "penn": "PA",
    "mich": "MI",
    "minn": "MN",
    "wisc": "WI",
    "tenn": "TN",
    "ariz": "AZ",
    "colo": "CO",
    "wash": "WA",
}
# Regions outside the US that the gazetteer gives as numeric codes: code -> (name, short).
_REGION_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "CA": {
        "01": ("Alberta", "AB"),
        "02": ("British Columbia", "BC"),
        "03": ("Manitoba", "MB"),
        "04": ("New Brunswick", "NB"),
        "05": ("Newfoundland and Labrador", "NL"),
        "07": ("Nova Scotia", "NS"),
        "08": ("Ontario", "ON"),
        "09": ("Prince Edward Island", "PE"),
        "10": ("Quebec", "QC"),
        "11": ("Saskatchewan", "SK"),
        "12": ("Yukon", "YT"),
        "13": ("Northwest Territories", "NT"),
        "14": ("Nunavut", "NU"),
    },
    "AU": {
        "01": ("Australian Capital Territory", "ACT"),
        "02": ("New South Wales", "NSW"),
        "03": ("Northern Territory", "NT"),
        "04": ("Queensland", "QLD"),
        "05": ("South Australia", "SA"),
        "06": ("Tasmania", "TAS"),
        "07": ("Victoria", "VIC"),
        "08": ("Western Australia", "WA"),
    },
    "GB": {
        "ENG": ("England", "ENG"),
        "SCT": ("Scotland", "SCT"),
        "WLS": ("Wales", "WLS"),
        "NIR": ("Northern Ireland", "NIR"),
    },
}

_Filter = tuple[str, str | None]  # (ISO country, admin1 code or None for the whole country)


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    folded: str
    country: str
    admin1: str
    zone: str
    population: int


@dataclass(frozen=True)
class _Gazetteer:
    cities: tuple[_City, ...]
    by_name: dict[str, tuple[int, ...]]  # folded name -> cities
    by_alternate: dict[str, tuple[int, ...]]  # folded alternate name (Latin script) -> cities
    qualifiers: dict[str, frozenset[_Filter]]  # "ma", "massachusetts", "germany", "deu" ...
    regions: dict[_Filter, str]  # ("US", "MA") -> "Massachusetts"
    country_names: dict[str, str]  # "US" -> "United States"


# The gazetteer's data file, in this package: GeoNames cities, their countries and US
# states, built by tools/gazetteer/build.py (format: tools/gazetteer/README.md).
PLACES_FILE = "data/places.tsv.gz"
PLACES_MAGIC = "#exercise-bot places 1"
PLACES_ALTERNATE_SEPARATOR = "|"
_PLACES_SECTIONS = ("countries", "regions", "places")


def _read_places() -> dict[str, list[str]]:
    """The data file's sections: name -> its lines (tab-separated fields)."""
    data = importlib.resources.files("bot.core").joinpath(PLACES_FILE).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    if lines[0] != PLACES_MAGIC:
        raise ValueError(f"{PLACES_FILE}: not a places file of format 1 ({lines[0][:40]!r})")
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is not None and line:
            current.append(line)
        # before the first section: the header's comment lines
    missing = [name for name in _PLACES_SECTIONS if not sections.get(name)]
    if missing:
        raise ValueError(f"{PLACES_FILE}: no {', '.join(missing)}")
    return sections


_gazetteer_data: _Gazetteer | None = None
_gazetteer_lock = threading.Lock()


def load_gazetteer() -> None:
    """Read the gazetteer now (0.3-0.4 s, once per process) rather than on first use.

    Call it off the event loop at start-up (``asyncio.to_thread``) to keep the first typed
    place fast; without the call the first ``find_zones`` on a place reads it.
    """
    _gazetteer()


def _gazetteer() -> _Gazetteer:
    """The process's one gazetteer, read on first use (by one thread; others wait)."""
    global _gazetteer_data
    if _gazetteer_data is None:
        with _gazetteer_lock:
            if _gazetteer_data is None:
                _gazetteer_data = _read_gazetteer()
    return _gazetteer_data


def _read_gazetteer() -> _Gazetteer:
    sections = _read_places()
    valid: dict[str, bool] = {}
    shared: dict[str, str] = {}  # one copy of each country, region and zone string
    cities: list[_City] = []
    by_name: dict[str, list[int]] = {}
    by_alternate: dict[str, list[int]] = {}
    for line in sections["places"]:
        name, country, admin1, population, zone, alternates = line.split("\t")
        if zone not in valid:
            valid[zone] = is_valid_zone(zone)
        if not valid[zone]:
            continue
        folded = _fold(name)
        index = len(cities)
        cities.append(
            _City(
                name=name,
                folded=folded,
                country=shared.setdefault(country, country),
                admin1=shared.setdefault(admin1, admin1),
                zone=shared.setdefault(zone, zone),
                population=int(population),
            )
        )
        by_name.setdefault(folded, []).append(index)
        if alternates:
            for alternate in alternates.split(PLACES_ALTERNATE_SEPARATOR):
                by_alternate.setdefault(alternate, []).append(index)

    qualifiers: dict[str, set[_Filter]] = {}
    regions: dict[_Filter, str] = {}
    country_names: dict[str, str] = {}
    for line in sections["countries"]:
        iso, iso3, name = line.split("\t")
        country_names[iso] = name
        for word in (iso, iso3, name):
            if word:
                qualifiers.setdefault(_fold(word), set()).add((iso, None))
    for line in sections["regions"]:
        iso, code, name = line.split("\t")
        regions[(iso, code)] = name
        for word in (code, name):
            qualifiers.setdefault(_fold(word), set()).add((iso, code))
    for word, code in _US_STATE_SHORT.items():
        qualifiers.setdefault(word, set()).add(("US", code))
    for iso, codes in _REGION_NAMES.items():
        for admin1, (name, short) in codes.items():
            regions[(iso, admin1)] = name
            for word in (name, short):
                qualifiers.setdefault(_fold(word), set()).add((iso, admin1))
    return _Gazetteer(
        cities=tuple(cities),
        by_name={k: tuple(v) for k, v in by_name.items()},
        by_alternate={k: tuple(v) for k, v in by_alternate.items()},
        qualifiers={k: frozenset(v) for k, v in qualifiers.items()},
        regions=regions,
        country_names=country_names,
    )


def _matches(g: _Gazetteer, name: str) -> list[tuple[_City, bool]]:
    """Cities called ``name``, largest first, each with "known by an alternate name only".

    A city's own name counts, and so does the short form of a longer name that the
    gazetteer lists ("Newcastle" for Newcastle upon Tyne, "New York" for New York City).
    Other alternate names ("Londres", "Nueva York") count when no city has the name, or
    for a city ``_DOMINANT_RATIO`` times larger than every one that does ("Calcutta" for
    Kolkata besides a town in South Africa, but not "Milan", an old name of Syracuse, NY).
    """
    own = [g.cities[i] for i in g.by_name.get(name, ())]
    alternates = [g.cities[i] for i in g.by_alternate.get(name, ())]
    own += [c for c in alternates if c.folded.startswith(name + " ") and c not in own]
    least = _DOMINANT_RATIO * max((c.population for c in own), default=0)
    others = [c for c in alternates if c not in own and c.population >= least]
    found = [(c, False) for c in own] + [(c, True) for c in others]
    return sorted(found, key=lambda f: -f[0].population)


def _place(g: _Gazetteer, city: _City) -> Place:
    return Place(
        city=city.name,
        region=g.regions.get((city.country, city.admin1), ""),
        country=city.country,
        country_name=g.country_names.get(city.country, city.country),
        zone=city.zone,
    )


def _zone_place(g: _Gazetteer, zone: str) -> Place:
    """A place for a zone named after a city that the gazetteer does not list."""
    country = next((c for c, zones in _zones_by_country().items() if zone in zones), "")
    return Place(
        city=zone.rsplit("/", 1)[1].replace("_", " "),
        region="",
        country=country,
        country_name=g.country_names.get(country, country),
        zone=zone,
    )


def _decide(
    g: _Gazetteer,
    found: list[tuple[_City, bool]],
    *,
    namesake: str | None,
    country_hint: str | None,
) -> ZoneAnswer:
    """One zone or the candidates, for the cities a name matched (largest first).

    Zones that keep the same clock (the same UTC offset every day of ``_CLOCK_YEAR``,
    such as America/Vancouver and America/Los_Angeles) count as one here: a reminder
    comes at the same moment in either, so there is nothing to ask.

    1. All in one clock: that zone (of the namesake below, else of the largest).
    2. The clinic's country (``country_hint``, only when the user named no country) has
       cities of that name all in one clock, and no city elsewhere dominates: their zone.
    3. A dominant city: the city an IANA zone is named after ("Vancouver"), or one at
       least ``_DOMINANT_RATIO`` times larger than every city in another clock, that is
       known by that name itself rather than only by an alternate name ("York" is not
       Toronto). With the clinic's country holding a namesake in another clock, ask.
    4. Otherwise ask: the candidates, the clinic's country first, then the largest, with
       every clock represented when there are at most five.
    """
    places = [(_place(g, c), c.population, alt) for c, alt in found]
    dominant: Place | None = None
    if namesake is not None:
        # its own city; for an old link ("Calcutta") the largest city keeping its clock
        same = [p for p, _, _ in places if p.zone == namesake]
        if not same and not _is_main_zone(namesake):
            same = [p for p, _, _ in places if _clock(p.zone) == _clock(namesake)]
        dominant = same[0] if same else _zone_place(g, namesake)
        if not same:
            places.append((dominant, 0, False))
    if not places:
        return NOTHING
    if len({_clock(p.zone) for p, _, _ in places}) == 1:
        return _one(dominant or places[0][0])

    if dominant is None:
        top, top_population, top_alt = places[0]
        any_own = any(not alt for _, _, alt in places)
        others = [n for p, n, _ in places if _clock(p.zone) != _clock(top.zone)]
        if (not top_alt or not any_own) and top_population >= _DOMINANT_RATIO * max(others):
            dominant = top

    hinted = [p for p, _, _ in places if p.country == country_hint]
    if hinted:
        hinted_clocks = {_clock(p.zone) for p in hinted}
        if len(hinted_clocks) == 1 and (dominant is None or _clock(dominant.zone) in hinted_clocks):
            return _one(dominant if dominant in hinted else hinted[0])
    elif dominant is not None:
        return _one(dominant)
    return ZoneAnswer(candidates=_shortlist([p for p, _, _ in places], country_hint))


def _one(place: Place) -> ZoneAnswer:
    return ZoneAnswer(zone=place.zone, place=place)


def _shortlist(places: list[Place], country_hint: str | None) -> tuple[Place, ...]:
    """At most five, every clock's first place before a second one of the same clock.

    Places told apart by nothing but their clock (two towns of one name in one country
    whose regions the gazetteer does not name) both stay: the clock tells them apart.
    """
    unique: list[Place] = []
    for p in places:
        key = (p.city, p.region, p.country, _clock(p.zone))
        if all(key != (q.city, q.region, q.country, _clock(q.zone)) for q in unique):
            unique.append(p)
    ordered = sorted(unique, key=lambda p: p.country != country_hint)  # stable: size order
    chosen: list[Place] = []
    seen: set[tuple[int, ...]] = set()
    for p in ordered:
        if _clock(p.zone) not in seen:
            seen.add(_clock(p.zone))
            chosen.append(p)
    chosen += [p for p in ordered if p not in chosen]
    chosen = chosen[:MAX_CANDIDATES]
    return tuple(p for p in ordered if p in chosen)


def _qualifier(g: _Gazetteer, text: str, languages: tuple[str, ...]) -> frozenset[_Filter] | None:
    """The places a qualifier may name ("MA": Massachusetts or Morocco), or None."""
    found = set(g.qualifiers.get(text, ()))
    for lang in languages:
        word = _COUNTRY_WORDS.get(lang, {}).get(text)
        if word:
            found.add(word)
    return frozenset(found) or None


def _within(city: _City, filters: Iterable[frozenset[_Filter]]) -> bool:
    return all(
        any(city.country == c and (a is None or city.admin1 == a) for c, a in f) for f in filters
    )


def _find_place(text: str, languages: tuple[str, ...], country_hint: str | None) -> ZoneAnswer:
    """A city, maybe followed by a region or country ("Boston MA", "Cambridge, UK")."""
    parts = [_fold(p) for p in text.split(",")]
    if len(parts) > 3 or not all(parts):
        return NOTHING
    g = _gazetteer()
    _, iana_cities = _index()
    head, tail = parts[0], parts[1:]
    # "Berlin, Deutschland": an unknown word after a comma is left out, as before
    tail_filters = [f for f in (_qualifier(g, q, languages) for q in tail) if f]
    options = [(head.split(), tail_filters)]
    for _ in range(2):  # "Boston MA", "Paris Texas", "Boston MA USA": up to two, 1-3 words
        for words, filters in list(options):
            for n in range(1, min(3, len(words) - 1) + 1):
                last = _qualifier(g, " ".join(words[-n:]), languages)
                if last and (words[:-n], [last, *filters]) not in options:
                    options.append((words[:-n], [last, *filters]))
    for words, filters in options:
        name = " ".join(words)
        found = [(c, alt) for c, alt in _matches(g, name) if _within(c, filters)]
        namesake = None if filters else iana_cities.get(name)
        if namesake is not None and not _is_main_zone(namesake):
            # an old link: "Calcutta" still means Kolkata, "Victoria" not Melbourne
            own = [c.population for c, alt in found if not alt]
            kept = [c.population for c, _ in found if _clock(c.zone) == _clock(namesake)]
            if own and max(own) > max(kept, default=0):
                namesake = None
        if found or namesake:
            return _decide(
                g, found, namesake=namesake, country_hint=None if filters else country_hint
            )
    return NOTHING


# "London time", "time in London", "hora de Madrid": the place inside.
_WRAPPERS: dict[str, tuple[re.Pattern[str], ...]] = {
    "en": (re.compile(r"(?:the )?(.+) time"), re.compile(r"time in (.+)")),
    "es": (re.compile(r"(?:la )?hora (?:de|del|en) (.+)"), re.compile(r"horario de (.+)")),
}


def _languages(language: str | None) -> tuple[str, ...]:
    """The word tables to read: abbreviations, English, and the patient's language."""
    if language is None:
        return ("", *(lang for lang in _ZONE_NAMES if lang))
    code = language.strip().lower().replace("_", "-").split("-", 1)[0]
    return tuple(dict.fromkeys(("", "en", code)))


def find_zones(
    text: str, *, country_hint: str | None = None, language: str | None = None
) -> ZoneAnswer:
    """What a typed zone or place means: one zone, candidates to choose from, or nothing.

    ``country_hint`` is the ISO code of the clinic's country ("US"): it decides between
    places of one name in different countries when the user named no country, and picks
    the local zone for a zone name (EST in Canada: America/Toronto). ``language`` is the
    patient's Telegram language code: zone and country names are read in English and in
    that language (None: every language known here). Examples::

        find_zones("Cambridge, MA").zone                   # "America/New_York"
        find_zones("Worcester").candidates                 # Worcester MA, UK, South Africa
        find_zones("Worcester", country_hint="US").zone    # "America/New_York"
        find_zones("EST").zone                             # "America/New_York"
        find_zones("Nueva York", language="es").zone       # "America/New_York"
    """
    if not isinstance(text, str):
        return NOTHING
    folded = _fold_zone_name(text)
    if not folded or len(folded) > 100:
        return NOTHING
    hint = (country_hint or "").strip().upper() or None
    hint = "GB" if hint == "UK" else hint
    languages = _languages(language)
    if folded in _UTC_WORDS:
        return ZoneAnswer(zone="UTC")
    full, _ = _index()
    if folded in full:
        return ZoneAnswer(zone=full[folded])
    named = _zone_name(folded, languages, hint)
    if named is not None:
        return ZoneAnswer(zone=named)
    if folded in _NOT_PLACES or "/" in folded:
        return NOTHING
    answer = _find_place(text, languages, hint)
    if answer != NOTHING:
        return answer
    for lang in languages:
        for wrapper in _WRAPPERS.get(lang, ()):
            match = wrapper.fullmatch(folded)
            if match:
                inner = _find_place(match[1], languages, hint)
                if inner != NOTHING:
                    return inner
    return NOTHING


def resolve_zone(text: str) -> str | None:
    """The one IANA zone ``text`` means, or None (nothing, or an ambiguous place).

    ``find_zones`` without a country hint, for callers that cannot ask a question.
    """
    return find_zones(text).zone


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


def suggested_zones(language_code: str | None, clinic_zone: str | None = None) -> list[str]:
    """A few likely zones (at most 6, all installed) for a Telegram language code.

    With ``clinic_zone`` (the clinic's, a region's zone rather than UTC) the clinic's own
    zone is among them, first when the language's list lacks it: most patients live near
    their clinic, whatever language they speak (a Spanish speaker in Boston)."""
    lang = (language_code or "").strip().lower().replace("_", "-").split("-", 1)[0]
    candidates = _LANGUAGE_ZONES.get(lang, _FALLBACK_ZONES)
    zones = [z for z in (_available(c) for c in candidates) if z] or list(_FALLBACK_ZONES)
    clinic = _available(clinic_zone) if clinic_zone and "/" in clinic_zone else None
    if clinic and clinic not in zones[:6]:
        zones = [clinic, *(z for z in zones if z != clinic)]
    return zones[:6]


def _offset_text(at: datetime) -> str:
    off = at.utcoffset()
    if off is None:
        return "UTC"
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_name(zone: str, lang: str | None = None) -> str:
    """The place a zone is named after, as a patient reads it: "New York", "Nueva York"
    (CLDR, with ``lang``), "Indianapolis"; a zone without a region as it is ("UTC")."""
    if "/" not in zone:
        return zone
    return (zone_city(zone, lang) if lang else None) or zone.rsplit("/", 1)[1].replace("_", " ")


def zone_label(zone: str, at: datetime, lang: str | None = None) -> str:
    """A short button label: "New York (EST)", "Istanbul (UTC+3)", "UTC"; at most 30 chars.

    The abbreviation is the one in force at ``at``; numeric ones ("+03") become UTC
    offsets. With ``lang`` the city is named in that language where CLDR knows it
    ("Ciudad de México (CST)"). Long city names are shortened with an ellipsis.
    """
    local = at.astimezone(get_zone(zone))
    if "/" not in zone:
        return zone[:MAX_LABEL]
    city = zone_name(zone, lang)
    abbr = local.tzname() or ""
    if not abbr or abbr[0] in "+-" or abbr[0].isdigit():
        abbr = _offset_text(local)
    suffix = f" ({abbr})"
    room = MAX_LABEL - len(suffix)
    if len(city) > room:
        city = city[: room - 1].rstrip() + "…"
    return city + suffix
