"""Zone choice: typed names and cities, shared locations, suggestions, button labels.

Typed places and zone names (find_zones) have their own file: test_zones_find.py.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import available_timezones

import pytest

from bot.core import zones
from bot.core.schedule import is_valid_zone
from bot.core.zones import (
    MAX_LABEL,
    resolve_zone,
    suggested_zones,
    zone_for_location,
    zone_label,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # IANA names, any case, spaces for underscores
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("  EUROPE/BERLIN ", "Europe/Berlin"),
        ("America/New York", "America/New_York"),
        ("america/argentina/buenos_aires", "America/Argentina/Buenos_Aires"),
        ("America/Port-au-Prince", "America/Port-au-Prince"),
        ("US/Eastern", "US/Eastern"),  # legacy, but a valid IANA name
        # city part of IANA names, accent- and case-insensitive
        ("berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("são paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("port au prince", "America/Port-au-Prince"),
        ("Zürich", "Europe/Zurich"),
        ("los angeles", "America/Los_Angeles"),
        ("indianapolis", "America/Indiana/Indianapolis"),  # current name, not the old link
        ("buenos aires", "America/Argentina/Buenos_Aires"),
        ("ho chi minh", "Asia/Ho_Chi_Minh"),
        ("st johns", "America/St_Johns"),
        # cities of the gazetteer (the hand list of aliases before it)
        ("boston", "America/New_York"),
        ("Washington", "America/New_York"),
        ("miami", "America/New_York"),
        ("san francisco", "America/Los_Angeles"),
        ("seattle", "America/Los_Angeles"),
        ("munich", "Europe/Berlin"),
        ("München", "Europe/Berlin"),
        ("frankfurt", "Europe/Berlin"),
        ("beijing", "Asia/Shanghai"),
        ("delhi", "Asia/Kolkata"),
        ("mumbai", "Asia/Kolkata"),
        ("dallas", "America/Chicago"),
        ("houston", "America/Chicago"),
        ("denver", "America/Denver"),
        ("phoenix", "America/Phoenix"),
        ("toronto", "America/Toronto"),
        ("montreal", "America/Toronto"),
        ("vancouver", "America/Vancouver"),
        ("sydney", "Australia/Sydney"),
        ("melbourne", "Australia/Melbourne"),
        ("barcelona, spain", "Europe/Madrid"),  # "barcelona" alone: Spain or Venezuela
        ("milan", "Europe/Rome"),
        ("geneva", "Europe/Zurich"),
        ("zurich", "Europe/Zurich"),
        ("manchester", "Europe/London"),
        ("edinburgh", "Europe/London"),
        ("kyiv", "Europe/Kyiv"),
        ("kiev", "Europe/Kyiv"),
        ("istanbul", "Europe/Istanbul"),
        ("st. petersburg", "Europe/Moscow"),
        # "City, Country", "City ST"
        ("Berlin, Germany", "Europe/Berlin"),
        ("berlin germany", "Europe/Berlin"),
        ("Boston, MA", "America/New_York"),
        ("Boston MA", "America/New_York"),
        # zone names and abbreviations (the summer-time zone people mean)
        ("EST", "America/New_York"),
        ("cet", "Europe/Paris"),
        ("PST", "America/Los_Angeles"),
        ("CEST", "Europe/Paris"),
        ("MSK", "Europe/Moscow"),
        # UTC and GMT only
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "UTC"),
        ("Etc/UTC", "UTC"),
    ],
)
def test_resolve_zone(text: str, expected: str) -> None:
    assert resolve_zone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "nowhere",
        "UTC+2",
        "GMT+3",
        "Etc/GMT+3",
        "+03:00",
        "Japan",
        "Europe",
        "Europe/",
        "/Berlin",
        "a" * 200,
        "../../etc/passwd",
        "localtime",
        "Factory",
    ],
)
def test_resolve_zone_rejects(text: str) -> None:
    assert resolve_zone(text) is None


def test_every_region_city_name_resolves_to_itself_or_is_asked_about() -> None:
    """Every IANA name resolves to itself; its city part to a zone, or to a question.

    A city part is the zone's own city ("vancouver" is America/Vancouver, whatever the
    gazetteer holds), except for old links named after regions ("victoria" was Melbourne):
    then the cities of that name decide, and several may be asked about.
    """
    for zone in available_timezones():
        if zone.split("/", 1)[0] in zones._REGIONS:
            assert resolve_zone(zone) == zone
            answer = zones.find_zones(zone.rsplit("/", 1)[1])
            assert answer.found or answer.ambiguous, zone
            for got in (answer.zone, *(p.zone for p in answer.candidates)):
                assert got is None or is_valid_zone(got)
            if answer.found and zones._is_main_zone(zone):
                assert answer.zone == zone, zone


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (42.36, -71.06, "America/New_York"),  # Boston
        (52.52, 13.40, "Europe/Berlin"),
        (-33.87, 151.21, "Australia/Sydney"),
        (35.68, 139.69, "Asia/Tokyo"),
        (-23.55, -46.63, "America/Sao_Paulo"),
        (30.0, -40.0, None),  # mid-Atlantic: an Etc/GMT+N ocean zone
        (0.0, -150.0, None),  # mid-Pacific
        (91.0, 0.0, None),
        (0.0, 181.0, None),
        (-90.5, 0.0, None),
        (math.nan, 0.0, None),
        (0.0, math.inf, None),
    ],
)
def test_zone_for_location(lat: float, lon: float, expected: str | None) -> None:
    assert zone_for_location(lat, lon) == expected


def test_zone_for_location_rejects_non_numbers() -> None:
    assert zone_for_location("north", 1.0) is None  # type: ignore[arg-type]
    assert zone_for_location(None, 1.0) is None  # type: ignore[arg-type]


def test_finder_is_built_once() -> None:
    zone_for_location(52.52, 13.40)
    first = zones._get_finder()
    zone_for_location(42.36, -71.06)
    assert zones._get_finder() is first


@pytest.mark.parametrize(
    ("code", "expected_first"),
    [
        ("en", "America/New_York"),
        ("en-US", "America/New_York"),
        ("EN_gb", "America/New_York"),
        ("de", "Europe/Berlin"),
        ("de-AT", "Europe/Berlin"),
        ("fr", "Europe/Paris"),
        ("es", "Europe/Madrid"),
        ("it", "Europe/Rome"),
        ("pt-BR", "America/Sao_Paulo"),
        ("ru", "Europe/Moscow"),
        ("uk", "Europe/Kyiv"),
        ("pl", "Europe/Warsaw"),
        ("nl", "Europe/Amsterdam"),
        (None, "UTC"),
        ("", "UTC"),
        ("xx", "UTC"),
    ],
)
def test_suggested_zones(code: str | None, expected_first: str) -> None:
    got = suggested_zones(code)
    assert got[0] == expected_first
    assert 1 <= len(got) <= 6
    assert len(set(got)) == len(got)


def test_suggested_zones_exact_lists() -> None:
    assert suggested_zones("en") == [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "Europe/London",
        "Australia/Sydney",
    ]
    assert suggested_zones("de") == ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich"]
    assert suggested_zones(None) == ["UTC", "Europe/London", "America/New_York"]


def test_the_clinics_zone_is_suggested_in_every_language() -> None:
    """A Spanish speaker near a Boston clinic finds the clinic's zone among the buttons."""
    assert suggested_zones("es", "America/New_York") == [
        "America/New_York",
        "Europe/Madrid",
        "America/Mexico_City",
        "America/Bogota",
        "America/Argentina/Buenos_Aires",
        "America/Lima",
    ]
    # already there: the list stays as it is; UTC (no zone chosen) adds nothing
    assert suggested_zones("en", "America/New_York") == suggested_zones("en")
    assert suggested_zones("es", "UTC") == suggested_zones("es")
    assert suggested_zones("de", "Europe/Madrid")[0] == "Europe/Madrid"
    assert suggested_zones(None, "Asia/Tokyo")[0] == "Asia/Tokyo"
    assert suggested_zones("es", "Not/AZone") == suggested_zones("es")


def test_a_zone_is_named_by_its_place_in_the_patients_language() -> None:
    assert zones.zone_name("America/New_York", "es") == "Nueva York"
    assert zones.zone_name("America/New_York", "en") == "New York"
    assert zones.zone_name("America/Mexico_City", "es") == "Ciudad de México"
    assert zones.zone_name("America/Indiana/Indianapolis") == "Indianapolis"
    assert zones.zone_name("UTC", "es") == "UTC"


def test_every_suggestion_is_valid() -> None:
    for lang in [*zones._LANGUAGE_ZONES, None]:
        got = suggested_zones(lang)
        assert 1 <= len(got) <= 6
        assert all(is_valid_zone(z) for z in got), got


WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "at", "expected"),
    [
        ("America/New_York", WINTER, "New York (EST)"),
        ("America/New_York", SUMMER, "New York (EDT)"),
        ("Europe/Berlin", WINTER, "Berlin (CET)"),
        ("Europe/Berlin", SUMMER, "Berlin (CEST)"),
        ("Europe/London", SUMMER, "London (BST)"),
        ("Europe/Istanbul", WINTER, "Istanbul (UTC+3)"),
        ("Asia/Kathmandu", WINTER, "Kathmandu (UTC+5:45)"),
        ("America/Sao_Paulo", WINTER, "Sao Paulo (UTC-3)"),
        ("Asia/Kolkata", WINTER, "Kolkata (IST)"),
        ("UTC", WINTER, "UTC"),
    ],
)
def test_zone_label(zone: str, at: datetime, expected: str) -> None:
    assert zone_label(zone, at) == expected


def test_every_label_fits_a_button() -> None:
    for zone in available_timezones() - {"localtime"}:  # host's zone: rejected
        for at in (WINTER, SUMMER):
            label = zone_label(zone, at)
            assert 0 < len(label) <= MAX_LABEL, label


def test_long_city_is_shortened(monkeypatch: pytest.MonkeyPatch) -> None:
    # no current city name needs it; a smaller limit shows the rule
    monkeypatch.setattr(zones, "MAX_LABEL", 16)
    assert zone_label("America/Argentina/ComodRivadavia", WINTER) == "ComodRi… (UTC-3)"


def test_zone_label_invalid_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        zone_label("Nowhere/Town", WINTER)


def test_a_zone_button_names_its_city_in_the_patients_language() -> None:
    from datetime import UTC, datetime

    from bot.core.zones import zone_label

    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    assert zone_label("America/Mexico_City", winter, "es") == "Ciudad de México (CST)"
    assert zone_label("America/New_York", winter, "es") == "Nueva York (EST)"
    assert zone_label("America/New_York", winter, "en") == "New York (EST)"
    assert zone_label("America/New_York", winter) == "New York (EST)"
