"""Which picture a screen shows: plain data for the adapter, chosen from content.

A screen names its picture by the path content gives it (relative to the content
directory); the Telegram adapter (bot/telegram/media.py) resolves it, uploads it once and
falls back to the description where a picture cannot be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.content.model import Exercise, Media

MediaKind = Literal["photo", "animation"]


@dataclass(frozen=True)
class ScreenMedia:
    """A picture shown with a screen; the screen's text becomes its caption.

    ``still`` is a photo to show instead when an animation cannot be sent.
    """

    path: str  # relative to the content directory, e.g. "media/bird-dog-step1.png"
    kind: MediaKind
    description: str  # plain text: what the picture shows
    still: str | None = None


def screen_media(media: Media | None) -> ScreenMedia | None:
    """An entry of content as a screen shows it: its animation if it has one, else its image."""
    if media is None:
        return None
    if media.animation is not None:
        return ScreenMedia(media.animation, "animation", media.description, still=media.image)
    if media.image is not None:
        return ScreenMedia(media.image, "photo", media.description)
    return None


def step_media(exercise: Exercise, step_index: int) -> ScreenMedia | None:
    """The picture of a session's step screen; ``step_index`` as in ``SessionState``
    (0 is the setup, 1.. the exercise's steps)."""
    return screen_media(exercise.media_for(step_index))
