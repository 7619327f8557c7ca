"""Invite links: made by the staff (``/invite``) or the operator (``exercise-bot invite``),
used by a patient's ``/start <token>``.

A link is used in the unit of work that creates the patient (or, for a patient who is
already here, that changes their program), with one conditional UPDATE: a crash cannot
leave a used link without its patient, and of two patients racing for one link exactly
one gets it. Only the token's hash is stored; the token is never logged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core import screens
from bot.core.dose import Problem, dose_text
from bot.core.invites import (
    InviteRequest,
    link,
    looks_like_token,
    new_token,
    parse_invite,
    token_hash,
)
from bot.core.screens import Screen
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say
from bot.store.models import Invite, Patient
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)


class LinkState(StrEnum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # never made here, mistyped, or cut short


# what a patient reads for a link that cannot be used
PROBLEM_TEXT = {
    LinkState.USED: "invite_used",
    LinkState.EXPIRED: "invite_expired",
    LinkState.UNKNOWN: "invite_bad",
}


async def create(svc: Services, request: InviteRequest, created_by: str) -> tuple[str, Invite]:
    """A new link's token (shown once, to whoever asked) and its stored row."""
    token = new_token()
    now = svc.clock.now()
    invite = Invite(
        token_hash=token_hash(token),
        program_id=request.program_id,
        clinic_ref=request.clinic_ref,
        dose=request.dose,
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=svc.settings.invite_ttl_days),
    )
    async with svc.db.unit_of_work() as uow:
        await uow.invites.add(invite)
        await uow.commit()
    log.info(
        "invite.created",
        # who: "staff" or "cli" (no user id); never the token
        extra={
            "invite_id": invite.id,
            "program_id": invite.program_id,
            "by": created_by.partition(":")[0],
        },
    )
    return token, invite


def describe_dose(svc: Services, lang: str, program_id: str, own: dict[str, dict[str, int]]) -> str:
    """For the staff: each exercise of the program with the dose the patient will see."""
    program = svc.content.program(program_id, lang)
    lines = []
    for exercise_id in program.exercises:
        title = svc.content.exercise(exercise_id, lang).title
        mark = " *" if own.get(exercise_id) else ""
        lines.append(f"• {title}: {dose_text(svc.content, lang, exercise_id, own)}{mark}")
    return "\n".join(lines)


def problem_reply(svc: Services, lang: str, problem: Problem) -> Reply:
    values = dict(problem.values)
    if problem.key in ("invite_usage", "invite_no_program", "program_usage"):
        values["programs"] = ", ".join(sorted(svc.content.programs))
    return say(Screen(screens.text(svc.content, lang, problem.key, **values)))


async def staff_invite(svc: Services, who: Patron, args: list[str], bot_username: str) -> Reply:
    """/invite PROGRAM [ref=REF] [exercise.field=N ...] in the staff chat: the link."""
    lang = svc.settings.default_language
    try:
        request = parse_invite(svc.content, args)
    except Problem as problem:
        return problem_reply(svc, lang, problem)
    token, _ = await create(svc, request, f"staff:{who.user_id}")
    return say(Screen(made_text(svc, lang, request, link(bot_username, token))))


def made_text(svc: Services, lang: str, request: InviteRequest, url: str) -> str:
    content = svc.content
    return screens.text(
        content,
        lang,
        "invite_made",
        program_title=content.program(request.program_id, lang).title,
        ref=request.clinic_ref or content.text(lang, "staff_ref_none"),
        days=svc.settings.invite_ttl_days,
        doses=describe_dose(svc, lang, request.program_id, request.dose),
        link=url,
    )


async def link_state(
    svc: Services, uow: UnitOfWork, token: str, now: datetime
) -> tuple[LinkState, Invite | None]:
    """What a /start argument is: a link that can be used (and its invite), or why not.
    A link to a program the content no longer has is of no use."""
    if not looks_like_token(token):
        return LinkState.UNKNOWN, None
    invite = await uow.invites.by_hash(token_hash(token))
    if invite is None or invite.program_id not in svc.content.programs:
        return LinkState.UNKNOWN, None
    if invite.used_at is not None:
        return LinkState.USED, invite
    if invite.expires_at <= now:
        return LinkState.EXPIRED, invite
    return LinkState.VALID, invite


async def redeem(
    svc: Services, uow: UnitOfWork, patient: Patient, token: str, now: datetime
) -> Invite | None:
    """Use the link for this patient, in the caller's unit of work (never committed here):
    the invite's program, dose and reference become the patient's. None if the link is
    not (or no longer) usable; then nothing changed."""
    state, found = await link_state(svc, uow, token, now)
    if state is not LinkState.VALID or found is None:
        return None
    invite = await uow.invites.redeem(found.token_hash, patient.id, now)
    if invite is None:
        log.info("invite.refused", extra={"patient_id": patient.id})
        return None
    patient.program_id = invite.program_id
    patient.dose = dict(invite.dose or {})
    if invite.clinic_ref:
        patient.clinic_ref = invite.clinic_ref
    patient.updated_at = now
    log.info("invite.redeemed", extra={"invite_id": invite.id, "patient_id": patient.id})
    return invite
