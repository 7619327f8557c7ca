"""timezonefinder is optional: without it a shared location says so, distinctly (issue 12)."""

from __future__ import annotations

import sys

import pytest

from bot.core import zones
from bot.core.zones import (
    LocationLookupUnavailable,
    location_lookup_available,
    resolve_zone,
    zone_for_location,
)


@pytest.fixture
def without_timezonefinder(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if `pip install exercise-bot` had been run without the `location` extra."""
    monkeypatch.setattr(zones, "_finder", None)
    monkeypatch.setattr(zones, "_finder_missing", None)
    # A None entry in sys.modules makes `import timezonefinder` raise ModuleNotFoundError,
    # and find_spec raise ValueError: both paths must read as "not available".
    monkeypatch.setitem(sys.modules, "timezonefinder", None)


def test_installed_here_so_locations_work() -> None:
    assert location_lookup_available()
    assert zone_for_location(52.52, 13.40) == "Europe/Berlin"


@pytest.mark.usefixtures("without_timezonefinder")
def test_without_it_a_location_raises_the_distinct_error() -> None:
    assert not location_lookup_available()
    with pytest.raises(LocationLookupUnavailable, match=r"exercise-bot\[location\]"):
        zone_for_location(52.52, 13.40)
    # the same answer for coordinates that would otherwise be "no zone" (None)
    with pytest.raises(LocationLookupUnavailable):
        zone_for_location(91.0, 0.0)
    # the failed import is remembered, and typed zones still work
    assert zones._finder_missing is not None
    assert not location_lookup_available()
    assert resolve_zone("Berlin") == "Europe/Berlin"


@pytest.mark.usefixtures("without_timezonefinder")
def test_a_broken_install_counts_as_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def failing_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "timezonefinder":
            raise ImportError("numpy.core.multiarray failed to import")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delitem(sys.modules, "timezonefinder")
    monkeypatch.setattr(builtins, "__import__", failing_import)
    with pytest.raises(LocationLookupUnavailable, match="numpy"):
        zone_for_location(52.52, 13.40)
    assert not location_lookup_available()


def test_it_is_not_imported_until_a_location_needs_it() -> None:
    import subprocess

    code = (
        "import sys, bot.core.zones as z; z.resolve_zone('Berlin'); z.location_lookup_available();"
        " print('timezonefinder' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
