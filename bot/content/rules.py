"""Checks that span fields or files: references, timers, UI texts and Telegram's limits."""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable, Iterable
from typing import NamedTuple

from bot.content.errors import ContentProblem
from bot.content.model import DEFAULT_LANGUAGE, Clinic, Exercise, Program, WarningSign
from bot.content.texts import TEXTS, TextSpec

Shown = Callable[[str], str]
MAX_BUTTON = 30
MAX_TOAST = 200
MAX_MESSAGE = 4096
MAX_CAPTION = 1024  # a photo's or an animation's caption
MAX_MENU = 256  # a command's description in the menu
MAX_WARNING_LABEL = 80
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
# shown without the ⏱
_TIMER_LINES = ("timer_ready", "timer_set_done", "timer_enough", "timer_all_done")
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]*>")


def is_language_code(name: str) -> bool:
    return bool(_LANGUAGE.match(name))


class InWords(NamedTuple):
    """One language's words merged onto the English files (each with the file it came from)."""

    clinic: Clinic
    programs: list[tuple[str, Program]]
    exercises: list[tuple[str, Exercise]]
    warning_signs: tuple[WarningSign, ...]


class TextFile(NamedTuple):
    shown: str  # the file's name as shown in problems
    table: dict[str, str]  # the usable texts
    keys: frozenset[str]  # every key written, usable or not


def _button_problem(label: str) -> str | None:
    if len(label) > MAX_BUTTON:
        return f"button label is {len(label)} characters; Telegram shows at most {MAX_BUTTON}"
    return None


# --- programs and exercises ----------------------------------------------------------------


def check_programs(
    programs: list[tuple[str, Program]], exercise_ids: set[str]
) -> list[ContentProblem]:
    problems = []
    for shown, program in programs:
        seen: set[str] = set()
        for i, ex in enumerate(program.exercises):
            where = f"exercises[{i}]"
            if ex not in exercise_ids:
                problems.append(
                    ContentProblem(shown, where, f"refers to exercise '{ex}', which does not exist")
                )
            elif ex in seen:
                problems.append(ContentProblem(shown, where, f"lists '{ex}' a second time"))
            seen.add(ex)
        if program.before_you_start not in TEXTS:
            problems.append(
                ContentProblem(
                    shown,
                    "before_you_start",
                    f"refers to text '{program.before_you_start}', which does not exist; "
                    "use a key of the UI texts, such as advice_before_start",
                )
            )
    return problems


def check_default_program(programs: list[tuple[str, Program]], folder: str) -> list[ContentProblem]:
    """Which program a new patient gets is written down, never the file order: with
    several programs exactly one says ``default: true`` (a single program needs no flag)."""

    def name(shown: str) -> str:
        return shown.replace("\\", "/").rsplit("/", 1)[-1]

    marked = [shown for shown, program in programs if program.default]
    if len(marked) > 1:
        return [
            ContentProblem(
                shown,
                "default",
                "only one program may say 'default: true'; so does "
                + ", ".join(name(other) for other in marked if other != shown),
            )
            for shown in marked
        ]
    if len(programs) > 1 and not marked:
        names = ", ".join(name(shown) for shown, _ in programs)
        return [
            ContentProblem(
                folder,
                reason=f"{len(programs)} programs ({names}) and none says 'default: true'; "
                "add 'default: true' to the one new patients should get",
            )
        ]
    return []


def check_exercises(
    exercises: list[tuple[str, Exercise]], exercise_ids: set[str]
) -> list[ContentProblem]:
    problems = []
    for shown, ex in exercises:
        problems += [ContentProblem(shown, path, reason) for path, reason in _exercise(ex)]
        if ex.alternative == ex.id:
            problems.append(ContentProblem(shown, "alternative", "must be another exercise"))
        elif ex.alternative is not None and ex.alternative not in exercise_ids:
            problems.append(
                ContentProblem(
                    shown,
                    "alternative",
                    f"refers to exercise '{ex.alternative}', which does not exist",
                )
            )
    return problems


def _exercise(ex: Exercise) -> Iterable[tuple[str, str]]:
    dose = ex.dose
    if (too_long := _button_problem(ex.short_title)) is not None:
        yield "short_title", too_long
    if dose.reps is None and dose.duration_seconds is None:
        yield "dose", "needs reps or duration_seconds"
    if dose.reps_max is not None and (dose.reps is None or dose.reps_max < dose.reps):
        yield "dose.reps_max", f"must be at least reps ({dose.reps})"
    if dose.per is not None and dose.reps is None:
        yield "dose.per", "only goes with reps"
    if dose.sets_max is not None and dose.sets_max < dose.sets:
        yield "dose.sets_max", f"must be at least sets ({dose.sets})"
    timed = [i for i, step in enumerate(ex.steps) if step.timed]
    for i in timed[1:]:
        yield f"steps[{i}].timed", "only one step can be timed"
    if timed and dose.duration_seconds is None:
        yield f"steps[{timed[0]}].timed", "needs dose.duration_seconds (how long the timer runs)"
    if dose.duration_seconds is not None and not timed:
        yield "dose.duration_seconds", "no step has 'timed: true', so the timer would never run"


def check_safety(signs: tuple[WarningSign, ...], shown: str) -> list[ContentProblem]:
    problems = []
    seen: set[str] = set()
    for i, sign in enumerate(signs):
        if sign.id in seen:
            problems.append(
                ContentProblem(shown, f"warning_signs[{i}].id", f"'{sign.id}' is used twice")
            )
        seen.add(sign.id)
        if len(sign.label) > MAX_WARNING_LABEL:
            problems.append(
                ContentProblem(
                    shown,
                    f"warning_signs[{i}].label",
                    f"is {len(sign.label)} characters; keep it to {MAX_WARNING_LABEL}",
                )
            )
    return problems


# --- UI texts ------------------------------------------------------------------------------


def placeholders(text: str) -> set[str]:
    """The {names} a text uses; ValueError with a friendly reason when it is malformed."""
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ValueError("has a lone '{' or '}'; write {{ or }} to show a brace") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"uses {{{name}}}; placeholders are plain names like {{clinic_phone}}")
        if spec or conversion:
            raise ValueError(f"formats {{{name}}}; write just {{{name}}}")
        names.add(name)
    return names


def _names(items: Iterable[str]) -> str:
    return ", ".join(f"{{{n}}}" for n in sorted(items)) or "none"


def _samples(
    clinic: Clinic | None,
    programs: list[tuple[str, Program]],
    exercises: list[tuple[str, Exercise]],
) -> dict[str, str]:
    """Long but realistic values, to see whether a rendered text fits Telegram's limits."""
    titles = {ex.id: ex.title for _, ex in exercises}
    alternatives = {ex.alternative for _, ex in exercises if ex.alternative}
    lists = ["\n".join(f"• {titles.get(e, 'x' * 40)}" for e in p.exercises) for _, p in programs]
    filler = "x" * 60
    values = {
        "clinic_name": clinic.name if clinic else filler,
        "clinic_credentials": clinic.credentials if clinic else filler,
        "clinic_address": clinic.address if clinic else filler,
        "clinic_phone": clinic.phone_display if clinic else filler,
        "clinic_hours": clinic.opening_hours if clinic else filler,
        "clinic_website": (clinic.website or "") if clinic else filler,
        "program_title": max((p.title for _, p in programs), key=len, default=filler),
        "exercise_list": max(lists, key=len, default=filler),
        "exercise_title": max(titles.values(), key=len, default=filler),
        # buttons name an exercise by its short title
        "short_title": max(
            (ex.short_title for _, ex in exercises if len(ex.short_title) <= MAX_BUTTON),
            key=len,
            default=filler[:20],
        ),
        "alternative_title": max(
            (
                ex.short_title
                for _, ex in exercises
                if ex.id in alternatives and len(ex.short_title) <= MAX_BUTTON
            ),
            key=len,
            default="x" * 20,
        ),
        "dose": max((ex.dose_text for _, ex in exercises), key=len, default=filler),
        "minutes": "120",
        "seconds": "600",
    }
    for name in (
        "exercise_number",
        "exercise_count",
        "set_number",
        "set_count",
        "min_sets",
        "max_sets",
    ):
        values[name] = "20"
    for name in ("step_number", "step_count"):
        values[name] = "21"
    return values


def _check_one(
    key: str, text: str, spec: TextSpec, samples: dict[str, str] | None
) -> Iterable[str]:
    try:
        used = placeholders(text)
    except ValueError as exc:
        yield str(exc)
        return
    for name in sorted(used - spec.placeholders):
        yield f"uses {{{name}}}, which this text cannot use; allowed: {_names(spec.placeholders)}"
    for name in sorted(spec.required - used):
        yield f"must use {{{name}}}"
    if used - spec.placeholders:
        return
    if (tag := _HTML.search(text)) is not None:
        yield f"looks like HTML ({tag.group(0)}); write plain text, the bot does the formatting"
    if samples is None:
        return
    if spec.is_button:
        short = samples.get("short_title", "x" * 20)
        samples = samples | {"exercise_title": short}
    rendered = text.format(**{name: samples.get(name, "x" * 20) for name in used})
    if spec.is_button and (too_long := _button_problem(rendered)) is not None:
        yield too_long
    elif key.startswith("menu_") and len(rendered) > MAX_MENU:
        yield f"is {len(rendered)} characters; a command's description holds at most {MAX_MENU}"
    elif key.startswith("toast_") and len(rendered) > MAX_TOAST:
        yield f"is {len(rendered)} characters; a pop-up note shows at most {MAX_TOAST}"
    elif len(rendered) > MAX_MESSAGE:
        yield f"is {len(rendered)} characters; a Telegram message holds at most {MAX_MESSAGE}"


def check_texts(
    texts: dict[str, TextFile],
    clinic: Clinic | None,
    programs: list[tuple[str, Program]],
    exercises: list[tuple[str, Exercise]],
    in_words: dict[str, InWords] | None = None,
) -> list[ContentProblem]:
    """Every language has every text, with the placeholders of the English one, within
    Telegram's limits once filled in with that language's words."""
    problems: list[ContentProblem] = []
    in_words = in_words or {}
    english = texts.get(DEFAULT_LANGUAGE)
    samples_by_lang: dict[str, dict[str, str] | None] = {}
    for lang, (shown, table, keys) in texts.items():
        words = in_words.get(lang)
        # A language whose words did not load has its problems reported there; its texts
        # are not measured with English words in their place.
        samples: dict[str, str] | None = None
        if words:
            samples = _samples(words.clinic, words.programs, words.exercises)
        elif lang == DEFAULT_LANGUAGE:
            samples = _samples(clinic, programs, exercises)
        samples_by_lang[lang] = samples
        if not _LANGUAGE.match(lang):
            problems.append(
                ContentProblem(
                    shown,
                    reason="the file name must be a language code, like 'en', 'de' or 'pt-br'",
                )
            )
        for key, text in table.items():
            spec = TEXTS.get(key)
            if spec is None:
                close = difflib.get_close_matches(key, TEXTS, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else " (the bot does not use it)"
                problems.append(ContentProblem(shown, reason=f"unknown key '{key}'{hint}"))
                continue
            found = [ContentProblem(shown, key, r) for r in _check_one(key, text, spec, samples)]
            if not found and lang != DEFAULT_LANGUAGE and english and key in english.table:
                found = [
                    ContentProblem(shown, key, r)
                    for r in _same_placeholders(text, english, key, spec)
                ]
            problems += found
        if _LANGUAGE.match(lang):
            problems += [
                ContentProblem(shown, key, "missing text (the bot uses it)")
                for key in TEXTS
                if key not in keys
            ]
    if not problems and english is not None:
        for lang, file in texts.items():
            words = in_words.get(lang)
            lang_samples = samples_by_lang[lang]
            if lang_samples is not None:
                problems += _check_screens(
                    file, english, words.exercises if words else exercises, lang_samples, lang
                )
    return problems


def _same_placeholders(text: str, english: TextFile, key: str, spec: TextSpec) -> Iterable[str]:
    """A translation fills in what the English text fills in: no phone number lost."""
    try:
        theirs = placeholders(english.table[key])
    except ValueError:
        return  # reported on the English file
    if theirs - spec.placeholders or spec.required - theirs:
        return  # so is this
    ours = placeholders(text)
    for name in sorted(theirs - ours):
        yield f"must use {{{name}}}, as the English text does"
    for name in sorted(ours - theirs):
        yield f"uses {{{name}}}, which the English text does not"


def _check_screens(
    file: TextFile,
    english: TextFile,
    exercises: list[tuple[str, Exercise]],
    samples: dict[str, str],
    lang: str,
) -> list[ContentProblem]:
    """Whole screens (several texts together) must fit in one Telegram message."""
    base = english.table
    problems = []
    shown, table, _ = file

    def render(key: str, table: dict[str, str] = table, **values: str) -> str:
        return table.get(key, base[key]).format(**(samples | values))

    timer = max(
        (render(k) for k in ("timer_running", *_TIMER_LINES)),
        key=len,
    )
    frame = "\n\n".join((render("step_header"), render("dose_line"), "⏱ " + timer))
    timer_line = max(("⏱ " + render("timer_running"), *(render(k) for k in _TIMER_LINES)), key=len)
    advice = render("advice_pain") + "\n\n" + render("clinic_contact")
    if len(advice) > MAX_MESSAGE:
        problems.append(
            ContentProblem(
                shown,
                "advice_pain",
                f"with clinic_contact is {len(advice)} characters; "
                f"a Telegram message holds at most {MAX_MESSAGE}",
            )
        )
    for ex_shown, ex in exercises:
        bodies = [("setup", ex.setup)] + [(f"steps[{i}]", s.text) for i, s in enumerate(ex.steps)]
        for screen, (path, body) in enumerate(bodies):
            size = len(ex.title) + len(frame) + len(body) + 4
            if size > MAX_MESSAGE:
                problems.append(
                    ContentProblem(
                        ex_shown,
                        path,
                        f"its screen is {size} characters (texts '{lang}'); "
                        f"a Telegram message holds at most {MAX_MESSAGE}",
                    )
                )
            elif ex.media_for(screen) is not None:
                caption = _caption_length(ex, screen, render, timer_line)
                if caption > MAX_CAPTION:
                    problems.append(
                        ContentProblem(
                            ex_shown,
                            path,
                            f"its screen is {caption} characters (texts '{lang}'), but it "
                            f"shows a picture, whose caption holds at most {MAX_CAPTION}; "
                            "shorten the text or show this screen without a picture",
                        )
                    )
    return problems


def _caption_length(ex: Exercise, screen: int, render: Callable[..., str], timer: str) -> int:
    """The longest text a step screen with a picture can carry as its caption.

    Mirrors the session's step screen (bot/core/ui/session.py ``_step_screen``): the
    title, the header, on the setup screen its title, the setup, why, the cautions and the
    alternative's hint, else the step's text; the dose, and the timer's longest line on the
    timed step, separated as there. The tags around the title are not counted: Telegram
    counts a caption's characters after reading its HTML.
    """
    parts = [ex.title + "\n" + render("step_header")]
    if screen == 0:
        parts.append(render("setup_step_title") + "\n" + ex.setup)
        parts.append(render("purpose_line", purpose=ex.purpose))
        if ex.cautions:
            parts.append(render("cautions_line", cautions=" ".join(ex.cautions)))
        if ex.alternative and ex.alternative_hint:
            parts.append(ex.alternative_hint)
    else:
        parts.append(ex.steps[screen - 1].text)
    parts.append(render("dose_line", dose=max(ex.dose_text, own_dose_sample(ex, render), key=len)))
    if screen > 0 and ex.steps[screen - 1].timed:
        parts.append(timer)
    return len("\n\n".join(parts))


def own_dose_sample(ex: Exercise, render: Callable[..., str]) -> str:
    """The longest dose in words a patient's own dose can give this exercise (bot/core/dose.py
    ``dose_words``, with the highest numbers): the step screens must fit with it too."""
    dose = ex.dose
    parts = []
    if dose.reps is not None:
        suffix = f"_{dose.per}" if dose.per else ""
        parts.append(render(f"dose_reps_range{suffix}", reps="100", reps_max="100"))
    if dose.duration_seconds is not None:
        parts.append(render("dose_seconds", seconds="600"))
    if dose.hold_breaths is not None:
        parts.append(render("dose_hold", breaths="20"))
    parts.append(render("dose_sets_range", sets="20", sets_max="20"))
    return ", ".join(parts)
