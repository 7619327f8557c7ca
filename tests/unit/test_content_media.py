"""Pictures in content: each mistake a clinic can make with a media entry is reported with
its file, its place and a reason, all at once; types come from the bytes, not the names.

Like tests/unit/test_content_errors.py, each test copies the bundled content and breaks
one thing.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
import yaml

from bot.content.check import check_content
from bot.content.loader import load_content
from bot.content.media import (
    ANIMATION_MAX_BYTES,
    PHOTO_MAX_BYTES,
    image_size,
    resolve_media_path,
    sniff,
)
from tests.content_edits import content_dir as content_dir  # the fixture
from tests.content_edits import edit, only_problem, problems


def png(width: int = 8, height: int = 6) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x00" * (width * 3) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


GIF = b"GIF89a" + struct.pack("<HH", 80, 50) + b"\x00" * 20
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 16
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 16
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 16

MARCH_SETUP = "  image: media/hook-lying-march-setup.png\n"
SETUP_PLACE = "setup_media.image"


def march(content_dir: Path) -> Path:
    return content_dir / "exercises" / "hook-lying-march.yaml"


def use_as_setup_image(content_dir: Path, name: str, data: bytes | None = None) -> Path:
    """Point the march's setup picture at media/<name> (written when data is given)."""
    if data is not None:
        (content_dir / "media" / name).write_bytes(data)
    edit(march(content_dir), MARCH_SETUP, f"  image: media/{name}\n")
    return march(content_dir)


# --- where the file is ---------------------------------------------------------------------


def test_missing_file_names_the_place_and_the_path(content_dir: Path) -> None:
    yaml_file = use_as_setup_image(content_dir, "march-start.png")
    assert only_problem(content_dir) == (
        f"{yaml_file}: {SETUP_PLACE}: no such file: {content_dir}/media/march-start.png"
    )


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../outside.png", "must stay inside the content directory ('..' is not allowed)"),
        ("media/../../outside.png", "must stay inside the content directory ('..' is not"),
        ("/etc/passwd", "must be a path inside the content directory, like media/"),
        ("C:/photos/march.png", "must be a path inside the content directory, like media/"),
        ("media\\march.png", "use / between folders, like media/bird-dog-setup.png"),
        ("media", "is not a file: "),
    ],
)
def test_a_path_must_stay_inside_the_content_directory(
    content_dir: Path, path: str, reason: str
) -> None:
    (content_dir.parent / "outside.png").write_bytes(png())
    edit(march(content_dir), MARCH_SETUP, f"  image: '{path}'\n")
    assert only_problem(content_dir).startswith(f"{march(content_dir)}: {SETUP_PLACE}: {reason}")


def test_a_symbolic_link_out_of_the_content_directory_is_refused(content_dir: Path) -> None:
    outside = content_dir.parent / "secret.png"
    outside.write_bytes(png())
    (content_dir / "media" / "link.png").symlink_to(outside)
    use_as_setup_image(content_dir, "link.png")
    assert only_problem(content_dir) == (
        f"{march(content_dir)}: {SETUP_PLACE}: leads outside the content directory "
        "(through a symbolic link)"
    )
    with pytest.raises(ValueError, match="outside"):  # the bot checks again before reading
        resolve_media_path(content_dir, "media/link.png")


# --- what the file is ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (GIF, "is a GIF animation, not a PNG or JPEG image; put it under 'animation'"),
        (MP4, "is an MP4 video, not a PNG or JPEG image; put it under 'animation'"),
        (HEIC, "is an HEIC/AVIF photo (as phones save them), not a PNG or JPEG image; export"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "is a WebP image, not a PNG or JPEG"),
        (b"%PDF-1.7\n" + b"\x00" * 20, "is a PDF document, not a PNG or JPEG image; use a PNG"),
        (b"just some text, named .png\n", "is not a PNG or JPEG image (judged by the file's"),
        (b"", "the file is empty"),
    ],
)
def test_an_image_is_judged_by_its_content_not_its_name(
    content_dir: Path, data: bytes, reason: str
) -> None:
    yaml_file = use_as_setup_image(content_dir, "march-start.png", data)
    assert only_problem(content_dir).startswith(f"{yaml_file}: {SETUP_PLACE}: {reason}")


def test_a_png_named_jpg_is_fine(content_dir: Path) -> None:
    use_as_setup_image(content_dir, "march-start.jpg", png(800, 500))
    load_content(content_dir)


def test_a_real_jpeg_is_read_with_its_size(content_dir: Path) -> None:
    pil = pytest.importorskip("PIL.Image")
    buffer = io.BytesIO()
    pil.new("RGB", (1280, 720), "white").save(buffer, "JPEG", exif=b"Exif\x00\x00" + b"x" * 500)
    data = buffer.getvalue()
    assert sniff(data[:16]) == "jpeg"
    assert image_size(data, "jpeg") == (1280, 720)
    use_as_setup_image(content_dir, "march-start.jpg", data)
    load_content(content_dir)


@pytest.mark.parametrize(
    ("width", "height", "reason"),
    [
        (9000, 1001, "is 9000 x 1001 pixels; Telegram needs width + height at most 10000"),
        (
            2100,
            100,
            "is 2100 x 100 pixels; Telegram needs the long side at most 20 times the short side",
        ),
        (
            100,
            2001,
            "is 100 x 2001 pixels; Telegram needs the long side at most 20 times the short side",
        ),
        (0, 10, "is 0 x 10 pixels; an image needs a width and a height"),
    ],
)
def test_photo_dimensions_within_telegrams_limits(
    content_dir: Path, width: int, height: int, reason: str
) -> None:
    # Only the header matters; a real image of these sizes is not needed.
    header = png()[:16] + struct.pack(">II", width, height) + png()[24:]
    yaml_file = use_as_setup_image(content_dir, "march-start.png", header)
    assert only_problem(content_dir) == f"{yaml_file}: {SETUP_PLACE}: {reason}"


def test_photo_at_most_10_mb(content_dir: Path) -> None:
    path = content_dir / "media" / "march-start.png"
    path.write_bytes(png(800, 500))
    with path.open("r+b") as file:
        file.truncate(PHOTO_MAX_BYTES)  # exactly the limit: fine
    use_as_setup_image(content_dir, "march-start.png")
    load_content(content_dir)
    with path.open("r+b") as file:
        file.truncate(PHOTO_MAX_BYTES + 1)
    assert only_problem(content_dir) == (
        f"{march(content_dir)}: {SETUP_PLACE}: is 10,485,761 bytes; Telegram takes a photo "
        "up to 10 MB (10,485,760 bytes)"
    )


def test_animation_must_be_gif_or_mp4_and_at_most_50_mb(content_dir: Path) -> None:
    raises = content_dir / "exercises" / "arm-leg-raises.yaml"
    media = content_dir / "media"
    (media / "loop.mp4").write_bytes(MP4)  # an MP4 is fine
    edit(raises, "animation: media/arm-leg-raises.gif", "animation: media/loop.mp4")
    load_content(content_dir)
    (media / "still.gif").write_bytes(png())  # a PNG, whatever the name says
    (media / "movie.mp4").write_bytes(MOV)
    big = media / "big.gif"
    big.write_bytes(GIF)
    with big.open("r+b") as file:
        file.truncate(ANIMATION_MAX_BYTES + 1)  # sparse: takes no disk space
    edit(raises, "animation: media/loop.mp4", "animation: media/still.gif")
    bird = content_dir / "exercises" / "bird-dog.yaml"
    edit(bird, "animation: media/bird-dog.gif", "animation: media/movie.mp4")
    edit(
        march(content_dir),
        "  animation: media/hook-lying-march.gif\n  description",
        "  animation: media/big.gif\n  description",
    )
    assert problems(content_dir) == [
        f"{raises}: media.animation: is a PNG image, not a GIF or MP4 animation; "
        "put a still under 'image'",
        f"{bird}: media.animation: is a QuickTime movie, not a GIF or MP4 animation; "
        "convert it to MP4 (H.264, without sound)",
        f"{march(content_dir)}: media.animation: is 52,428,801 bytes; Telegram takes an "
        "animation from a bot up to 50 MB (52,428,800 bytes)",
    ]


# --- the entry itself ----------------------------------------------------------------------


MARCH_SETUP_DESCRIPTION = (
    "  description: >-\n    A person lies on their back on a mat, arms by their sides, knees bent"
    " and both\n    feet flat on the floor.\n"
)


@pytest.mark.parametrize(
    ("description", "reason"),
    [
        ("  description: |-\n    Lying on the back.\n    Knees bent.\n", "must be one line"),
        (f'  description: "{"x" * 201}"\n', "is 201 characters; keep it to 200"),
        ("", "is required"),
        ('  description: " "\n', "must not be empty"),
    ],
)
def test_description_is_required_one_line_and_short(
    content_dir: Path, description: str, reason: str
) -> None:
    yaml_file = march(content_dir)
    edit(yaml_file, MARCH_SETUP_DESCRIPTION, description)
    assert only_problem(content_dir) == f"{yaml_file}: setup_media.description: {reason}"


def test_a_200_character_description_is_fine(content_dir: Path) -> None:
    edit(march(content_dir), MARCH_SETUP_DESCRIPTION, f'  description: "{"x" * 200}"\n')
    load_content(content_dir)


def test_an_entry_needs_a_file_and_keys_are_checked(content_dir: Path) -> None:
    yaml_file = march(content_dir)
    edit(yaml_file, MARCH_SETUP, "  imgae: media/hook-lying-march-setup.png\n")
    assert problems(content_dir) == [
        f"{yaml_file}: setup_media: unknown key 'imgae' (did you mean 'image'?)",
    ]
    edit(yaml_file, "  imgae: media/hook-lying-march-setup.png\n", "")
    assert problems(content_dir) == [
        f"{yaml_file}: setup_media: needs an image or an animation (or both)",
    ]


def test_media_of_a_step_and_of_the_exercise(content_dir: Path) -> None:
    bird = content_dir / "exercises" / "bird-dog.yaml"
    edit(bird, "image: media/bird-dog-step2.png", "image: media/bird-dog-step9.png")
    edit(bird, "animation: media/bird-dog.gif", "animation: media/bird-dog-loop.gif")
    assert problems(content_dir) == [
        f"{bird}: media.animation: no such file: {content_dir}/media/bird-dog-loop.gif",
        f"{bird}: steps[1].media.image: no such file: {content_dir}/media/bird-dog-step9.png",
    ]


def test_every_media_problem_in_every_file_at_once(content_dir: Path) -> None:
    use_as_setup_image(content_dir, "march-start.png", GIF)
    bird = content_dir / "exercises" / "bird-dog.yaml"
    edit(bird, "image: media/bird-dog-setup.png", "image: ../bird-dog-setup.png")
    edit(bird, "image: media/bird-dog-step1.png", "image: media/nope.png")
    code, output = check_content(content_dir)
    assert code == 1
    lines = output.splitlines()
    assert lines == [
        f"{bird}: setup_media.image: must stay inside the content directory ('..' is not allowed)",
        f"{bird}: steps[0].media.image: no such file: {content_dir}/media/nope.png",
        f"{march(content_dir)}: {SETUP_PLACE}: is a GIF animation, not a PNG or JPEG image; "
        "put it under 'animation'",
        "content has 3 problems; the bot will not start",
    ]


# --- the caption ---------------------------------------------------------------------------


LONG_STEP = "Do the same with your other arm."


def test_a_step_with_a_picture_must_fit_a_caption(content_dir: Path) -> None:
    raises = content_dir / "exercises" / "arm-leg-raises.yaml"
    long_text = "Lift it slowly. " * 60  # 960 characters: a message, but not a caption
    edit(raises, LONG_STEP, long_text.strip())
    assert re.fullmatch(
        rf"{re.escape(str(raises))}: steps\[1\]: its screen is 1\d\d\d characters \(texts "
        r"'en'\), but it shows a picture, whose caption holds at most 1024; shorten the text "
        r"or show this screen without a picture",
        only_problem(content_dir),
    )


def test_a_step_without_any_picture_may_be_longer(content_dir: Path) -> None:
    raises = content_dir / "exercises" / "arm-leg-raises.yaml"
    edit(raises, LONG_STEP, ("Lift it slowly. " * 60).strip())
    edit(
        raises,
        "    media:\n      image: media/arm-leg-raises-step2.png\n      description: >-\n"
        "        Lying face down: the other arm, in light orange, lifted a little off the "
        "floor,\n        the first arm back down.\n",
        "",
    )
    # The exercise's own media would still be shown on that step (the caption is too long),
    # and the Spanish words still describe the pictures that went: remove them too.
    assert len(problems(content_dir)) == 2
    text = raises.read_text(encoding="utf-8")
    raises.write_text(text[: text.index("\nmedia:\n")] + "\n", encoding="utf-8")
    spanish = content_dir / "exercises" / "es" / "arm-leg-raises.yaml"
    words = yaml.safe_load(spanish.read_text(encoding="utf-8"))
    del words["media"], words["steps"][1]["media"]
    spanish.write_text(yaml.safe_dump(words, allow_unicode=True), encoding="utf-8")
    load_content(content_dir)


def test_the_caption_counts_the_timer_line_on_the_timed_step(content_dir: Path) -> None:
    yaml_file = march(content_dir)
    content = load_content(content_dir)
    step = content.exercises["hook-lying-march"].steps[1]
    assert step.timed and step.media is not None
    # Lengthen the timed step until only the timer line pushes it over 1024.
    texts = content_dir / "texts" / "en.yaml"
    running = content.raw_text("en", "timer_running")
    edit(texts, running, running + " " + "Breathe. " * 75)
    found = only_problem(content_dir)
    assert found.startswith(f"{yaml_file}: steps[1]: its screen is ")
    assert "caption holds at most 1024" in found
