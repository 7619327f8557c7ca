"""The exercise illustrations in content/media/: one still for each exercise's setup and
each of its steps, one looping animation per exercise, all within Telegram's limits.

The expected names come from the bundled exercises, so a new step without a picture fails
here. Stills may be PNG or JPEG (a clinic may put its own photos in); see
tools/illustrations/README.md.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from bot.content import default_content_dir
from bot.content.loader import load_content

CONTENT = default_content_dir()
MEDIA = CONTENT / "media"
OVERVIEW = CONTENT.parent / "docs" / "media" / "illustrations-overview.png"
STILL_SUFFIXES = (".png", ".jpg", ".jpeg")
STILL_MAX_BYTES = 1024 * 1024  # Telegram allows 10 MB for a photo; keep them light
ANIMATION_MAX_BYTES = 2 * 1024 * 1024


def _expected() -> list[tuple[str, str]]:
    """(stem, kind) for every picture the bundled exercises need; kind: still/animation."""
    out: list[tuple[str, str]] = []
    for exercise in load_content(CONTENT).exercises.values():
        out.append((f"{exercise.id}-setup", "still"))
        out += [(f"{exercise.id}-step{i}", "still") for i in range(1, len(exercise.steps) + 1)]
        out.append((exercise.id, "animation"))
    return sorted(out)


EXPECTED = _expected()


def _find(stem: str, kind: str) -> Path | None:
    suffixes = STILL_SUFFIXES if kind == "still" else (".gif",)
    return next((MEDIA / f"{stem}{s}" for s in suffixes if (MEDIA / f"{stem}{s}").is_file()), None)


@pytest.fixture(scope="module")
def pil() -> ModuleType:
    return pytest.importorskip(
        "PIL.Image", reason="Pillow is not installed: pip install -e '.[test]' to check images"
    )


def test_the_bundled_exercises_need_pictures() -> None:
    assert len(EXPECTED) >= 3 * 3  # three exercises: setup, steps, animation


@pytest.mark.parametrize(("stem", "kind"), EXPECTED, ids=[stem for stem, _ in EXPECTED])
def test_expected_file_exists(stem: str, kind: str) -> None:
    assert _find(stem, kind) is not None, f"content/media/{stem}: no {kind} file"


def test_no_stray_files_in_media() -> None:
    expected = {stem for stem, _ in EXPECTED}
    stray = [p.name for p in sorted(MEDIA.iterdir()) if p.stem not in expected]
    assert not stray, f"content/media/ has files no exercise uses: {stray}"


def _check_dimensions(path: Path, width: int, height: int) -> None:
    assert min(width, height) >= 320, f"{path.name}: {width}x{height} is too small for a phone"
    assert width + height <= 10000, f"{path.name}: Telegram needs width + height <= 10000"
    assert max(width, height) / min(width, height) <= 20, f"{path.name}: aspect ratio over 20"


@pytest.mark.parametrize(("stem", "kind"), EXPECTED, ids=[stem for stem, _ in EXPECTED])
def test_opens_and_fits_telegram(pil: ModuleType, stem: str, kind: str) -> None:
    path = _find(stem, kind)
    if path is None:
        pytest.fail(f"content/media/{stem}: missing")
    size = path.stat().st_size
    with pil.open(path) as image:
        image.verify()  # a broken file raises here
    with pil.open(path) as image:
        _check_dimensions(path, *image.size)
        if kind == "still":
            assert image.format in ("PNG", "JPEG"), f"{path.name}: {image.format}"
            assert size <= STILL_MAX_BYTES, f"{path.name}: {size} bytes"
        else:
            assert image.format == "GIF"
            assert size <= ANIMATION_MAX_BYTES, f"{path.name}: {size} bytes"
            assert getattr(image, "n_frames", 1) > 1, f"{path.name}: a single frame"
            assert image.info.get("loop") == 0, f"{path.name}: does not loop forever"
            total_ms = 0
            for frame in range(image.n_frames):
                image.seek(frame)
                total_ms += image.info.get("duration", 0)
            assert 1000 <= total_ms <= 30000, f"{path.name}: one loop takes {total_ms} ms"


def test_overview_opens(pil: ModuleType) -> None:
    assert OVERVIEW.is_file(), "docs/media/illustrations-overview.png is missing"
    with pil.open(OVERVIEW) as image:
        assert image.format == "PNG"
        assert min(image.size) >= 320
