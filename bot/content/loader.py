"""Load a content directory into ``Content``, reporting every problem in every file at once."""

from __future__ import annotations

import hashlib
import importlib.resources
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.content import media, rules
from bot.content.errors import ContentError, ContentProblem
from bot.content.friendly import problems_from
from bot.content.model import (
    DEFAULT_LANGUAGE,
    Clinic,
    Content,
    Dose,
    Exercise,
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
BUNDLED_CONTENT_PACKAGE = "exercise_bot_content"
_LAYOUT = (
    "the bot reads clinic.yaml, safety.yaml, programs/*.yaml, exercises/*.yaml "
    "texts/<language>.yaml and pain-words/<language>.yaml"
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

    def parse(self, model: type[M], rel: PurePosixPath) -> M | None:
        try:
            return model.model_validate(self.docs[rel])
        except ValidationError as exc:
            self.problems.extend(problems_from(exc, self.shown(rel), _ALL_MODELS))
            return None


def _known_place(rel: PurePosixPath) -> bool:
    if rel.suffix != ".yaml":
        return False
    if len(rel.parts) == 1:
        return rel.name in ("clinic.yaml", "safety.yaml")
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
    pain_words = _pain_words(files, texts)

    # Ids come from the file names, so a broken exercise file does not also break programs.
    exercise_ids = {rel.stem for rel in files.seen if rel.parent == PurePosixPath("exercises")}
    problems = files.problems
    problems += rules.check_programs(programs, exercise_ids)
    problems += rules.check_default_program(programs, files.shown("programs"))
    problems += rules.check_exercises(exercises, exercise_ids)
    problems += media.check_media(exercises, directory)
    if safety is not None:
        problems += rules.check_safety(safety, files.shown("safety.yaml"))
    problems += rules.check_texts(texts, clinic, programs, exercises)
    if problems or clinic is None or safety is None:
        raise ContentError(problems)
    return Content(
        clinic=clinic,
        programs={p.id: p for _, p in programs},
        exercises={e.id: e for _, e in exercises},
        texts={lang: file.table for lang, file in texts.items()},
        warning_signs=safety.warning_signs,
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


def _pain_words(files: _Files, texts: dict[str, rules.TextFile]) -> dict[str, PainWords]:
    """language -> the words that mean pain in typed text; every UI language needs them."""
    found: dict[str, PainWords] = {}
    for rel in files.in_folder("pain-words"):
        try:
            found[rel.stem] = PainWords.from_mapping(files.docs[rel])
        except ValueError as error:
            field, _, reason = str(error).partition(": ")
            files.problems.append(
                ContentProblem(files.shown(rel), field if reason else "", reason or field)
            )
    for lang in texts:
        if rules.is_language_code(lang):  # a misnamed texts file is reported once, there
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
