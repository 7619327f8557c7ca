"""Which picture a session's step screen shows: pure, from content."""

from __future__ import annotations

import pytest

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.model import Content, Media
from bot.core.media import ScreenMedia, screen_media, step_media
from bot.core.screens import Screen


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


def test_a_screen_has_no_picture_unless_given_one() -> None:
    assert Screen("text").media is None


def test_setup_and_steps_show_their_own_stills(content: Content) -> None:
    bird = content.exercises["bird-dog"]
    assert [step_media(bird, i) for i in range(4)] == [
        ScreenMedia(f"media/bird-dog-{name}.png", "photo", media.description)
        for name, media in zip(
            ("setup", "step1", "step2", "step3"),
            [bird.setup_media] + [s.media for s in bird.steps],
            strict=True,
        )
        if media is not None
    ]


def test_the_timed_march_step_moves_with_its_still_as_stand_in(content: Content) -> None:
    shown = step_media(content.exercises["hook-lying-march"], 2)
    assert shown is not None
    assert (shown.path, shown.kind, shown.still) == (
        "media/hook-lying-march.gif",
        "animation",
        "media/hook-lying-march-step2.png",
    )


def test_a_step_without_media_shows_the_exercises(content: Content) -> None:
    raises = content.exercises["arm-leg-raises"]
    bare = raises.model_copy(
        update={"steps": tuple(s.model_copy(update={"media": None}) for s in raises.steps)}
    )
    shown = step_media(bare, 1)
    assert shown is not None
    assert (shown.path, shown.kind) == ("media/arm-leg-raises.gif", "animation")
    nothing = bare.model_copy(update={"media": None})
    assert step_media(nothing, 1) is None
    assert step_media(nothing, 0) is not None  # the setup keeps its own


def test_an_entry_shows_its_animation_else_its_image() -> None:
    both = Media(image="a.png", animation="a.gif", description="d")
    assert screen_media(both) == ScreenMedia("a.gif", "animation", "d", still="a.png")
    assert screen_media(Media(image="a.png", description="d")) == ScreenMedia("a.png", "photo", "d")
    assert screen_media(Media(description="d")) is None
    assert screen_media(None) is None
