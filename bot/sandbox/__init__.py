"""The local Telegram: a strict Bot API emulator with simulated users (see docs/EMULATOR.md)."""

from bot.sandbox.chats import SimChat
from bot.sandbox.emulator import Emulator, serve_forever
from bot.sandbox.faults import FaultInjector
from bot.sandbox.models import ApiCall, Button, ChatEvent, ChatMessage, StoredFile
from bot.sandbox.ratelimit import RateLimits
from bot.sandbox.world import NoSuchButton, SimUser, World

__all__ = [
    "ApiCall",
    "Button",
    "ChatEvent",
    "ChatMessage",
    "Emulator",
    "FaultInjector",
    "NoSuchButton",
    "RateLimits",
    "SimChat",
    "SimUser",
    "StoredFile",
    "World",
    "serve_forever",
]
