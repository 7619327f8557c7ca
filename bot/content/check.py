"""``exercise-bot check-content [DIR]``: validate a content directory before deploying it."""

from __future__ import annotations

from pathlib import Path

from bot.content.errors import ContentError
from bot.content.loader import load_content


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def check_content(directory: Path) -> tuple[int, str]:
    """(0, one-line summary) when the content is usable, else (1, one line per problem)."""
    try:
        content = load_content(directory)
    except ContentError as exc:
        lines = [str(p) for p in exc.problems]
        lines.append(f"content has {_count(len(exc.problems), 'problem')}; the bot will not start")
        return 1, "\n".join(lines)
    summary = ", ".join(
        (
            _count(len(content.programs), "program"),
            _count(len(content.exercises), "exercise"),
            _count(len(content.texts), "language"),
            f"version {content.short_version}",
        )
    )
    if content.clinic.example:
        summary += (
            "; this is example content (clinic.yaml says example: true): "
            "`exercise-bot run` needs ALLOW_EXAMPLE_CONTENT=true to use it"
        )
    return 0, f"content OK: {summary}"
