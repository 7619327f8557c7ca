"""The clinic's content (programs, exercises, texts), loaded from YAML and validated."""

from __future__ import annotations

from pathlib import Path


def default_content_dir() -> Path:
    """The repository's content/ directory (works from a clone and an editable install)."""
    return Path(__file__).resolve().parents[2] / "content"
