"""The content shipped with the bot is valid, and says what the safety rules need."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.model import Content
from bot.content.texts import TEXTS
from bot.core.screens import clinic_values


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


def test_default_content_dir_is_the_repository_content() -> None:
    directory = default_content_dir()
    assert directory == Path(__file__).resolve().parents[2] / "content"
    assert (directory / "clinic.yaml").is_file()


def test_three_exercises_and_one_program(content: Content) -> None:
    assert set(content.exercises) == {"arm-leg-raises", "bird-dog", "hook-lying-march"}
    assert content.default_program.id == "lower-back"
    assert content.programs["lower-back"].exercises == ("hook-lying-march", "arm-leg-raises")
    assert content.program_minutes("lower-back") == 7


def test_raises_and_bird_dog_are_each_others_alternative(content: Content) -> None:
    assert content.exercises["arm-leg-raises"].alternative == "bird-dog"
    assert content.exercises["bird-dog"].alternative == "arm-leg-raises"
    assert content.exercises["hook-lying-march"].alternative is None


def test_march_is_timed_30_seconds_2_or_3_sets(content: Content) -> None:
    march = content.exercises["hook-lying-march"]
    assert march.dose.duration_seconds == 30
    assert (march.dose.sets, march.dose.sets_max) == (2, 3)
    assert march.timed_step is march.steps[-1]
    assert [s.timed for s in content.exercises["bird-dog"].steps] == [False, False, False]


def test_doses_match_the_handout(content: Content) -> None:
    raises = content.exercises["arm-leg-raises"].dose
    assert (raises.reps, raises.per) == (5, "limb")
    bird = content.exercises["bird-dog"].dose
    assert (bird.reps, bird.reps_max, bird.per) == (3, 5, "side")


def test_every_ui_text_is_in_english(content: Content) -> None:
    assert set(content.texts["en"]) == set(TEXTS)


def test_pain_advice_says_stop_and_gives_the_clinic_phone(content: Content) -> None:
    advice = content.text("en", "advice_pain", **clinic_values(content, "en"))
    assert "+1 617 720 2329" in advice
    assert "stop" in advice.lower()
    assert "doctor" in advice.lower()
    contact = content.text("en", "clinic_contact", **clinic_values(content, "en"))
    assert "205 Commercial St" in contact
    assert content.clinic.name in contact


def test_phone_display_prefers_the_international_form(content: Content) -> None:
    assert content.clinic.phone == "(617) 720-2329"
    assert content.clinic.phone_display == "+1 617 720 2329"
    assert content.clinic.emergency_number == "911"


def test_warning_signs(content: Content) -> None:
    ids = [sign.id for sign in content.warning_signs]
    assert len(ids) == 6
    assert "bladder-bowel" in ids
    assert all(len(sign.label) <= 80 for sign in content.warning_signs)


def test_text_falls_back_to_english(content: Content) -> None:
    assert content.text("de", "btn_next") == content.texts["en"]["btn_next"]
    assert content.text("en-GB", "btn_next") == content.texts["en"]["btn_next"]


def test_text_fills_placeholders_and_names_a_missing_one(content: Content) -> None:
    header = content.text(
        "en", "step_header", exercise_number=1, exercise_count=2, step_number=3, step_count=4
    )
    assert "1" in header
    assert "4" in header
    with pytest.raises(KeyError, match="step_count"):
        content.text("en", "step_header", exercise_number=1, exercise_count=2, step_number=3)
    with pytest.raises(KeyError, match="no_such_key"):
        content.text("en", "no_such_key")


def test_content_is_immutable(content: Content) -> None:
    with pytest.raises(ValidationError):
        content.version = "x"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        content.clinic.phone = "x"  # type: ignore[misc]


def test_version_is_a_full_sha256(content: Content) -> None:
    assert len(content.version) == 64
    int(content.version, 16)
    assert content.short_version == content.version[:12]


def test_every_screen_of_every_exercise_has_its_own_picture(content: Content) -> None:
    """The setup shows <id>-setup.png and step N <id>-stepN.png; the timed march step moves."""
    for exercise in content.exercises.values():
        expected = [f"media/{exercise.id}-setup.png"]
        expected += [f"media/{exercise.id}-step{n}.png" for n in range(1, len(exercise.steps) + 1)]
        shown = []
        for screen in range(len(expected)):
            media = exercise.media_for(screen)
            assert media is not None, (exercise.id, screen)
            assert media.description
            shown.append(media.image)
        assert shown == expected
        assert exercise.media is not None
        assert exercise.media.animation == f"media/{exercise.id}.gif"
    march = content.exercises["hook-lying-march"]
    timed = march.timed_step
    assert timed is not None and timed.media is not None
    assert timed.media.animation == "media/hook-lying-march.gif"


def test_every_file_in_content_media_is_used(content: Content) -> None:
    used = {
        name
        for exercise in content.exercises.values()
        for _, media in exercise.media_places()
        for name in (media.image, media.animation)
        if name is not None
    }
    files = {f"media/{p.name}" for p in (default_content_dir() / "media").iterdir()}
    assert used == files


def test_docs_show_every_bundled_picture() -> None:
    """docs/CONTENT.md links each picture the exercises use, and each link leads somewhere."""
    docs = default_content_dir().parent / "docs"
    text = (docs / "CONTENT.md").read_text(encoding="utf-8")
    links = set(re.findall(r"\]\(([^)#]+\.(?:png|gif|jpe?g|mp4))\)", text))
    assert "media/illustrations-overview.png" in links
    for link in links:
        assert (docs / link).is_file(), link
    used = {f"../content/{p.relative_to(default_content_dir())}" for p in _media_files()}
    assert used <= links, used - links


def _media_files() -> list[Path]:
    return sorted((default_content_dir() / "media").iterdir())
