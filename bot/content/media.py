"""The picture files content names: inside the content directory, what they claim to be,
and within what Telegram accepts from a bot.

A file's type is read from its first bytes, never from its name: a clinic's photo saved as
``.png`` that is really a JPEG works, an iPhone's HEIC renamed to ``.jpg`` does not, and
Telegram would refuse it only when a patient is waiting for it. Widths and heights are read
from the image headers, so no imaging library is needed at run time.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal

from bot.content.errors import ContentProblem
from bot.content.model import Exercise, Media

# Telegram's limits for what a bot sends (https://core.telegram.org/bots/api#sendphoto,
# #sendanimation): the same numbers the local Telegram (bot/sandbox/media.py) enforces.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES = 10_000  # width + height
PHOTO_MAX_RATIO = 20
ANIMATION_MAX_BYTES = 50 * 1024 * 1024
MAX_DESCRIPTION = 200

Format = Literal["png", "jpeg", "gif", "mp4", "mov", "webp", "heic", "bmp", "pdf"]
IMAGE_FORMATS: frozenset[Format] = frozenset({"png", "jpeg"})
ANIMATION_FORMATS: frozenset[Format] = frozenset({"gif", "mp4"})
_HEAD = 64
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}
_NAMES: dict[Format, str] = {
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF animation",
    "mp4": "an MP4 video",
    "mov": "a QuickTime movie",
    "webp": "a WebP image",
    "heic": "an HEIC/AVIF photo (as phones save them)",
    "bmp": "a BMP image",
    "pdf": "a PDF document",
}
_INSTEAD = {
    "image": {
        "gif": "put it under 'animation'",
        "mp4": "put it under 'animation'",
        "heic": "export it as JPEG",
        "webp": "save it as PNG or JPEG",
        "bmp": "save it as PNG or JPEG",
    },
    "animation": {
        "png": "put a still under 'image'",
        "jpeg": "put a still under 'image'",
        "mov": "convert it to MP4 (H.264, without sound)",
    },
}


class MediaPathError(ValueError):
    """A media path that does not name a file inside the content directory; says why."""


def resolve_media_path(directory: Path, raw: str) -> Path:
    """The file a media path names, refusing anything outside ``directory``.

    The bot runs this again before it reads a file, so a path that passed the check
    cannot later be bent (by a symbolic link, say) into reading other files.
    """
    example = "like media/bird-dog-setup.png"
    if "\\" in raw:
        raise MediaPathError(f"use / between folders, {example}")
    rel = PurePosixPath(raw)
    if rel.is_absolute() or PureWindowsPath(raw).drive:
        raise MediaPathError(f"must be a path inside the content directory, {example}")
    if ".." in rel.parts:
        raise MediaPathError("must stay inside the content directory ('..' is not allowed)")
    path = directory / rel
    if not path.resolve().is_relative_to(directory.resolve()):
        raise MediaPathError("leads outside the content directory (through a symbolic link)")
    if not path.exists():
        raise MediaPathError(f"no such file: {path}")
    if not path.is_file():
        raise MediaPathError(f"is not a file: {path}")
    return path


def sniff(head: bytes) -> Format | None:
    """The file's format from its first bytes (at least 16), or None if unknown."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return "heic"
        return "mov" if brand == b"qt  " else "mp4"
    return None


def image_size(data: bytes, fmt: Format) -> tuple[int, int] | None:
    """Width and height from a PNG, JPEG or GIF header; None if it cannot be read."""
    if fmt == "png" and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if fmt == "gif" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if fmt == "jpeg":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the JPEG segments to the first start-of-frame, which holds the size."""
    pos = 2
    while pos + 9 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        if length < 2:
            return None
        pos += 2 + length
    return None


@dataclass(frozen=True)
class FileFacts:
    """What the check learnt about one file."""

    format: Format | None
    size: int
    dimensions: tuple[int, int] | None = None


def inspect_file(path: Path) -> FileFacts:
    """Format, size and (for stills and GIFs) dimensions; OSError if it cannot be read."""
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(_HEAD)
        fmt = sniff(head)
        if fmt in ("png", "gif"):
            return FileFacts(fmt, size, image_size(head, fmt))
        if fmt == "jpeg" and size <= PHOTO_MAX_BYTES:
            return FileFacts(fmt, size, image_size(head + file.read(), fmt))
    return FileFacts(fmt, size)


def file_problem(field: Literal["image", "animation"], facts: FileFacts) -> str | None:
    """Why Telegram would not take this file as the given field, or None if it would."""
    if facts.size == 0:
        return "the file is empty"
    wanted = IMAGE_FORMATS if field == "image" else ANIMATION_FORMATS
    if facts.format not in wanted:
        what = "a PNG or JPEG image" if field == "image" else "a GIF or MP4 animation"
        if facts.format is None:
            return f"is not {what} (judged by the file's content, not its name)"
        hint = _INSTEAD[field].get(facts.format, f"use {what}")
        return f"is {_NAMES[facts.format]}, not {what}; {hint}"
    if field == "animation":
        if facts.size > ANIMATION_MAX_BYTES:
            return (
                f"is {facts.size:,} bytes; Telegram takes an animation from a bot "
                f"up to 50 MB ({ANIMATION_MAX_BYTES:,} bytes)"
            )
        return None
    if facts.size > PHOTO_MAX_BYTES:
        return (
            f"is {facts.size:,} bytes; Telegram takes a photo up to 10 MB "
            f"({PHOTO_MAX_BYTES:,} bytes)"
        )
    if facts.dimensions is None:
        return "its width and height cannot be read; open it and save it again"
    width, height = facts.dimensions
    small, large = sorted((width, height))
    if small == 0:
        return f"is {width} x {height} pixels; an image needs a width and a height"
    if width + height > PHOTO_MAX_SIDES:
        return (
            f"is {width} x {height} pixels; Telegram needs width + height at most {PHOTO_MAX_SIDES}"
        )
    if large / small > PHOTO_MAX_RATIO:
        return (
            f"is {width} x {height} pixels; Telegram needs the long side at most "
            f"{PHOTO_MAX_RATIO} times the short side"
        )
    return None


def description_problem(description: str) -> str | None:
    if "\n" in description:
        return "must be one line"
    if len(description) > MAX_DESCRIPTION:
        return f"is {len(description)} characters; keep it to {MAX_DESCRIPTION}"
    return None


def check_media(exercises: list[tuple[str, Exercise]], directory: Path) -> list[ContentProblem]:
    """Every media entry of every exercise: its files and its description."""
    problems: list[ContentProblem] = []
    facts: dict[Path, FileFacts | str] = {}  # each file is read once, however often named
    for shown, exercise in exercises:
        for where, media in exercise.media_places():
            problems += [
                ContentProblem(shown, path, reason)
                for path, reason in _entry(media, where, directory, facts)
            ]
    return problems


def _entry(
    media: Media, where: str, directory: Path, facts: dict[Path, FileFacts | str]
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if media.image is None and media.animation is None:
        found.append((where, "needs an image or an animation (or both)"))
    if (reason := description_problem(media.description)) is not None:
        found.append((f"{where}.description", reason))
    fields: tuple[tuple[Literal["image", "animation"], str | None], ...] = (
        ("image", media.image),
        ("animation", media.animation),
    )
    for field, raw in fields:
        if raw is None:
            continue
        try:
            path = resolve_media_path(directory, raw)
        except MediaPathError as error:
            found.append((f"{where}.{field}", str(error)))
            continue
        known = facts.get(path)
        if known is None:
            try:
                known = inspect_file(path)
            except OSError as error:
                known = f"cannot be read ({error.strerror or error})"
            facts[path] = known
        reason = known if isinstance(known, str) else file_problem(field, known)
        if reason is not None:
            found.append((f"{where}.{field}", reason))
    return found
