"""The shipped migrations' head, and a later no-op migration that this code does not ship
(what the next version of the bot would bring), for the schema tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.store.database import MIGRATIONS_DIR


def _head() -> str:
    from alembic.script import ScriptDirectory

    from bot.store.database import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


HEAD = _head()
NEXT = f"{int(HEAD) + 1:04d}"

NEXT_SOURCE = f'''"""A later migration that this code does not ship.

Revision ID: {NEXT}
Revises: {HEAD}
"""

revision = "{NEXT}"
down_revision = "{HEAD}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


def newer_code(tmp_path: Path) -> Path:
    """A copy of the shipped migrations plus ``NEXT``."""
    scripts = tmp_path / "newer-migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / f"{NEXT}_next.py").write_text(NEXT_SOURCE, encoding="utf-8")
    return scripts
