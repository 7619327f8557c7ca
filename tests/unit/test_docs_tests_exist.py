"""The tests docs/SAFETY.md names as proof exist: a renamed or deleted test must not leave
the safety table pointing at nothing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# `tests/x/test_y.py::test_z` and the short `::test_z` / `test_z` forms after a full one
_FULL = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
_SHORT = re.compile(r"`(?:::)?(test_\w+)`")


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def _named(doc: str) -> list[tuple[str, str]]:
    """(file, test) for each test a table row names; short names take the row's last file."""
    found = []
    for line in doc.splitlines():
        last_file = None
        for match in re.finditer(rf"{_FULL.pattern}|{_SHORT.pattern}", line):
            if match.group(1):
                last_file = match.group(1)
                found.append((last_file, match.group(2)))
            elif last_file is not None:
                found.append((last_file, match.group(3)))
    return found


@pytest.mark.parametrize("doc", ["docs/SAFETY.md"])
def test_every_test_a_doc_names_exists(doc: str) -> None:
    named = _named((ROOT / doc).read_text(encoding="utf-8"))
    assert len(named) > 20
    missing = []
    for file, test in named:
        path = ROOT / file
        if not path.exists() or test not in _test_names(path):
            missing.append(f"{file}::{test}")
    assert missing == []
