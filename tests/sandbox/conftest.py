"""Fixtures: a started emulator with a fake clock and a raw HTTP client for the Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from emu_helpers import FIXED, TOKEN, Api

from bot.sandbox.emulator import Emulator


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(token=TOKEN, clock=lambda: FIXED, callback_answer_window=0.5)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def api(emu: Emulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, emu)
