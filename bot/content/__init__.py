"""The clinic's content (programs, exercises, texts), loaded from YAML and validated."""

from __future__ import annotations

from pathlib import Path


def default_content_dir() -> Path:
    """The bundled content: the wheel's copy, or the repository's content/ in a clone."""
    from bot.content.loader import bundled_content_dir

    return bundled_content_dir()
