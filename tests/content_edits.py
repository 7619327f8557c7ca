"""A copy of the bundled content that a test may break, and what loading it then says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import default_content_dir
from bot.content.errors import ContentError
from bot.content.loader import load_content


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of a file; fails loudly when the piece is not there."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found exactly once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_content(directory)
    return [str(p) for p in info.value.problems]


def only_problem(directory: Path) -> str:
    found = problems(directory)
    assert len(found) == 1, found
    return found[0]
