"""bot/core and bot/content stay pure: they import no adapter."""

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
ADAPTERS = (
    "bot.store",
    "bot.telegram",
    "bot.sandbox",
    "bot.web",
    "bot.reminders",
    "bot.services",
    "bot.app",
    "telegram",
    "sqlalchemy",
    "aiohttp",
)


@pytest.mark.parametrize(
    "path",
    sorted((BOT / "core").glob("*.py")) + sorted((BOT / "content").glob("*.py")),
    ids=lambda p: p.name,
)
def test_pure_modules_import_no_adapter(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith(ADAPTERS), f"{path.name} imports {name}"
