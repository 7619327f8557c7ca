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
    sorted((BOT / "core").rglob("*.py")) + sorted((BOT / "content").rglob("*.py")),
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


SERVICES_MAY_NOT = ("bot.telegram", "bot.sandbox", "bot.web", "bot.app", "telegram", "aiohttp")
# The dispatcher sorts Telegram's errors (retry, give up, maybe delivered); it sends nothing
# itself: its senders are handed in by bot/app.py.
DISPATCHER_MAY = ("telegram.error", "bot.telegram.errors")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted((BOT / "services").glob("*.py")), ids=lambda p: p.name)
def test_use_cases_speak_no_telegram(path: Path) -> None:
    """Use cases return what to show (bot/services/replies.py); only bot/telegram turns it
    into Bot API calls."""
    for name in _imports(path):
        assert not name.startswith(SERVICES_MAY_NOT), f"{path.name} imports {name}"


def test_the_dispatcher_only_sorts_telegrams_errors() -> None:
    for name in _imports(BOT / "reminders" / "dispatcher.py"):
        if name in DISPATCHER_MAY:
            continue
        assert not name.startswith(SERVICES_MAY_NOT), f"dispatcher.py imports {name}"
