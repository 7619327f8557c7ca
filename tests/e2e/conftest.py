from collections.abc import AsyncIterator

import pytest

from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import Sandbox


@pytest.fixture
async def sandbox(database_url: str) -> AsyncIterator[Sandbox]:
    """The real bot, polling the local Telegram, on SQLite and on PostgreSQL."""
    async with Sandbox(database_url=database_url) as running:
        yield running


@pytest.fixture
async def sqlite_sandbox(sqlite_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url=sqlite_url) as running:
        yield running


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """The local Telegram alone, in this process (no bot)."""
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture(params=("httpx", "aiohttp"))
def transport(request: pytest.FixtureRequest) -> str:
    """PTB's HTTPXRequest and our AiohttpRequest: the same cases for both."""
    return str(request.param)
