"""Load a content directory into ``Content``, reporting every problem in every file at once."""

from __future__ import annotations

import hashlib
import importlib.resources
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.content import media, rules, words
from bot.content.errors import ContentError, ContentProblem
from bot.content.friendly import problems_from
from bot.content.model import (
    DEFAULT_LANGUAGE,
    Clinic,
    Content,
    Dose,
    Exercise,
    Localized,
    Media,
    Program,
    Safety,
    Step,
    WarningSign,
)
from bot.content.yamlio import read_yaml
from bot.core.typed_pain import PainWords

M = TypeVar("M", bound=BaseModel)
_ALL_MODELS = (Clinic, Dose, Media, Step, Exercise, Program, WarningSign, Safety)
_WORD_MODELS = (*words.WORD_MODELS, WarningSign)
BUNDLED_CONTENT_PACKAGE = "exercise_bot_content"
_LAYOUT = (
    "the bot reads clinic.yaml, safety.yaml, programs/*.yaml, exercises/*.yaml, "
    "texts/<language>.yaml, pain-words/<language>.yaml and, for each language besides "
    "English, <language>/clinic.yaml, <language>/safety.yaml, "
    "programs/<language>/*.yaml and exercises/<language>/*.yaml"
)


def bundled_content_dir() -> Path:
    """The example content that ships with the bot (the default when CONTENT_DIR is unset).

    Installed from a wheel or an sdist, it is the ``exercise_bot_content`` package in
    site-packages; in an editable install that package is the repository's ``content/``
    folder, so edits there are seen at once. A checkout that was never installed falls
    back to ``content/`` beside ``bot/``.
    """
    try:
        root = importlib.resources.files(BUNDLED_CONTENT_PACKAGE)
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "content"
    # A package on the file system gives a Path; anything else (a zip) is not supported.
    return Path(str(root))


class _Files:
    """The YAML files of one directory, parsed, with the name each is shown by."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[ContentProblem] = []
        self.docs: dict[PurePosixPath, Any] = {}
        digest = hashlib.sha256()
        paths = sorted(
            (p for p in directory.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")),
            key=lambda p: p.relative_to(directory).as_posix(),
        )
        for path in paths:
            rel = PurePosixPath(path.relative_to(directory).as_posix())
            data = path.read_bytes()
            digest.update(f"{rel}\0{len(data)}\0".encode())
            digest.update(data)
            if not _known_place(rel):
                hint = "use the .yaml ending" if rel.suffix == ".yml" else _LAYOUT
                self.problems.append(
                    ContentProblem(self.shown(rel), reason=f"unknown file; {hint}")
                )
                continue
            doc, problem = read_yaml(data, self.shown(rel))
            if problem:
                self.problems.append(problem)
            elif doc is None:
                self.problems.append(ContentProblem(self.shown(rel), reason="the file is empty"))
            elif not isinstance(doc, dict):
                self.problems.append(
                    ContentProblem(
                        self.shown(rel), reason="must be a mapping (lines of 'key: value')"
                    )
                )
            else:
                self.docs[rel] = doc
        self.version = digest.hexdigest()
        self.seen = {PurePosixPath(p.relative_to(directory).as_posix()) for p in paths}

    def shown(self, rel: PurePosixPath | str) -> str:
        return str(self.directory / rel)

    def in_folder(self, folder: str) -> list[PurePosixPath]:
        return sorted(rel for rel in self.docs if rel.parent == PurePosixPath(folder))

    def require(self, rel: str, what: str) -> None:
        if PurePosixPath(rel) not in self.seen:
            self.problems.append(ContentProblem(self.shown(rel), reason=f"missing file ({what})"))

    def parse(self, model: type[M], rel: PurePosixPath | str) -> M | None:
        rel = PurePosixPath(rel)
        try:
            return model.model_validate(self.docs[rel])
        except ValidationError as exc:
            models = _WORD_MODELS if model in _WORD_MODELS else _ALL_MODELS
            self.problems.extend(problems_from(exc, self.shown(rel), models))
            return None


def _translated_language(rel: PurePosixPath) -> str | None:
    """The language of a translation's path (``es/clinic.yaml``, ``exercises/es/x.yaml``)."""
    parts = rel.parts
    if len(parts) == 2 and parts[1] in ("clinic.yaml", "safety.yaml"):
        lang = parts[0]
    elif len(parts) == 3 and parts[0] in ("programs", "exercises"):
        lang = parts[1]
    else:
        return None
    return lang if rules.is_language_code(lang) and lang != DEFAULT_LANGUAGE else None


def _known_place(rel: PurePosixPath) -> bool:
    if rel.suffix != ".yaml":
        return False
    if len(rel.parts) == 1:
        return rel.name in ("clinic.yaml", "safety.yaml")
    if _translated_language(rel) is not None:
        return True
    return len(rel.parts) == 2 and rel.parts[0] in ("programs", "exercises", "texts", "pain-words")


def load_content(directory: Path) -> Content:
    """Parse and check everything; raise ``ContentError`` listing all problems found."""
    if not directory.is_dir():
        raise ContentError([ContentProblem(str(directory), reason="is not a directory")])
    files = _Files(directory)
    files.require("clinic.yaml", "the clinic's name and contact")
    files.require("safety.yaml", "the warning signs")
    files.require(f"texts/{DEFAULT_LANGUAGE}.yaml", "the English UI texts")

    clinic = _one(files, Clinic, "clinic.yaml")
    safety = _one(files, Safety, "safety.yaml")
    programs = _each(files, Program, "programs", "a program")
    exercises = _each(files, Exercise, "exercises", "an exercise")
    texts = _texts(files)
    languages = _languages(files, texts)
    pain_words = _pain_words(files, languages)
    localized = {
        lang: _localized(files, lang, clinic, safety, programs, exercises) for lang in languages
    }

    # Ids come from the file names, so a broken exercise file does not also break programs.
    exercise_ids = {rel.stem for rel in files.seen if rel.parent == PurePosixPath("exercises")}
    problems = files.problems
    problems += rules.check_programs(programs, exercise_ids)
    problems += rules.check_default_program(programs, files.shown("programs"))
    problems += rules.check_exercises(exercises, exercise_ids)
    problems += media.check_media(exercises, directory)
    if safety is not None:
        problems += rules.check_safety(safety.warning_signs, files.shown("safety.yaml"))
    in_words = {lang: found for lang, found in localized.items() if found is not None}
    problems += rules.check_texts(texts, clinic, programs, exercises, in_words)
    if problems or clinic is None or safety is None:
        raise ContentError(problems)
    return Content(
        localized={
            lang: Localized(
                clinic=found.clinic,
                programs={p.id: p for _, p in found.programs},
                exercises={e.id: e for _, e in found.exercises},
                warning_signs=found.warning_signs,
            )
            for lang, found in in_words.items()
        },
        clinic=clinic,
        programs={p.id: p for _, p in programs},
        exercises={e.id: e for _, e in exercises},
        texts={lang: file.table for lang, file in texts.items()},
        warning_signs=safety.warning_signs,
        pain_rating=safety.pain_rating,
        pain_words=pain_words,
        version=files.version,
    )


def _one(files: _Files, model: type[M], rel: str) -> M | None:
    path = PurePosixPath(rel)
    return files.parse(model, path) if path in files.docs else None


def _each(files: _Files, model: type[M], folder: str, what: str) -> list[tuple[str, M]]:
    """Every file of a folder, parsed; each file's id must match its name."""
    parsed: list[tuple[str, M]] = []
    if not any(rel.parent == PurePosixPath(folder) for rel in files.seen):
        files.problems.append(ContentProblem(files.shown(folder), reason=f"needs {what}"))
    for rel in files.in_folder(folder):
        item = files.parse(model, rel)
        if item is None:
            continue
        item_id = getattr(item, "id", None)
        if item_id != rel.stem:
            files.problems.append(
                ContentProblem(
                    files.shown(rel),
                    "id",
                    f"is '{item_id}' but the file is named '{rel.name}'; make them match",
                )
            )
            continue
        parsed.append((files.shown(rel), item))
    return parsed


def _languages(files: _Files, texts: dict[str, rules.TextFile]) -> list[str]:
    """Every language besides English that any file is in; each must be complete."""
    found = {lang for lang in texts if rules.is_language_code(lang)}
    found |= {rel.stem for rel in files.seen if rel.parent == PurePosixPath("pain-words")}
    found |= {lang for rel in files.seen if (lang := _translated_language(rel))}
    found.discard(DEFAULT_LANGUAGE)
    return sorted(lang for lang in found if rules.is_language_code(lang))


def _localized(
    files: _Files,
    lang: str,
    clinic: Clinic | None,
    safety: Safety | None,
    programs: list[tuple[str, Program]],
    exercises: list[tuple[str, Exercise]],
) -> rules.InWords | None:
    """One language's words merged onto the English files, or None when any is missing or
    does not match (each problem is recorded, naming the file and the field)."""
    before = len(files.problems)
    files.require(f"texts/{lang}.yaml", f"the texts in '{lang}'")
    for rel in files.seen:
        if _translated_language(rel) == lang and rel.parts[0] in ("programs", "exercises"):
            folder = rel.parts[0]
            if not (files.directory / folder / f"{rel.stem}.yaml").is_file():
                files.problems.append(
                    ContentProblem(
                        files.shown(rel),
                        reason=f"translates '{rel.stem}', but there is no {folder}/{rel.stem}.yaml",
                    )
                )

    def words_for(rel: str, model: type[M], what: str) -> M | None:
        files.require(rel, f"{what} in '{lang}'")
        return _one(files, model, rel)

    clinic_words = words_for(f"{lang}/clinic.yaml", words.ClinicWords, "the clinic's details")
    safety_words = words_for(f"{lang}/safety.yaml", words.SafetyWords, "the warning signs")
    if safety is not None and safety_words is not None:
        shown = files.shown(f"{lang}/safety.yaml")
        files.problems += words.problems_in(
            shown, words.safety_gaps(safety.warning_signs, safety_words)
        )
        files.problems += rules.check_safety(safety_words.warning_signs, shown)
    in_programs: list[tuple[str, Program]] = []
    for _, program in programs:
        where = f"programs/{lang}/{program.id}.yaml"
        said = words_for(where, words.ProgramWords, f"the words of program '{program.id}'")
        if said is not None:
            in_programs.append((files.shown(where), words.localize_program(program, said)))
    in_exercises: list[tuple[str, Exercise]] = []
    for _, exercise in exercises:
        where = f"exercises/{lang}/{exercise.id}.yaml"
        ex_words = words_for(where, words.ExerciseWords, f"the words of exercise '{exercise.id}'")
        if ex_words is None:
            continue
        gaps = words.problems_in(files.shown(where), words.exercise_gaps(exercise, ex_words))
        files.problems += gaps
        if not gaps:
            in_exercises.append((files.shown(where), words.localize_exercise(exercise, ex_words)))
    if len(files.problems) > before or clinic is None or safety_words is None:
        return None
    assert clinic_words is not None
    return rules.InWords(
        clinic=words.localize_clinic(clinic, clinic_words),
        programs=in_programs,
        exercises=in_exercises,
        warning_signs=safety_words.warning_signs,
    )


def _pain_words(files: _Files, languages: list[str]) -> dict[str, PainWords]:
    """language -> the words that mean pain in typed text; every language needs them."""
    found: dict[str, PainWords] = {}
    for rel in files.in_folder("pain-words"):
        try:
            found[rel.stem] = PainWords.from_mapping(files.docs[rel])
        except ValueError as error:
            field, _, reason = str(error).partition(": ")
            files.problems.append(
                ContentProblem(files.shown(rel), field if reason else "", reason or field)
            )
    for lang in (DEFAULT_LANGUAGE, *languages):
        files.require(f"pain-words/{lang}.yaml", f"the words for pain in '{lang}'")
    return found


def _texts(files: _Files) -> dict[str, rules.TextFile]:
    """language -> its file; values must be plain text."""
    tables: dict[str, rules.TextFile] = {}
    for rel in files.in_folder("texts"):
        shown = files.shown(rel)
        table: dict[str, str] = {}
        for key, value in files.docs[rel].items():
            if not isinstance(value, str):
                reason = (
                    "must be text; put it in quotes (YAML reads yes/no/on/off as true/false)"
                    if isinstance(value, bool)
                    else "must be text"
                )
                files.problems.append(ContentProblem(shown, str(key), reason))
            elif not value.strip():
                files.problems.append(ContentProblem(shown, str(key), "must not be empty"))
            else:
                table[str(key)] = value.strip()
        tables[rel.stem] = rules.TextFile(shown, table, frozenset(map(str, files.docs[rel])))
    return tables
