"""Broken content: each kind of mistake is reported with its file, its place and a reason.

Each test copies the bundled content and breaks one thing, so the tests do not go stale
when the real content changes.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import default_content_dir
from bot.content.check import check_content
from bot.content.errors import ContentProblem
from bot.content.loader import load_content
from tests.content_edits import content_dir as content_dir  # the fixture
from tests.content_edits import edit, only_problem, problems

# --- YAML ----------------------------------------------------------------------------------


def test_yaml_syntax_error_gives_file_line_and_column(content_dir: Path) -> None:
    bird = content_dir / "exercises" / "bird-dog.yaml"
    lines = bird.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("minutes:"))
    edit(bird, "minutes: 4\n", "minutes: 4: 5\n")
    assert only_problem(content_dir).startswith(
        f"{bird}:{number}:11: YAML syntax error: mapping values are not allowed here"
    )


def test_a_key_written_twice_is_reported(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    texts.write_text(texts.read_text(encoding="utf-8") + 'btn_next: "Again"\n', encoding="utf-8")
    assert re.fullmatch(
        rf"{re.escape(str(texts))}:\d+:1: .*'btn_next' appears twice", only_problem(content_dir)
    )


def test_empty_file(content_dir: Path) -> None:
    (content_dir / "safety.yaml").write_text("# nothing yet\n", encoding="utf-8")
    assert only_problem(content_dir) == f"{content_dir}/safety.yaml: the file is empty"


# --- shapes, types, ranges -----------------------------------------------------------------


def test_missing_field(content_dir: Path) -> None:
    raises = content_dir / "exercises" / "arm-leg-raises.yaml"
    edit(
        raises, 'purpose: "Makes the muscles of your lower back stronger and more resilient."\n', ""
    )
    assert only_problem(content_dir) == f"{raises}: purpose: is required"


def test_wrong_type(content_dir: Path) -> None:
    raises = content_dir / "exercises" / "arm-leg-raises.yaml"
    edit(raises, "reps: 5", 'reps: "five"')
    assert only_problem(content_dir) == f"{raises}: dose.reps: must be a whole number"


def test_yes_no_is_not_text(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    edit(texts, 'btn_skip: "Skip"', "btn_skip: no")
    assert only_problem(content_dir).startswith(
        f"{texts}: btn_skip: must be text; put it in quotes"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "duration_seconds: 30",
            "duration_seconds: 3",
            "dose.duration_seconds: must be at least 5",
        ),
        (
            "duration_seconds: 30",
            "duration_seconds: 601",
            "dose.duration_seconds: must be at most 600",
        ),
        ("sets: 2", "sets: 0", "dose.sets: must be at least 1"),
        ("sets_max: 3", "sets_max: 1", "dose.sets_max: must be at least sets (2)"),
    ],
)
def test_bad_range(content_dir: Path, old: str, new: str, expected: str) -> None:
    march = content_dir / "exercises" / "hook-lying-march.yaml"
    edit(march, old, new)
    assert only_problem(content_dir) == f"{march}: {expected}"


def test_empty_steps(content_dir: Path) -> None:
    raises = content_dir / "exercises" / "arm-leg-raises.yaml"
    text = raises.read_text(encoding="utf-8")
    start = text.index("steps:\n")
    raises.write_text(text[:start] + "steps: []\n" + text[text.index("dose:") :], encoding="utf-8")
    assert only_problem(content_dir) == f"{raises}: steps: must not be empty"


def test_unknown_key_suggests_the_right_one(content_dir: Path) -> None:
    bird = content_dir / "exercises" / "bird-dog.yaml"
    edit(bird, "steps:", "stpes:")
    assert set(problems(content_dir)) == {
        f"{bird}: unknown key 'stpes' (did you mean 'steps'?)",
        f"{bird}: steps: is required",
    }


def test_unknown_key_inside_a_list_item(content_dir: Path) -> None:
    march = content_dir / "exercises" / "hook-lying-march.yaml"
    edit(march, "    timed: true", "    timed: true\n    sparkle: red")
    assert only_problem(content_dir) == f"{march}: steps[1]: unknown key 'sparkle'"


def test_id_must_match_the_file_name(content_dir: Path) -> None:
    bird = content_dir / "exercises" / "bird-dog.yaml"
    edit(bird, "id: bird-dog", "id: birddog")
    found = problems(content_dir)
    assert (
        f"{bird}: id: is 'birddog' but the file is named 'bird-dog.yaml'; make them match" in found
    )


def test_unknown_file(content_dir: Path) -> None:
    (content_dir / "clinc.yaml").write_text("name: x\n", encoding="utf-8")
    assert only_problem(content_dir).startswith(f"{content_dir}/clinc.yaml: unknown file;")


def test_missing_file(content_dir: Path) -> None:
    (content_dir / "clinic.yaml").unlink()
    assert only_problem(content_dir).startswith(f"{content_dir}/clinic.yaml: missing file")


def test_not_a_directory(tmp_path: Path) -> None:
    assert only_problem(tmp_path / "nope") == f"{tmp_path / 'nope'}: is not a directory"


# --- references and timers -----------------------------------------------------------------


def test_program_refers_to_a_missing_exercise(content_dir: Path) -> None:
    program = content_dir / "programs" / "lower-back.yaml"
    edit(program, "  - arm-leg-raises", "  - bird-dgo")
    assert only_problem(content_dir) == (
        f"{program}: exercises[1]: refers to exercise 'bird-dgo', which does not exist"
    )


def test_alternative_must_exist_and_not_be_itself(content_dir: Path) -> None:
    bird = content_dir / "exercises" / "bird-dog.yaml"
    raises = content_dir / "exercises" / "arm-leg-raises.yaml"
    edit(bird, "alternative: arm-leg-raises", "alternative: bird-dog")
    edit(raises, "alternative: bird-dog", "alternative: cat-cow")
    assert set(problems(content_dir)) == {
        f"{bird}: alternative: must be another exercise",
        f"{raises}: alternative: refers to exercise 'cat-cow', which does not exist",
    }


def test_timed_step_needs_a_duration(content_dir: Path) -> None:
    march = content_dir / "exercises" / "hook-lying-march.yaml"
    edit(march, "  duration_seconds: 30\n", "")
    assert set(problems(content_dir)) == {
        f"{march}: steps[1].timed: needs dose.duration_seconds (how long the timer runs)",
        f"{march}: dose: needs reps or duration_seconds",
    }


def test_duration_needs_a_timed_step(content_dir: Path) -> None:
    march = content_dir / "exercises" / "hook-lying-march.yaml"
    edit(march, "    timed: true\n", "")
    assert only_problem(content_dir).startswith(f"{march}: dose.duration_seconds: no step")


def test_before_you_start_must_be_a_text_key(content_dir: Path) -> None:
    program = content_dir / "programs" / "lower-back.yaml"
    edit(program, "before_you_start: advice_before_start", "before_you_start: advice_befor")
    assert only_problem(content_dir).startswith(
        f"{program}: before_you_start: refers to text 'advice_befor', which does not exist"
    )


# --- which program a new patient gets -------------------------------------------------------


def _second_program(content_dir: Path, name: str, *, default: bool = False) -> Path:
    """A copy of the bundled program under another id (issue 12: it took over silently)."""
    original = content_dir / "programs" / "lower-back.yaml"
    text = original.read_text(encoding="utf-8").replace("id: lower-back", f"id: {name}")
    text = text.replace("default: true\n", "default: true\n" if default else "")
    path = content_dir / "programs" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(content_dir / "programs" / "es" / "lower-back.yaml", path.parent / "es" / path.name)
    return path


def test_the_marked_program_is_the_default_whatever_the_file_order(content_dir: Path) -> None:
    _second_program(content_dir, "a-neck")  # sorts before lower-back
    content = load_content(content_dir)
    assert list(content.programs) == ["a-neck", "gentle-start", "lower-back"]
    assert content.default_program.id == "lower-back"


def test_a_single_program_needs_no_flag(content_dir: Path) -> None:
    for path in content_dir.glob("programs/**/gentle-start.yaml"):
        path.unlink()
    edit(content_dir / "programs" / "lower-back.yaml", "default: true\n", "")
    assert load_content(content_dir).default_program.id == "lower-back"


def test_several_programs_without_a_default_are_refused(content_dir: Path) -> None:
    edit(content_dir / "programs" / "lower-back.yaml", "default: true\n", "")
    _second_program(content_dir, "a-neck")
    assert only_problem(content_dir) == (
        f"{content_dir / 'programs'}: 3 programs (a-neck.yaml, gentle-start.yaml, "
        "lower-back.yaml) and none says "
        "'default: true'; add 'default: true' to the one new patients should get"
    )


def test_two_defaults_are_refused_naming_both_files(content_dir: Path) -> None:
    neck = _second_program(content_dir, "a-neck", default=True)
    back = content_dir / "programs" / "lower-back.yaml"
    assert set(problems(content_dir)) == {
        f"{neck}: default: only one program may say 'default: true'; so does lower-back.yaml",
        f"{back}: default: only one program may say 'default: true'; so does a-neck.yaml",
    }


def test_default_must_be_true_or_false(content_dir: Path) -> None:
    program = content_dir / "programs" / "lower-back.yaml"
    edit(program, "default: true\n", "default: 'yes'\n")
    assert only_problem(content_dir).startswith(f"{program}: default: ")


# --- UI texts ------------------------------------------------------------------------------


def test_missing_ui_text(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    edit(texts, 'btn_next: "Next"\n', "")
    assert only_problem(content_dir) == f"{texts}: btn_next: missing text (the bot uses it)"


def test_unknown_ui_text(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    edit(texts, 'btn_next: "Next"', 'btn_next: "Next"\nbtn_nxet: "Next"')
    assert (
        only_problem(content_dir) == f"{texts}: unknown key 'btn_nxet' (did you mean 'btn_next'?)"
    )


def test_over_long_button_label(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    edit(texts, 'btn_hurts: "It hurts - stop"', 'btn_hurts: "It hurts, please stop right now!!"')
    assert only_problem(content_dir) == (
        f"{texts}: btn_hurts: button label is 33 characters; Telegram shows at most 30"
    )


def test_button_length_counts_the_filled_in_value(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    label = "Please start the timer: {seconds} s"
    assert len(label.format(seconds=600)) <= 30 < len(label)
    edit(texts, 'btn_start_timer: "Start timer: {seconds} s"', f'btn_start_timer: "{label}"')
    assert load_content(content_dir).texts["en"]["btn_start_timer"] == label


def test_exercise_short_title_is_a_button(content_dir: Path) -> None:
    bird = content_dir / "exercises" / "bird-dog.yaml"
    edit(bird, 'short_title: "Bird dog"', 'short_title: "Bird dog, on hands and knees!!!"')
    assert only_problem(content_dir) == (
        f"{bird}: short_title: button label is 31 characters; Telegram shows at most 30"
    )


def test_over_long_toast(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    edit(texts, 'toast_timer_started: "Timer started."', f'toast_timer_started: "{"x" * 201}"')
    assert only_problem(content_dir) == (
        f"{texts}: toast_timer_started: is 201 characters; a pop-up note shows at most 200"
    )


def test_disallowed_placeholder(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    edit(texts, 'dose_line: "How much: {dose}"', 'dose_line: "How much: {dose} ({phone})"')
    assert only_problem(content_dir) == (
        f"{texts}: dose_line: uses {{phone}}, which this text cannot use; allowed: {{dose}}"
    )


def test_missing_required_placeholder(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    edit(texts, "again. Call {clinic_phone}.", "again.")
    assert only_problem(content_dir) == f"{texts}: advice_pain: must use {{clinic_phone}}"


def test_wrong_placeholder_name_in_the_pain_advice(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    edit(texts, "again. Call {clinic_phone}.", "again. Call {phone}.")
    found = problems(content_dir)
    assert f"{texts}: advice_pain: must use {{clinic_phone}}" in found
    assert any(
        p.startswith(
            f"{texts}: advice_pain: uses {{phone}}, which this text cannot use; "
            "allowed: {clinic_address}, {clinic_credentials}"
        )
        for p in found
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("How much: {dose", "has a lone '{' or '}'"),
        ("How much: {}", "uses {}; placeholders are plain names"),
        ("How much: {dose!r}", "formats {dose}; write just {dose}"),
    ],
)
def test_malformed_placeholder(content_dir: Path, text: str, reason: str) -> None:
    texts = content_dir / "texts" / "en.yaml"
    edit(texts, 'dose_line: "How much: {dose}"', f'dose_line: "{text}"')
    assert only_problem(content_dir).startswith(f"{texts}: dose_line: {reason}")


def test_html_is_not_allowed(content_dir: Path) -> None:
    texts = content_dir / "texts" / "en.yaml"
    edit(texts, 'well_done: "Well done!', 'well_done: "<b>Well done!</b>')
    assert only_problem(content_dir).startswith(f"{texts}: well_done: looks like HTML (<b>)")


def test_a_step_screen_must_fit_in_one_message(content_dir: Path) -> None:
    raises = content_dir / "exercises" / "arm-leg-raises.yaml"
    edit(raises, '"Do the same with your other arm."', f'"{"word " * 900}"')
    assert re.fullmatch(
        rf"{re.escape(str(raises))}: steps\[1\]: its screen is \d+ characters .*at most 4096",
        only_problem(content_dir),
    )


def add_language(content_dir: Path, lang: str = "de") -> None:
    """A complete third language: a copy of every Spanish file under another code."""
    for folder in ("texts", "pain-words"):
        shutil.copy(content_dir / folder / "es.yaml", content_dir / folder / f"{lang}.yaml")
    shutil.copytree(content_dir / "es", content_dir / lang)
    for folder in ("programs", "exercises"):
        shutil.copytree(content_dir / folder / "es", content_dir / folder / lang)


def rewrite(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_complete_third_language_loads(content_dir: Path) -> None:
    add_language(content_dir)
    content = load_content(content_dir)
    assert set(content.languages) == {"en", "es", "de"}
    assert content.exercise("bird-dog", "de").title == "Bird dog (a cuatro patas)"
    assert content.exercise("bird-dog", "de").dose == content.exercises["bird-dog"].dose


def test_a_partial_third_language_lists_exactly_what_is_missing(content_dir: Path) -> None:
    add_language(content_dir)
    d = content_dir
    edit(d / "texts" / "de.yaml", 'btn_next: "Siguiente"\n', "")
    edit(d / "texts" / "de.yaml", "Llama al {clinic_phone}.", "Llama a la clínica.")
    edit(d / "texts" / "de.yaml", 'menu_next: "', 'menu_next: "{when} ')
    rewrite(d / "exercises" / "de" / "bird-dog.yaml", lambda ex: ex["steps"].pop())
    rewrite(d / "exercises" / "de" / "arm-leg-raises.yaml", lambda ex: ex.pop("dose_text"))
    rewrite(d / "exercises" / "de" / "hook-lying-march.yaml", lambda ex: ex.pop("setup_media"))
    rewrite(d / "de" / "safety.yaml", lambda s: s["warning_signs"].pop(3))
    rewrite(d / "de" / "clinic.yaml", lambda c: c.pop("opening_hours"))
    (d / "programs" / "de" / "lower-back.yaml").unlink()
    (d / "exercises" / "de" / "side-plank.yaml").write_text("title: x\n", encoding="utf-8")
    assert sorted(problems(content_dir)) == sorted(
        [
            f"{d}/texts/de.yaml: btn_next: missing text (the bot uses it)",
            f"{d}/texts/de.yaml: advice_pain: must use {{clinic_phone}}",
            f"{d}/texts/de.yaml: menu_next: uses {{when}}, which this text cannot use; "
            "allowed: none",
            f"{d}/exercises/de/bird-dog.yaml: steps[2]: missing (the English file has 3 steps)",
            f"{d}/exercises/de/arm-leg-raises.yaml: dose_text: is required",
            f"{d}/exercises/de/hook-lying-march.yaml: setup_media.description: missing "
            "(the English file has a picture here)",
            f"{d}/de/safety.yaml: warning_signs: missing the sign 'fever' "
            "(the English file has it)",
            f"{d}/de/clinic.yaml: opening_hours: is required",
            f"{d}/programs/de/lower-back.yaml: missing file "
            "(the words of program 'lower-back' in 'de')",
            f"{d}/exercises/de/side-plank.yaml: translates 'side-plank', but there is no "
            "exercises/side-plank.yaml",
        ]
    )


def test_a_translation_keeps_the_english_placeholders(content_dir: Path) -> None:
    edit(
        content_dir / "texts" / "es.yaml",
        "  Tu clínica: {clinic_name}\n  Teléfono: {clinic_phone}",
        "  Tu clínica: {clinic_name}",
    )
    assert only_problem(content_dir) == (
        f"{content_dir}/texts/es.yaml: help: must use {{clinic_phone}}, as the English text does"
    )


def test_a_translation_holds_only_words(content_dir: Path) -> None:
    march = content_dir / "exercises" / "es" / "hook-lying-march.yaml"
    rewrite(march, lambda ex: ex.update(minutes=9))
    assert only_problem(content_dir) == f"{march}: unknown key 'minutes'"


def test_a_translated_short_title_fits_a_button(content_dir: Path) -> None:
    dog = content_dir / "exercises" / "es" / "bird-dog.yaml"
    rewrite(dog, lambda ex: ex.update(short_title="Perro-pájaro, a cuatro patas, despacio"))
    assert f"{dog}: short_title: button label is 38 characters; Telegram shows at most 30" in (
        problems(content_dir)
    )


def test_every_language_needs_its_pain_words(content_dir: Path) -> None:
    add_language(content_dir)
    (content_dir / "pain-words" / "de.yaml").unlink()
    assert only_problem(content_dir) == (
        f"{content_dir}/pain-words/de.yaml: missing file (the words for pain in 'de')"
    )


def test_broken_pain_words_name_the_file_and_field(content_dir: Path) -> None:
    words = content_dir / "pain-words" / "en.yaml"
    words.write_text("pain: hurts\n", encoding="utf-8")
    assert only_problem(content_dir) == f"{words}: pain: a list of words or phrases"
    words.write_text("pain: [hurts]\npian: [x]\n", encoding="utf-8")
    assert "unknown keys" in only_problem(content_dir)


def test_language_file_name_must_be_a_code(content_dir: Path) -> None:
    (content_dir / "texts" / "German.yaml").write_text('btn_next: "Weiter"\n', encoding="utf-8")
    assert only_problem(content_dir).startswith(
        f"{content_dir}/texts/German.yaml: the file name must be a language code"
    )


def test_warning_sign_label_length(content_dir: Path) -> None:
    safety = content_dir / "safety.yaml"
    edit(safety, 'label: "A fever together with the back pain"', f'label: "{"x" * 81}"')
    assert only_problem(content_dir) == (
        f"{safety}: warning_signs[3].label: is 81 characters; keep it to 80"
    )


# --- all at once, the check command, the version ----------------------------------------------


def test_every_problem_in_every_file_is_reported_at_once(content_dir: Path) -> None:
    edit(content_dir / "exercises" / "hook-lying-march.yaml", "sets: 2", "sets: 0")
    edit(content_dir / "exercises" / "bird-dog.yaml", "steps:", "stpes:")
    edit(content_dir / "programs" / "lower-back.yaml", "  - arm-leg-raises", "  - bird-dgo")
    edit(content_dir / "texts" / "en.yaml", 'btn_next: "Next"\n', "")
    edit(content_dir / "clinic.yaml", 'emergency_number: "911"', 'emergency_number: "nine"')
    found = problems(content_dir)
    assert len(found) == 6, found
    for fragment in (
        "hook-lying-march.yaml: dose.sets",
        "bird-dog.yaml: unknown key 'stpes'",
        "lower-back.yaml: exercises[1]",
        "en.yaml: btn_next",
        "clinic.yaml: emergency_number: must be digits only",
    ):
        assert any(fragment in p for p in found), fragment


def test_problem_without_a_place_in_the_file() -> None:
    assert str(ContentProblem("content/x.yaml", reason="the file is empty")) == (
        "content/x.yaml: the file is empty"
    )
    assert str(ContentProblem("c.yaml", "a.b", "bad", line=3, column=4)) == "c.yaml:3:4: a.b: bad"


def test_paths_are_shown_as_the_directory_was_given(
    content_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(content_dir.parent)
    edit(content_dir / "texts" / "en.yaml", 'btn_next: "Next"\n', "")
    assert only_problem(Path("content")) == (
        "content/texts/en.yaml: btn_next: missing text (the bot uses it)"
    )


def test_check_content_ok(content_dir: Path) -> None:
    edit(content_dir / "clinic.yaml", "example: true\n", "")
    code, output = check_content(content_dir)
    assert code == 0
    assert re.fullmatch(
        r"content OK: 2 programs, 3 exercises, 2 languages, version [0-9a-f]{12}", output
    )


def test_check_content_says_when_it_is_the_example_clinic(content_dir: Path) -> None:
    code, output = check_content(content_dir)
    assert code == 0 and output.count("\n") == 0
    assert output.endswith(
        "; this is example content (clinic.yaml says example: true): "
        "`exercise-bot run` needs ALLOW_EXAMPLE_CONTENT=true to use it"
    )
    assert load_content(content_dir).clinic.example is True


def test_check_content_lists_problems(content_dir: Path) -> None:
    edit(content_dir / "texts" / "en.yaml", 'btn_next: "Next"\n', "")
    edit(content_dir / "exercises" / "bird-dog.yaml", "steps:", "stpes:")
    code, output = check_content(content_dir)
    assert code == 1
    lines = output.splitlines()
    assert len(lines) == 4
    assert lines[-1] == "content has 3 problems; the bot will not start"
    assert f"{content_dir}/texts/en.yaml: btn_next: missing text (the bot uses it)" in lines


def test_version_changes_when_a_file_changes(content_dir: Path) -> None:
    before = load_content(content_dir).version
    assert load_content(content_dir).version == before
    assert load_content(default_content_dir()).version == before
    edit(content_dir / "texts" / "en.yaml", 'btn_next: "Next"', 'btn_next: "Next step"')
    assert load_content(content_dir).version != before


def test_version_changes_when_a_file_is_renamed(content_dir: Path) -> None:
    before = load_content(content_dir).version
    (content_dir / "texts" / "en.yaml").rename(content_dir / "texts" / "en.yaml.bak")
    shutil.copy(content_dir / "texts" / "en.yaml.bak", content_dir / "texts" / "en.yaml")
    add_language(content_dir)
    assert load_content(content_dir).version != before


def test_the_pain_rating_switch_must_be_true_or_false(content_dir: Path) -> None:
    edit(content_dir / "safety.yaml", "pain_rating: false\n", "pain_rating: sometimes\n")
    assert only_problem(content_dir) == (
        f"{content_dir}/safety.yaml: pain_rating: must be true or false"
    )


def test_the_pain_rating_switch_is_not_in_a_translation(content_dir: Path) -> None:
    """A switch, not words: the Spanish safety.yaml cannot turn it on for Spanish alone."""
    with (content_dir / "es" / "safety.yaml").open("a", encoding="utf-8") as f:
        f.write("pain_rating: true\n")
    assert "pain_rating" in only_problem(content_dir)
    assert "unknown key" in only_problem(content_dir)


def test_the_pain_rating_switch_turns_on(content_dir: Path) -> None:
    edit(content_dir / "safety.yaml", "pain_rating: false\n", "pain_rating: true\n")
    assert load_content(content_dir).pain_rating is True
