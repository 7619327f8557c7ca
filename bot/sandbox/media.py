"""Files in messages: uploads and file_ids, Telegram's limits, and the JSON a message carries.

Each upload gets a file_id and file_unique_id; the emulator remembers the file's kind, name,
size and dimensions, so a later send can use the file_id instead of uploading again, as a
bot should. Image dimensions are read from the file's header (PNG, GIF, JPEG, WebP, BMP),
so the photo limits are checked for real without an imaging library.
"""

from __future__ import annotations

import dataclasses
import itertools
import mimetypes
import struct
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.models import StoredFile
from bot.sandbox.validation import UploadedFile

PHOTO_MAX_BYTES = 10 * 1024 * 1024  # sendPhoto: "The photo must be at most 10 MB in size"
UPLOAD_MAX_BYTES = 50 * 1024 * 1024  # "Bots can currently send files of up to 50 MB in size"
PHOTO_MAX_SIDES = 10_000  # "width and height must not exceed 10000 in total"
PHOTO_MAX_RATIO = 20  # "Width and height ratio must be at most 20"
SENDABLE = ("photo", "animation", "video", "document")

WRONG_FILE_ID = "wrong file identifier/HTTP URL specified"
FILE_EMPTY = "file must be non-empty"
IMAGE_PROCESS_FAILED = "IMAGE_PROCESS_FAILED"
PHOTO_INVALID_DIMENSIONS = "PHOTO_INVALID_DIMENSIONS"

# TDLib's names in "can't use file of type X as Y", and the prefixes real file_ids start with.
_TDLIB_NAMES = {
    "photo": "Photo",
    "animation": "Animation",
    "video": "Video",
    "document": "Document",
    "voice": "VoiceNote",
    "sticker": "Sticker",
}
_PREFIXES = {
    "photo": "AgACAgIAAxkBAA",
    "animation": "CgACAgIAAxkBAA",
    "video": "BAACAgIAAxkBAA",
    "document": "BQACAgIAAxkBAA",
    "voice": "AwACAgIAAxkBAA",
    "sticker": "CAACAgIAAxkBAA",
}
_PHOTO_BOXES = (90, 320, 800, 1280)  # the smaller copies Telegram makes of a photo
_PHOTO_LARGEST = 2560


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from an image header, or None if it is not an image we can read."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(int(width)), abs(int(height))
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the JPEG markers to the first start-of-frame, which holds the size."""
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def check_photo_dimensions(width: int, height: int) -> None:
    """Telegram's photo rules: sides at most 10000 in total, ratio at most 20."""
    small, large = sorted((width, height))
    if small <= 0 or width + height > PHOTO_MAX_SIDES or large / small > PHOTO_MAX_RATIO:
        raise bad_request(PHOTO_INVALID_DIMENSIONS)


class FileStore:
    """Issues file ids for uploads and resolves file ids (and URLs) given later."""

    def __init__(self) -> None:
        self.files: dict[str, StoredFile] = {}  # every issued file_id, photo sizes included
        self.contents: dict[str, bytes] = {}  # uploaded bytes by file_unique_id
        self._seq = itertools.count(1)

    def add(
        self,
        kind: str,
        name: str | None,
        size: int,
        mime_type: str | None = None,
        *,
        width: int = 0,
        height: int = 0,
        duration: int = 0,
    ) -> StoredFile:
        """Register a file (uploaded by the bot or sent by a simulated user)."""
        seq = next(self._seq)
        stored = StoredFile(
            file_id=f"{_PREFIXES.get(kind, 'BQACAgIAAxkBAA')}{seq:08d}SANDBOX",
            file_unique_id=f"AQAD{seq:06d}",
            kind=kind,
            name=name,
            size=size,
            mime_type=mime_type,
            width=width,
            height=height,
            duration=duration,
        )
        self.files[stored.file_id] = stored
        for size_json in photo_sizes(stored) if kind == "photo" else []:
            self.files[size_json["file_id"]] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.files.get(file_id)

    def content(self, stored: StoredFile) -> bytes | None:
        """What was uploaded for a file (as a user who downloads it would get it)."""
        return self.contents.get(stored.file_unique_id)

    def resolve(self, kind: str, value: Any, hints: dict[str, Any]) -> StoredFile:
        """The file a send refers to: an upload, a file_id issued before, or an HTTP URL.

        `hints` are the call's width/height/duration, used where the file cannot tell.
        The returned file has the requested `kind` (a document-class file_id can be sent as
        another document-class kind, as TDLib allows).
        """
        if isinstance(value, UploadedFile):
            return self._upload(kind, value, hints)
        text = str(value)
        if text.startswith(("http://", "https://")):
            return self._from_url(kind, text, hints)
        stored = self.files.get(text)
        if stored is None:
            raise bad_request(WRONG_FILE_ID)
        if (stored.kind == "photo") != (kind == "photo"):
            raise bad_request(
                f"can't use file of type {_TDLIB_NAMES[stored.kind]} as {_TDLIB_NAMES[kind]}"
            )
        return stored if stored.kind == kind else dataclasses.replace(stored, kind=kind)

    def _upload(self, kind: str, upload: UploadedFile, hints: dict[str, Any]) -> StoredFile:
        size = len(upload.data)
        if size == 0:
            raise bad_request(FILE_EMPTY)
        if size > UPLOAD_MAX_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        width, height = _hinted_size(hints, image_size(upload.data))
        if kind == "photo":
            if size > PHOTO_MAX_BYTES:
                raise bad_request(
                    f"file of size {size} bytes is too big for a photo; "
                    f"the maximum size is {PHOTO_MAX_BYTES} bytes"
                )
            dims = image_size(upload.data)
            if dims is None:
                raise bad_request(IMAGE_PROCESS_FAILED)
            width, height = dims
            check_photo_dimensions(width, height)
        stored = self.add(
            kind,
            upload.filename,
            size,
            _mime(upload.content_type, upload.filename),
            width=width,
            height=height,
            duration=int(hints.get("duration") or 0),
        )
        self.contents[stored.file_unique_id] = upload.data
        return stored

    def _from_url(self, kind: str, url: str, hints: dict[str, Any]) -> StoredFile:
        """Telegram would download the URL; the emulator cannot, so it trusts the URL."""
        name = PurePosixPath(urlparse(url).path).name or None
        width, height = _hinted_size(hints, None)
        return self.add(
            kind,
            name,
            0,
            _mime(None, name),
            width=width,
            height=height,
            duration=int(hints.get("duration") or 0),
        )


def _hinted_size(hints: dict[str, Any], read: tuple[int, int] | None) -> tuple[int, int]:
    width, height = read or (0, 0)
    return int(hints.get("width") or width), int(hints.get("height") or height)


def _mime(content_type: str | None, name: str | None) -> str | None:
    if content_type and content_type != "application/octet-stream":
        return content_type
    guessed = mimetypes.guess_type(name, strict=False)[0] if name else None
    return guessed or content_type


def photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
    """The PhotoSize array: smaller copies, then the photo itself fitted into 2560 px."""
    width, height = stored.width, stored.height
    largest = max(width, height)
    boxes = [box for box in _PHOTO_BOXES if box < largest] + [min(largest, _PHOTO_LARGEST)]
    sizes = []
    for index, box in enumerate(boxes):
        scale = box / largest if largest else 1.0
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        last = index == len(boxes) - 1
        suffix = "" if last else f"-{box}"
        sizes.append(
            {
                "file_id": stored.file_id + suffix,
                "file_unique_id": stored.file_unique_id + suffix.lstrip("-"),
                "file_size": stored.size if last else max(1, int(stored.size * scale * scale)),
                "width": w if largest else 0,
                "height": h if largest else 0,
            }
        )
    return sizes


def file_json(stored: StoredFile) -> dict[str, Any]:
    """Animation, Video, Document or Voice object for a stored file."""
    data: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
    }
    if stored.kind in ("animation", "video"):
        data.update(width=stored.width, height=stored.height, duration=stored.duration)
    if stored.kind == "voice":
        data["duration"] = stored.duration
    if stored.name and stored.kind != "voice":
        data["file_name"] = stored.name
    if stored.mime_type:
        data["mime_type"] = stored.mime_type
    if stored.size:
        data["file_size"] = stored.size
    return data


def media_fields(stored: StoredFile) -> dict[str, Any]:
    """The Message fields for a media message (an animation also sets `document`)."""
    if stored.kind == "photo":
        return {"photo": photo_sizes(stored)}
    fields = {stored.kind: file_json(stored)}
    if stored.kind == "animation":  # "for backward compatibility ... document is also set"
        fields["document"] = file_json(dataclasses.replace(stored, kind="document"))
    return fields


def media_summary(stored: StoredFile) -> dict[str, Any]:
    """What transcripts and events show of a media message."""
    return {"kind": stored.kind, "name": stored.name, "file_id": stored.file_id}
