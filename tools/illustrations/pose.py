"""A side-view stick-figure skeleton: proportions, poses as joint angles, joint positions.

World units are centimetres of an adult body; x grows to the right, y grows upwards, and
y = 0 is the top of the exercise mat. Every angle is absolute (the direction a body
segment points in the picture, in degrees, 0 = right, 90 = up), not relative to its
parent: that makes poses easy to read ("the arm points straight forward" is 180 for all
three arm segments) and interpolating two poses keeps every bone's length.

The figure is seen from one side and a little from above. "near" limbs are on the
viewer's side (drawn in front of the body, DEPTH lower in the picture), "far" limbs on the
other side (drawn behind it, DEPTH higher, in a lighter colour): so both arms and both legs
show, and a limb lying on the floor touches the mat's near or far half. Poses are defined
without this offset (as if both sides were in the same plane); `joints` adds it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

# Segment lengths (joint to joint), in cm.
TORSO = 50.0  # hip joint to shoulder joint
NECK = 23.0  # shoulder joint to the centre of the head
HEAD_R = 11.0
UPPER_ARM = 27.0
FOREARM = 24.0
HAND = 8.0
THIGH = 46.0
SHIN = 43.0
# The foot, in the foot's own frame: the heel-to-toe line lies FOOT_DROP below the ankle
# (towards the sole), starts FOOT_HEEL behind it and ends FOOT_TOE in front of it.
FOOT_DROP = 4.5
FOOT_HEEL = 3.5
FOOT_TOE = 15.0

# How much lower (near side) or higher (far side) a limb is drawn than the body's midline.
DEPTH = 4.5

# Half-thicknesses (radii) at each end of a segment, in cm.
R_HIP = 12.5
R_SHOULDER = 11.0
R_UPPER_ARM = (4.6, 4.0)
R_FOREARM = (4.0, 3.4)
R_HAND = (3.5, 3.0)
R_THIGH = (7.5, 5.4)
R_SHIN = (5.4, 3.8)
R_FOOT = (3.4, 2.4)  # heel, toe

ANKLE_HEIGHT = FOOT_DROP + R_FOOT[0]  # ankle centre above a flat sole
WRIST_HEIGHT = R_HAND[0] - 0.1  # wrist centre above a flat palm

Point = tuple[float, float]


def unit(angle: float) -> Point:
    rad = math.radians(angle)
    return (math.cos(rad), math.sin(rad))


def add(p: Point, q: Point, k: float = 1.0) -> Point:
    return (p[0] + k * q[0], p[1] + k * q[1])


def along(p: Point, angle: float, length: float) -> Point:
    return add(p, unit(angle), length)


def angle_to(p: Point, q: Point) -> float:
    return math.degrees(math.atan2(q[1] - p[1], q[0] - p[0]))


@dataclass(frozen=True)
class Arm:
    upper: float
    fore: float
    hand: float

    @classmethod
    def straight(cls, angle: float) -> Arm:
        return cls(angle, angle, angle)


@dataclass(frozen=True)
class Leg:
    thigh: float
    shin: float
    foot: float  # the direction from heel to toes


@dataclass(frozen=True)
class Pose:
    hip: Point  # the hip joint, where the legs start
    torso: float  # hip joint -> shoulder joint
    neck: float  # shoulder joint -> centre of the head
    face: float  # the direction the face looks (the nose points)
    near_arm: Arm
    far_arm: Arm
    near_leg: Leg
    far_leg: Leg
    # +1 or -1: which way the body's front faces, relative to the picture. It decides on
    # which side of the foot the sole is. +1: lying on the back with the head on the left;
    # -1: face down or on all fours with the head on the left.
    chirality: int = 1

    def with_(self, **changes: object) -> Pose:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ArmJoints:
    shoulder: Point
    elbow: Point
    wrist: Point
    tip: Point


@dataclass(frozen=True)
class LegJoints:
    hip: Point
    knee: Point
    ankle: Point
    heel: Point
    toe: Point


@dataclass(frozen=True)
class Joints:
    hip: Point
    shoulder: Point
    head: Point
    near_arm: ArmJoints
    far_arm: ArmJoints
    near_leg: LegJoints
    far_leg: LegJoints


def _arm(shoulder: Point, arm: Arm) -> ArmJoints:
    elbow = along(shoulder, arm.upper, UPPER_ARM)
    wrist = along(elbow, arm.fore, FOREARM)
    return ArmJoints(shoulder, elbow, wrist, along(wrist, arm.hand, HAND))


def _leg(hip: Point, leg: Leg, chirality: int) -> LegJoints:
    knee = along(hip, leg.thigh, THIGH)
    ankle = along(knee, leg.shin, SHIN)
    d = unit(leg.foot)
    # The top of the foot: the foot direction turned by 90 degrees towards the front.
    top = (-d[1], d[0]) if chirality > 0 else (d[1], -d[0])
    line = add(ankle, top, -FOOT_DROP)
    return LegJoints(hip, knee, ankle, add(line, d, -FOOT_HEEL), add(line, d, FOOT_TOE))


def joints(pose: Pose) -> Joints:
    """Where every joint is drawn (near limbs DEPTH lower, far limbs DEPTH higher)."""
    shoulder = along(pose.hip, pose.torso, TORSO)
    near, far = (0.0, -DEPTH), (0.0, DEPTH)
    return Joints(
        hip=pose.hip,
        shoulder=shoulder,
        head=along(shoulder, pose.neck, NECK),
        near_arm=_arm(add(shoulder, near), pose.near_arm),
        far_arm=_arm(add(shoulder, far), pose.far_arm),
        near_leg=_leg(add(pose.hip, near), pose.near_leg, pose.chirality),
        far_leg=_leg(add(pose.hip, far), pose.far_leg, pose.chirality),
    )


def two_bone(root: Point, target: Point, a: float, b: float, bend: int) -> tuple[float, float]:
    """Angles of two bones (lengths a, b) from root reaching target; bend = +1/-1 picks the
    side the middle joint bulges to (+1: to the left of the root->target line)."""
    dist = math.dist(root, target)
    dist = min(max(dist, abs(a - b) + 1e-6), a + b - 1e-6)
    base = angle_to(root, target)
    cos_root = (a * a + dist * dist - b * b) / (2 * a * dist)
    first = base + bend * math.degrees(math.acos(max(-1.0, min(1.0, cos_root))))
    middle = along(root, first, a)
    return first, angle_to(middle, target)


def leg_to(hip: Point, ankle: Point, bend: int, foot: float) -> Leg:
    thigh, shin = two_bone(hip, ankle, THIGH, SHIN, bend)
    return Leg(thigh, shin, foot)


def arm_to(shoulder: Point, wrist: Point, bend: int, hand: float) -> Arm:
    upper, fore = two_bone(shoulder, wrist, UPPER_ARM, FOREARM, bend)
    return Arm(upper, fore, hand)


def torso_to(hip: Point, shoulder_height: float) -> float:
    """The torso angle for a body lying with its head to the left (shoulder at a height)."""
    return 180.0 - math.degrees(math.asin((shoulder_height - hip[1]) / TORSO))


# --- interpolation --------------------------------------------------------------------


def _lerp_angle(a: float, b: float, t: float) -> float:
    delta = (b - a + 180.0) % 360.0 - 180.0
    return a + delta * t


def _lerp(a: object, b: object, t: float) -> object:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return _lerp_angle(float(a), float(b), t)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return tuple(x + (y - x) * t for x, y in zip(a, b, strict=True))
    if isinstance(a, Arm | Leg) and isinstance(b, type(a)):
        return type(a)(
            **{f.name: _lerp(getattr(a, f.name), getattr(b, f.name), t) for f in fields(a)}
        )
    raise TypeError(f"cannot interpolate {a!r} and {b!r}")


def interpolate(a: Pose, b: Pose, t: float) -> Pose:
    """The pose a fraction t of the way from a to b (angles take the short way round)."""
    if a.chirality != b.chirality:
        raise ValueError("cannot interpolate between poses facing different ways")
    values = {
        f.name: _lerp(getattr(a, f.name), getattr(b, f.name), t)
        for f in fields(a)
        if f.name != "chirality"
    }
    return Pose(**values, chirality=a.chirality)  # type: ignore[arg-type]


def ease(t: float) -> float:
    """Slow out, slow in (smoothstep)."""
    return t * t * (3.0 - 2.0 * t)
