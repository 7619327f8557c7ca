"""The pictures of the bundled program: one Scene per exercise in content/exercises/.

Each still is a pose plus what to point at (accent colour on the limb that moves, a pale
"ghost" of where it came from, arrows); each animation is a list of moves between poses.
The postures follow the exercise texts word for word; the comments quote what each
picture has to show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pose import (
    ANKLE_HEIGHT,
    FOOT_TOE,
    FOREARM,
    HAND,
    HEAD_R,
    R_FOREARM,
    R_HIP,
    R_SHIN,
    R_SHOULDER,
    R_THIGH,
    R_UPPER_ARM,
    SHIN,
    THIGH,
    UPPER_ARM,
    WRIST_HEIGHT,
    Arm,
    Leg,
    Point,
    Pose,
    along,
    angle_to,
    joints,
    leg_to,
    torso_to,
)

NEAR_ARM, FAR_ARM, NEAR_LEG, FAR_LEG, CORE = "near_arm", "far_arm", "near_leg", "far_leg", "core"


@dataclass(frozen=True)
class Arrow:
    """A thick line through points (world cm) with an arrowhead at the last one."""

    points: tuple[Point, ...]
    head: bool = True


@dataclass(frozen=True)
class Still:
    name: str  # e.g. "setup", "step1"
    pose: Pose
    accent: tuple[str, ...] = ()  # parts drawn in the accent colour
    ghost: Pose | None = None  # drawn pale, for the parts in ghost_parts only
    ghost_parts: tuple[str, ...] = ()
    arrows: tuple[Arrow, ...] = ()
    marks: tuple[Arrow, ...] = ()  # accent strokes without a head (e.g. "press here")


@dataclass(frozen=True)
class Move:
    """Move to a pose in `ms` milliseconds, then stay `hold` milliseconds."""

    to: Pose
    ms: int
    hold: int = 0
    accent: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scene:
    exercise: str  # the exercise id (file name in content/exercises/)
    stills: tuple[Still, ...]
    start: Pose  # the animation's first pose
    moves: tuple[Move, ...] = field(default=())


# --- helpers ------------------------------------------------------------------------------


def arc(
    centre: Point, radius: float, start: float, end: float, steps: int = 24
) -> tuple[Point, ...]:
    """Points on a circular arc from angle start to end (degrees, the short way)."""
    delta = (end - start + 180.0) % 360.0 - 180.0
    return tuple(along(centre, start + delta * i / steps, radius) for i in range(steps + 1))


def arm_reach() -> float:
    return UPPER_ARM + FOREARM + HAND


# --- 1. Hook-lying march: on the back --------------------------------------------------------
# "Lie on your back with your arms by your sides. Bend your knees and put your feet flat on
# the floor."  Head on the left, face up; chirality +1.

_SUPINE_HIP = (0.0, R_HIP)
_SUPINE_TORSO = torso_to(_SUPINE_HIP, R_SHOULDER)
# The arm lies along the body on the mat: the elbow and the wrist rest on the floor.
_ARM_BY_SIDE = Arm(
    upper=-math.degrees(math.asin((R_SHOULDER - R_UPPER_ARM[1]) / UPPER_ARM)),
    fore=-math.degrees(math.asin((R_UPPER_ARM[1] - R_FOREARM[1]) / FOREARM)),
    hand=0.0,
)
_FOOT_FLAT_X = 64.0  # ankle this far from the hip: knees bent to about 95 degrees
_HOOK_LEG = leg_to(_SUPINE_HIP, (_FOOT_FLAT_X, ANKLE_HEIGHT), bend=+1, foot=0.0)
# "lift one foot ... about 8 to 10 cm": the sole 9 cm up; the knee stays bent as it was.
_LIFT_CM = 9.0
_MARCH_LEG = leg_to(_SUPINE_HIP, (_FOOT_FLAT_X - 3.0, ANKLE_HEIGHT + _LIFT_CM), bend=+1, foot=-4.0)

HOOK_LYING = Pose(
    hip=_SUPINE_HIP,
    torso=_SUPINE_TORSO,
    neck=180.0,
    face=90.0,
    near_arm=_ARM_BY_SIDE,
    far_arm=_ARM_BY_SIDE,
    near_leg=_HOOK_LEG,
    far_leg=_HOOK_LEG,
    chirality=+1,
)
MARCH_NEAR_UP = HOOK_LYING.with_(near_leg=_MARCH_LEG)
MARCH_FAR_UP = HOOK_LYING.with_(far_leg=_MARCH_LEG)


def _march_scene() -> Scene:
    j = joints(HOOK_LYING)
    # The belly button: a little nearer the hips than the chest, on the front (top) side.
    belly = along(j.hip, HOOK_LYING.torso, 0.36 * 50.0)
    belly_top = belly[1] + R_HIP
    press_down = Arrow(((belly[0], belly_top + 19.0), (belly[0], belly_top + 2.5)))
    # The lower back flat on the floor: a stroke along the mat under the lumbar spine.
    low_back = Arrow(((j.hip[0] - 10.0, -0.2), (j.hip[0] - 30.0, -0.2)), head=False)

    lifted = joints(MARCH_NEAR_UP).near_leg
    up_x = lifted.toe[0] + R_SHIN[1] + 6.0
    lift_arrow = Arrow(((up_x, 1.0), (up_x, 1.0 + _LIFT_CM + 5.0)))
    return Scene(
        exercise="hook-lying-march",
        stills=(
            Still("setup", HOOK_LYING),
            Still("step1", HOOK_LYING, accent=(CORE,), arrows=(press_down,), marks=(low_back,)),
            Still(
                "step2",
                MARCH_NEAR_UP,
                accent=(NEAR_LEG,),
                ghost=HOOK_LYING,
                ghost_parts=(NEAR_LEG,),
                arrows=(lift_arrow,),
            ),
        ),
        start=HOOK_LYING,
        moves=(
            Move(HOOK_LYING, 0, hold=500, accent=(CORE,)),
            Move(MARCH_NEAR_UP, 600, hold=500, accent=(NEAR_LEG,)),
            Move(HOOK_LYING, 600, hold=250, accent=(NEAR_LEG,)),
            Move(MARCH_FAR_UP, 600, hold=500, accent=(FAR_LEG,)),
            Move(HOOK_LYING, 600, hold=250, accent=(FAR_LEG,)),
        ),
    )


# --- 2. Arm and leg raises: face down ---------------------------------------------------------
# "Lie on your stomach with your chin or forehead on the floor ... Keep your legs straight
# and stretch your arms out past your head."  Head on the left, face down; chirality -1.

_PRONE_HIP = (0.0, R_HIP)
_ARMS_OVERHEAD = Arm(
    upper=180.0 + math.degrees(math.asin((R_SHOULDER - R_UPPER_ARM[1]) / UPPER_ARM)),
    fore=180.0 + math.degrees(math.asin((R_UPPER_ARM[1] - R_FOREARM[1]) / FOREARM)),
    hand=180.0,
)
# Straight legs: thigh and shin in one line from the hip to the ankle, which rests on the
# mat (the thighs slope a little because the hips are thicker than the ankles).
_LEG_LINE = -math.degrees(math.atan2(R_HIP - R_SHIN[1], THIGH + SHIN))
_LEG_FLAT = Leg(thigh=_LEG_LINE, shin=_LEG_LINE, foot=-22.0)  # tops of the feet on the mat
PRONE = Pose(
    hip=_PRONE_HIP,
    torso=torso_to(_PRONE_HIP, R_SHOULDER),
    neck=180.0,
    face=292.0,  # face down, chin tucked a little: the forehead rests on the mat
    near_arm=_ARMS_OVERHEAD,
    far_arm=_ARMS_OVERHEAD,
    near_leg=_LEG_FLAT,
    far_leg=_LEG_FLAT,
    chirality=-1,
)
# "Slowly lift one arm off the floor": the straight arm, about 14 degrees up.
_ARM_UP = Arm.straight(166.0)
# "lift one leg the same way": the straight leg, about 10 degrees up; the hips stay down.
_LEG_UP = Leg(thigh=8.5, shin=8.5, foot=-12.0)
PRONE_NEAR_ARM_UP = PRONE.with_(near_arm=_ARM_UP)
PRONE_FAR_ARM_UP = PRONE.with_(far_arm=_ARM_UP)
PRONE_NEAR_LEG_UP = PRONE.with_(near_leg=_LEG_UP)
PRONE_FAR_LEG_UP = PRONE.with_(far_leg=_LEG_UP)


def _arm_arrow(lifted: Pose, rest: Pose, far: bool) -> Arrow:
    j = joints(rest)
    low = angle_to(j.shoulder, (j.far_arm if far else j.near_arm).tip)
    high = lifted.near_arm.upper if not far else lifted.far_arm.upper
    return Arrow(arc(j.shoulder, arm_reach() + 9.0, low - 1.0, high + 2.0))


def _leg_arrow(lifted: Pose, rest: Pose, far: bool) -> Arrow:
    j = joints(rest)
    low = angle_to(j.hip, (j.far_leg if far else j.near_leg).ankle)
    high = (lifted.far_leg if far else lifted.near_leg).thigh
    return Arrow(arc(j.hip, THIGH + SHIN + FOOT_TOE + 7.0, low + 1.0, high - 0.5))


def _raises_scene() -> Scene:
    def lift(name: str, pose: Pose, part: str) -> Still:
        far = part.startswith("far")
        arrow = (
            _arm_arrow(pose, PRONE, far) if part.endswith("arm") else _leg_arrow(pose, PRONE, far)
        )
        return Still(name, pose, accent=(part,), ghost=PRONE, ghost_parts=(part,), arrows=(arrow,))

    moves: list[Move] = [Move(PRONE, 0, hold=600)]
    for pose, part in (
        (PRONE_NEAR_ARM_UP, NEAR_ARM),
        (PRONE_FAR_ARM_UP, FAR_ARM),
        (PRONE_NEAR_LEG_UP, NEAR_LEG),
        (PRONE_FAR_LEG_UP, FAR_LEG),
    ):
        moves += [
            Move(pose, 700, hold=600, accent=(part,)),
            Move(PRONE, 700, hold=400, accent=(part,)),
        ]
    return Scene(
        exercise="arm-leg-raises",
        stills=(
            Still("setup", PRONE),
            lift("step1", PRONE_NEAR_ARM_UP, NEAR_ARM),
            lift("step2", PRONE_FAR_ARM_UP, FAR_ARM),
            lift("step3", PRONE_NEAR_LEG_UP, NEAR_LEG),
            lift("step4", PRONE_FAR_LEG_UP, FAR_LEG),
        ),
        start=PRONE,
        moves=tuple(moves),
    )


# --- 3. Bird dog: on hands and knees ------------------------------------------------------------
# "Get on your hands and knees with your back straight. Your hands are right under your
# shoulders and your knees right under your hips."  Head on the left, looking at the floor.

_KNEE = (0.0, R_THIGH[1])
_QUAD_HIP = (_KNEE[0], _KNEE[1] + THIGH)  # knee right under the hip: the thigh is vertical
_SHOULDER_Y = WRIST_HEIGHT + UPPER_ARM + FOREARM  # straight arms, palms flat
_QUAD_TORSO = torso_to(_QUAD_HIP, _SHOULDER_Y)
_KNEELING_LEG = Leg(
    thigh=270.0,
    shin=-math.degrees(math.asin((R_THIGH[1] - R_SHIN[1]) / SHIN)),  # shin along the mat
    foot=-18.0,  # tops of the feet on the mat
)
_HAND_UNDER_SHOULDER = Arm(upper=270.0, fore=270.0, hand=180.0)  # fingers point forward
QUADRUPED = Pose(
    hip=_QUAD_HIP,
    torso=_QUAD_TORSO,
    neck=_QUAD_TORSO + 6.0,  # the head in line with the back, a little lowered
    face=262.0,  # looking at the floor just ahead of the hands
    near_arm=_HAND_UNDER_SHOULDER,
    far_arm=_HAND_UNDER_SHOULDER,
    near_leg=_KNEELING_LEG,
    far_leg=_KNEELING_LEG,
    chirality=-1,
)
# "Reach one arm straight out in front of you, level with your back ... stretch the
# opposite leg straight out behind you, also level."
_ARM_FORWARD = Arm.straight(180.0)
_LEG_BACK = Leg(thigh=0.0, shin=0.0, foot=-8.0)
BIRD_DOG_A = QUADRUPED.with_(far_arm=_ARM_FORWARD, near_leg=_LEG_BACK)  # first side
BIRD_DOG_B = QUADRUPED.with_(near_arm=_ARM_FORWARD, far_leg=_LEG_BACK)  # the other side


def _bird_dog_arrows(extended: Pose, arm: str, leg: str, back: bool) -> tuple[Arrow, ...]:
    """Short arcs along the paths of the hand (up and forward) and of the foot (up and
    back), ending just below the reached-out arm and leg; reversed when back is true."""
    e = joints(extended)
    shoulder = getattr(e, arm).shoulder
    hip = getattr(e, leg).hip
    arm_arc = arc(shoulder, arm_reach() + 6.0, 236.0, 196.0)
    leg_arc = arc(hip, THIGH + SHIN - 1.0, -31.0, -11.0)
    if back:
        arm_arc, leg_arc = arm_arc[::-1], leg_arc[::-1]
    return (Arrow(arm_arc), Arrow(leg_arc))


def _bird_dog_scene() -> Scene:
    parts_a = (FAR_ARM, NEAR_LEG)
    parts_b = (NEAR_ARM, FAR_LEG)
    return Scene(
        exercise="bird-dog",
        stills=(
            Still("setup", QUADRUPED),
            Still(
                "step1",
                BIRD_DOG_A,
                accent=parts_a,
                ghost=QUADRUPED,
                ghost_parts=parts_a,
                arrows=_bird_dog_arrows(BIRD_DOG_A, FAR_ARM, NEAR_LEG, back=False),
            ),
            Still(
                "step2",
                QUADRUPED,
                accent=parts_a,
                ghost=BIRD_DOG_A,
                ghost_parts=parts_a,
                arrows=_bird_dog_arrows(BIRD_DOG_A, FAR_ARM, NEAR_LEG, back=True),
            ),
            Still(
                "step3",
                BIRD_DOG_B,
                accent=parts_b,
                ghost=QUADRUPED,
                ghost_parts=parts_b,
                arrows=_bird_dog_arrows(BIRD_DOG_B, NEAR_ARM, FAR_LEG, back=False),
            ),
        ),
        start=QUADRUPED,
        moves=(
            Move(QUADRUPED, 0, hold=700),
            Move(BIRD_DOG_A, 1000, hold=1500, accent=parts_a),
            Move(QUADRUPED, 1000, hold=700, accent=parts_a),
            Move(BIRD_DOG_B, 1000, hold=1500, accent=parts_b),
            Move(QUADRUPED, 1000, hold=700, accent=parts_b),
        ),
    )


SCENES: tuple[Scene, ...] = (_march_scene(), _raises_scene(), _bird_dog_scene())

__all__ = ["HEAD_R", "SCENES", "Arrow", "Move", "Scene", "Still"]
