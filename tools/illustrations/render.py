"""Render the exercise illustrations into content/media/ (and an overview into docs/media/).

    python tools/illustrations/render.py            # re-render everything
    python tools/illustrations/render.py --check    # exit 1 if a file would change
    python tools/illustrations/render.py --sheets /tmp/sheets   # also: GIF contact sheets

Needs Pillow (10.1 or newer). The output depends only on the code here and the Pillow
version: no timestamps, no randomness, so re-running it does not change the files.
"""

from __future__ import annotations

import argparse
import io
import itertools
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))  # pose.py and scenes.py

from pose import (
    DEPTH,
    R_FOOT,
    R_FOREARM,
    R_HAND,
    R_HIP,
    R_SHIN,
    R_SHOULDER,
    R_THIGH,
    R_UPPER_ARM,
    Joints,
    Point,
    Pose,
    add,
    along,
    ease,
    interpolate,
    joints,
    unit,
)
from scenes import HEAD_R, SCENES, Arrow, Scene, Still

ROOT = Path(__file__).resolve().parents[2]
MEDIA = ROOT / "content" / "media"
DOCS_MEDIA = ROOT / "docs" / "media"

# --- style ---------------------------------------------------------------------------------
WIDTH, HEIGHT = 800, 500  # output pixels
SS = 4  # drawn at 4x and box-filtered down: smooth edges
SCALE = 3.1  # output pixels per centimetre of body
MARGIN = 24  # output pixels kept free at the left and right

BG = (250, 251, 252)
INK = (40, 72, 102)  # the body
FAR = (146, 168, 189)  # limbs on the far side, behind the body
HAIR = (24, 44, 64)
EYE = (255, 255, 255)
ACCENT = (238, 120, 24)  # the limb that moves (near side)
ACCENT_FAR = (246, 178, 112)  # the limb that moves (far side)
GHOST = (221, 228, 234)  # where the moving limb started
ARROW = (222, 102, 10)
MAT = (196, 226, 219)  # the mat's top
MAT_EDGE = (139, 190, 179)  # the mat's front edge
MAT_PRESS = (250, 194, 138)  # "press here" on the mat, under the lower back
FLOOR = (150, 162, 171)

MAT_CM = 1.6  # mat thickness (its front edge)
MAT_SPREAD = DEPTH + 2.5  # the mat's top shows this far below and above the midline
HALO_CM = 1.1  # gap kept around a body part drawn over another
ARROW_CM = 1.8  # arrow stroke width
FLOOR_PX = 3  # floor line thickness (output pixels)

FRAME_MS = 70  # animation frame step (GIF delays are in 10 ms units)


# --- geometry on the canvas ---------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """Where a scene's world (cm) lands on the canvas (supersampled pixels)."""

    x0: float  # canvas x of world x = 0
    floor: float  # canvas y of world y = 0 (the top of the mat, under the body's midline)
    mat: tuple[float, float]  # the mat's world x range

    def px(self, p: Point) -> tuple[float, float]:
        return (self.x0 + p[0] * SCALE * SS, self.floor - p[1] * SCALE * SS)

    def r(self, cm: float) -> float:
        return cm * SCALE * SS


Shape = tuple  # ("capsule", p1, r1, p2, r2) | ("circle", c, r) | ("poly", points)


def capsule_polygon(
    a: tuple[float, float], ra: float, b: tuple[float, float], rb: float
) -> list[tuple[float, float]]:
    """The straight sides of the hull of two circles (the caps are drawn as circles)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = (dx * dx + dy * dy) ** 0.5
    if d <= abs(ra - rb) + 1e-6:
        return []
    ux, uy = dx / d, dy / d
    c = (ra - rb) / d  # cos of the angle between the axis and the tangent point
    s = (1.0 - c * c) ** 0.5
    out = []
    for sign in (1, -1):
        nx, ny = ux * c - sign * uy * s, uy * c + sign * ux * s
        out.append((a[0] + ra * nx, a[1] + ra * ny))
        out.append((b[0] + rb * nx, b[1] + rb * ny))
    return [out[0], out[1], out[3], out[2]]


def draw_shapes(
    draw: ImageDraw.ImageDraw, frame: Frame, shapes: Iterable[Shape], fill, grow: float = 0.0
) -> None:
    g = frame.r(grow)
    for shape in shapes:
        kind = shape[0]
        if kind == "capsule":
            _, p1, r1, p2, r2 = shape
            a, b = frame.px(p1), frame.px(p2)
            ra, rb = frame.r(r1) + g, frame.r(r2) + g
            for c, r in ((a, ra), (b, rb)):
                draw.ellipse((c[0] - r, c[1] - r, c[0] + r, c[1] + r), fill=fill)
            poly = capsule_polygon(a, ra, b, rb)
            if poly:
                draw.polygon(poly, fill=fill)
        elif kind == "circle":
            _, c0, r0 = shape
            c, r = frame.px(c0), frame.r(r0) + g
            draw.ellipse((c[0] - r, c[1] - r, c[0] + r, c[1] + r), fill=fill)
        elif kind == "poly":
            if grow == 0.0:
                draw.polygon([frame.px(p) for p in shape[1]], fill=fill)
        else:  # pragma: no cover - a typo in this file
            raise ValueError(kind)


# --- the figure ----------------------------------------------------------------------------


def arm_shapes(j: Joints, side: str) -> list[Shape]:
    a = getattr(j, side)
    return [
        ("capsule", a.shoulder, R_UPPER_ARM[0], a.elbow, R_UPPER_ARM[1]),
        ("capsule", a.elbow, R_FOREARM[0], a.wrist, R_FOREARM[1]),
        ("capsule", a.wrist, R_HAND[0], a.tip, R_HAND[1]),
    ]


def leg_shapes(j: Joints, side: str) -> list[Shape]:
    g = getattr(j, side)
    # a filler between the ankle and the heel-to-toe line, so the foot joins the shin smoothly
    foot_dir = (g.toe[0] - g.heel[0], g.toe[1] - g.heel[1])
    length = (foot_dir[0] ** 2 + foot_dir[1] ** 2) ** 0.5
    d = (foot_dir[0] / length, foot_dir[1] / length)
    heel_line = add(g.heel, d, 3.0)
    instep = add(g.heel, d, 9.0)
    return [
        ("capsule", g.hip, R_THIGH[0], g.knee, R_THIGH[1]),
        ("capsule", g.knee, R_SHIN[0], g.ankle, R_SHIN[1]),
        ("capsule", g.ankle, R_SHIN[1], heel_line, R_FOOT[0]),
        ("capsule", g.ankle, R_SHIN[1] * 0.9, instep, R_FOOT[0] * 0.9),
        ("capsule", g.heel, R_FOOT[0], g.toe, R_FOOT[1]),
    ]


def torso_shapes(j: Joints) -> list[Shape]:
    return [("capsule", j.hip, R_HIP, j.shoulder, R_SHOULDER)]


def core_shape(j: Joints) -> Shape:
    """The belly and lower back: a band across the torso from just above the hips to the
    lower ribs (the straight part of the torso's outline, so the band fits it exactly)."""
    hip, sh = j.hip, j.shoulder
    poly = capsule_polygon(hip, R_HIP, sh, R_SHOULDER)

    # poly: [a+, b+, b-, a-]; points along each side at fractions t of the torso length
    def side(p: Point, q: Point, t: float) -> Point:
        return (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)

    t0, t1 = 0.12, 0.62
    return (
        "poly",
        (
            side(poly[0], poly[1], t0),
            side(poly[0], poly[1], t1),
            side(poly[3], poly[2], t1),
            side(poly[3], poly[2], t0),
        ),
    )


def head_shapes(pose: Pose, j: Joints) -> tuple[list[Shape], list[Shape], list[Shape]]:
    """(head and nose, hair, eye). The hair covers the top and back of the head, the nose
    and eye sit on the face side: together they show which way the face looks."""
    c = j.head
    face = pose.face
    turn = pose.chirality  # the top of the head is the face direction turned by +90 * turn
    nose_dir = face - turn * 8.0  # a little towards the chin
    nose = ("capsule", along(c, nose_dir, HEAD_R - 3.0), 2.6, along(c, nose_dir, HEAD_R + 0.6), 2.1)
    base = [("circle", c, HEAD_R), nose]
    start = face + turn * 55.0
    end = face + turn * 215.0
    steps = 30
    rim = [along(c, start + (end - start) * i / steps, HEAD_R + 0.5) for i in range(steps + 1)]
    # the hairline: a gentle curve through the head, bulging towards the face
    mid = along(c, face, HEAD_R * 0.18)
    hairline = [
        (
            (1 - t) ** 2 * rim[-1][0] + 2 * (1 - t) * t * mid[0] + t * t * rim[0][0],
            (1 - t) ** 2 * rim[-1][1] + 2 * (1 - t) * t * mid[1] + t * t * rim[0][1],
        )
        for t in (i / 12 for i in range(1, 12))
    ]
    hair = [("poly", tuple(rim + hairline))]
    eye_pos = add(along(c, face, HEAD_R * 0.52), unit(face + turn * 90.0), HEAD_R * 0.22)
    eye = [("circle", eye_pos, 1.55)]
    return base, hair, eye


def figure_groups(pose: Pose, accent: Sequence[str]) -> list[tuple[str, list[Shape], tuple]]:
    """The parts in drawing order (far side first), each with its colour."""
    j = joints(pose)

    def colour(part: str, far: bool) -> tuple:
        if part in accent:
            return ACCENT_FAR if far else ACCENT
        return FAR if far else INK

    return [
        ("far_arm", arm_shapes(j, "far_arm"), colour("far_arm", True)),
        ("far_leg", leg_shapes(j, "far_leg"), colour("far_leg", True)),
        ("torso", torso_shapes(j), INK),
        ("near_leg", leg_shapes(j, "near_leg"), colour("near_leg", False)),
        ("near_arm", arm_shapes(j, "near_arm"), colour("near_arm", False)),
    ]


def draw_figure(layer: Image.Image, frame: Frame, pose: Pose, accent: Sequence[str]) -> None:
    """Each part erases a thin halo around itself in what is already drawn, then paints
    itself: overlapping parts stay readable. The head goes last so the face always shows."""
    draw = ImageDraw.Draw(layer)
    clear = (0, 0, 0, 0)
    j = joints(pose)
    for name, shapes, colour in figure_groups(pose, accent):
        draw_shapes(draw, frame, shapes, clear, grow=HALO_CM)
        draw_shapes(draw, frame, shapes, (*colour, 255))
        if name == "torso" and "core" in accent:
            draw_shapes(draw, frame, [core_shape(j)], (*ACCENT, 255))
    base, hair, eye = head_shapes(pose, j)
    draw_shapes(draw, frame, base, clear, grow=HALO_CM)
    draw_shapes(draw, frame, base, (*INK, 255))
    draw_shapes(draw, frame, hair, (*HAIR, 255))
    draw_shapes(draw, frame, eye, (*EYE, 255))


def ghost_shapes(pose: Pose, parts: Sequence[str]) -> list[Shape]:
    j = joints(pose)
    out: list[Shape] = []
    for part in parts:
        if part.endswith("arm"):
            out += arm_shapes(j, part)
        elif part.endswith("leg"):
            out += leg_shapes(j, part)
    return out


def draw_arrow(draw: ImageDraw.ImageDraw, frame: Frame, arrow: Arrow, colour, grow: float) -> None:
    pts = [frame.px(p) for p in arrow.points]
    w = frame.r(ARROW_CM) / 2 + frame.r(grow)
    head_len, head_half = frame.r(5.2), frame.r(3.6)
    if arrow.head:
        # stop the stroke where the arrowhead starts
        (x1, y1), (x0, y0) = pts[-1], pts[-2]
        k = len(pts) - 1
        while k > 0 and ((pts[k][0] - x1) ** 2 + (pts[k][1] - y1) ** 2) ** 0.5 < head_len * 0.7:
            k -= 1
        x0, y0 = pts[k]
        dx, dy = x1 - x0, y1 - y0
        n = (dx * dx + dy * dy) ** 0.5
        ux, uy = dx / n, dy / n
        stroke = [*pts[: k + 1]]
        base = (x1 - ux * head_len, y1 - uy * head_len)
        stroke.append((x1 - ux * head_len * 0.6, y1 - uy * head_len * 0.6))
    else:
        stroke = pts
    for p, q in itertools.pairwise(stroke):
        draw.line((p, q), fill=colour, width=max(1, round(2 * w)))
    for p in stroke:
        draw.ellipse((p[0] - w, p[1] - w, p[0] + w, p[1] + w), fill=colour)
    if arrow.head:
        g = frame.r(grow) * 1.6
        tip = (x1 + ux * g, y1 + uy * g)
        left = (base[0] - uy * (head_half + g) - ux * g, base[1] + ux * (head_half + g) - uy * g)
        right = (base[0] + uy * (head_half + g) - ux * g, base[1] - ux * (head_half + g) - uy * g)
        draw.polygon([tip, left, right], fill=colour)


def render_pose(
    frame: Frame,
    pose: Pose,
    accent: Sequence[str] = (),
    ghost: Pose | None = None,
    ghost_parts: Sequence[str] = (),
    arrows: Sequence[Arrow] = (),
    marks: Sequence[Arrow] = (),
) -> Image.Image:
    size = (WIDTH * SS, HEIGHT * SS)
    canvas = Image.new("RGBA", size, (*BG, 255))
    draw = ImageDraw.Draw(canvas)
    # the floor line, the mat's front edge and its top (seen a little from above)
    (mx0, back), (mx1, front) = (
        frame.px((frame.mat[0], MAT_SPREAD)),
        frame.px((frame.mat[1], -MAT_SPREAD)),
    )
    bottom = front + frame.r(MAT_CM)
    draw.rectangle(
        (
            MARGIN * SS,
            bottom - FLOOR_PX * SS // 2,
            size[0] - MARGIN * SS,
            bottom + FLOOR_PX * SS // 2,
        ),
        fill=FLOOR,
    )
    radius = frame.r(2.0)
    draw.rounded_rectangle((mx0, back, mx1, bottom), radius=radius, fill=MAT_EDGE)
    draw.rounded_rectangle((mx0, back, mx1, front), radius=radius, fill=MAT)
    for mark in marks:  # on the mat, under the body
        a, b = frame.px(mark.points[0])[0], frame.px(mark.points[-1])[0]
        draw.rounded_rectangle(
            (min(a, b), back + frame.r(1.0), max(a, b), front - frame.r(1.0)),
            radius=radius,
            fill=MAT_PRESS,
        )
    if ghost is not None:
        draw_shapes(draw, frame, ghost_shapes(ghost, ghost_parts), GHOST)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw_figure(layer, frame, pose, accent)
    canvas.alpha_composite(layer)
    draw = ImageDraw.Draw(canvas)
    for arrow in arrows:
        draw_arrow(draw, frame, arrow, BG, grow=1.0)
    for arrow in arrows:
        draw_arrow(draw, frame, arrow, ARROW, grow=0.0)
    return canvas.convert("RGB").reduce(SS)


# --- layout --------------------------------------------------------------------------------


def scene_poses(scene: Scene) -> list[Pose]:
    poses = [still.pose for still in scene.stills] + [move.to for move in scene.moves]
    return poses + [s.ghost for s in scene.stills if s.ghost is not None]


def extent(scene: Scene) -> tuple[float, float, float]:
    """(min x, max x, max y) of everything drawn in a scene, in cm."""
    boxes: list[tuple[Point, float]] = []  # (point, how far the drawing reaches around it)
    for pose in scene_poses(scene):
        j = joints(pose)
        boxes += [(j.hip, R_HIP), (j.shoulder, R_SHOULDER), (j.head, HEAD_R + 2.5)]
        for side in (j.near_arm, j.far_arm):
            boxes += [(side.elbow, R_UPPER_ARM[1]), (side.wrist, R_HAND[0]), (side.tip, R_HAND[1])]
        for leg in (j.near_leg, j.far_leg):
            boxes += [(leg.knee, R_THIGH[1]), (leg.ankle, R_SHIN[1])]
            boxes += [(leg.heel, R_FOOT[0]), (leg.toe, R_FOOT[1])]
    for still in scene.stills:
        boxes += [(p, ARROW_CM + 2.5) for arrow in still.arrows for p in arrow.points]
    pad = 1.5
    return (
        min(p[0] - r for p, r in boxes) - pad,
        max(p[0] + r for p, r in boxes) + pad,
        max(p[1] + r for p, r in boxes) + pad,
    )


def frame_for(scene: Scene) -> Frame:
    x_min, x_max, y_max = extent(scene)
    span = (x_max - x_min) * SCALE
    if span > WIDTH - 2 * MARGIN:
        raise SystemExit(f"{scene.exercise}: {span:.0f} px wide, more than fits; lower SCALE")
    x0 = (WIDTH - span) / 2 - x_min * SCALE
    # the floor line and the top of the figure, centred vertically
    bottom_cm = -MAT_SPREAD - MAT_CM - FLOOR_PX / SCALE
    height = (y_max - bottom_cm) * SCALE
    top = (HEIGHT - height) / 2
    floor = top + y_max * SCALE
    # the mat: under everything that touches the floor, plus a little
    mat = (x_min + 4.0, x_max - 4.0)
    return Frame(x0=x0 * SS, floor=floor * SS, mat=mat)


# --- output --------------------------------------------------------------------------------


def still_image(scene: Scene, still: Still, frame: Frame) -> Image.Image:
    return render_pose(
        frame,
        still.pose,
        accent=still.accent,
        ghost=still.ghost,
        ghost_parts=still.ghost_parts,
        arrows=still.arrows,
        marks=still.marks,
    )


def animation_frames(scene: Scene, frame: Frame) -> list[tuple[Image.Image, int]]:
    """(image, milliseconds) for each GIF frame: every move eased in and out."""
    out: list[tuple[Image.Image, int]] = []
    current = scene.start
    for move in scene.moves:
        steps = max(0, round(move.ms / FRAME_MS))
        for i in range(1, steps + 1):
            pose = interpolate(current, move.to, ease(i / steps))
            ms = FRAME_MS + (move.hold if i == steps else 0)
            out.append((render_pose(frame, pose, accent=move.accent), ms))
        if steps == 0:
            out.append((render_pose(frame, move.to, accent=move.accent), max(move.hold, FRAME_MS)))
        current = move.to
    return out


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def gif_bytes(frames: list[tuple[Image.Image, int]]) -> bytes:
    # One palette for all frames, no dithering: no flicker, small files. The style's own
    # colours go in exactly; the rest (anti-aliased edges) come from a strip of all frames.
    key = [BG, INK, FAR, HAIR, EYE, ACCENT, ACCENT_FAR, GHOST, ARROW, MAT, MAT_EDGE, FLOOR]
    strip = Image.new("RGB", (WIDTH, HEIGHT * len(frames)))
    for i, (img, _) in enumerate(frames):
        strip.paste(img, (0, HEIGHT * i))
    edges = strip.quantize(colors=256 - len(key), method=Image.Quantize.MEDIANCUT)
    flat = edges.getpalette()[: 3 * (256 - len(key))]
    # Pillow matches colours at reduced precision: drop edge colours close to a key colour
    # so that the key colour itself is picked (the background must stay exactly the same).
    near = 10
    edge_colours = [
        flat[i : i + 3]
        for i in range(0, len(flat), 3)
        if all(sum(abs(a - b) for a, b in zip(flat[i : i + 3], k, strict=True)) > near for k in key)
    ]
    palette = Image.new("P", (1, 1))
    palette.putpalette([c for colour in key + edge_colours for c in colour])
    images = [img.quantize(palette=palette, dither=Image.Dither.NONE) for img, _ in frames]
    buf = io.BytesIO()
    images[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=[round(ms / 10) * 10 for _, ms in frames],
        loop=0,
        disposal=1,
        optimize=False,
    )
    return buf.getvalue()


def contact_sheet(frames: list[tuple[Image.Image, int]], columns: int = 6) -> Image.Image:
    tw, th = WIDTH // 3, HEIGHT // 3
    rows = (len(frames) + columns - 1) // columns
    font = ImageFont.load_default(size=13)
    sheet = Image.new("RGB", (columns * (tw + 6) + 6, rows * (th + 24) + 6), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for i, (img, ms) in enumerate(frames):
        x, y = 6 + (i % columns) * (tw + 6), 6 + (i // columns) * (th + 24)
        sheet.paste(img.resize((tw, th), Image.Resampling.LANCZOS), (x, y))
        draw.rectangle((x, y, x + tw - 1, y + th - 1), outline=(200, 200, 200))
        draw.text((x + 2, y + th + 3), f"#{i} {ms} ms", fill=(60, 60, 60), font=font)
    return sheet


def overview(stills: list[tuple[str, Image.Image]]) -> Image.Image:
    """All stills, one exercise per row, each with its file name."""
    tw, th = 320, 200
    pad, label = 14, 26
    rows: dict[str, list[tuple[str, Image.Image]]] = {}
    for name, img in stills:
        rows.setdefault(name.rsplit("-", 1)[0], []).append((name, img))
    columns = max(len(r) for r in rows.values())
    font = ImageFont.load_default(size=15)
    title_font = ImageFont.load_default(size=22)
    width = pad + columns * (tw + pad)
    height = 56 + len(rows) * (th + label + pad + 30)
    sheet = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    draw.text(
        (pad, 16), "Exercise illustrations (content/media/)", fill=(30, 30, 30), font=title_font
    )
    y = 56
    for exercise, items in rows.items():
        draw.text((pad, y), exercise, fill=(30, 30, 30), font=title_font)
        y += 30
        for i, (name, img) in enumerate(items):
            x = pad + i * (tw + pad)
            sheet.paste(img.resize((tw, th), Image.Resampling.LANCZOS), (x, y))
            draw.rectangle((x, y, x + tw - 1, y + th - 1), outline=(205, 210, 215))
            draw.text((x + 2, y + th + 5), f"{name}.png", fill=(50, 50, 50), font=font)
        y += th + label + pad
    return sheet


def render_all(sheets: Path | None = None) -> dict[Path, bytes]:
    files: dict[Path, bytes] = {}
    stills: list[tuple[str, Image.Image]] = []
    for scene in SCENES:
        frame = frame_for(scene)
        for still in scene.stills:
            name = f"{scene.exercise}-{still.name}"
            img = still_image(scene, still, frame)
            stills.append((name, img))
            files[MEDIA / f"{name}.png"] = png_bytes(img)
        if scene.moves:
            frames = animation_frames(scene, frame)
            files[MEDIA / f"{scene.exercise}.gif"] = gif_bytes(frames)
            if sheets is not None:
                sheets.mkdir(parents=True, exist_ok=True)
                contact_sheet(frames).save(sheets / f"contact-sheet-{scene.exercise}.png")
    files[DOCS_MEDIA / "illustrations-overview.png"] = png_bytes(overview(stills))
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that would change")
    parser.add_argument("--sheets", type=Path, help="also write GIF contact sheets to this folder")
    args = parser.parse_args(argv)
    files = render_all(args.sheets)
    changed = [p for p, data in files.items() if not p.is_file() or p.read_bytes() != data]
    if args.check:
        for path in changed:
            print(f"would change: {path.relative_to(ROOT)}")
        return 1 if changed else 0
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path in changed:
            path.write_bytes(data)
        status = "wrote" if path in changed else "same "
        print(f"{status} {path.relative_to(ROOT)}  {len(data) / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
