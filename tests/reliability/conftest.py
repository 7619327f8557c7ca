from collections.abc import AsyncIterator

import pytest

from bot.sandbox.harness import Sandbox


@pytest.fixture
async def sqlite_sandbox(sqlite_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url=sqlite_url) as running:
        yield running
