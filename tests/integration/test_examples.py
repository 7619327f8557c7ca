"""The example chats in docs/examples replay to their stored transcripts.

An intended text change updates the golden files in the same commit:
``UPDATE_GOLDEN=1 pytest tests/integration/test_examples.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.sandbox.script import run_script

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
CHATS = sorted(EXAMPLES.glob("*.chat"))


def test_there_are_examples() -> None:
    assert len(CHATS) >= 5


@pytest.mark.parametrize("chat", CHATS, ids=lambda p: p.stem)
async def test_example_matches_its_transcript(chat: Path) -> None:
    lines: list[str] = []
    await run_script(chat, emit=lines.append)
    produced = "\n".join(lines) + "\n"
    golden = chat.with_suffix(".transcript")
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(produced, encoding="utf-8")
    assert golden.exists(), f"no golden transcript for {chat.name}"
    assert produced == golden.read_text(encoding="utf-8")
