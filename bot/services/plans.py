"""A patient's program and own dose, changed from the staff chat: ``/program CODE PROGRAM``
and ``/dose CODE exercise.field=N ...`` (``/dose CODE reset``: the program's dose again;
``/dose CODE``: what it is now).

Their history stays: sessions and reports are not touched. The next session uses the new
program; a session already open keeps its exercises (it stores them) and shows the new
dose from its next screen (a session does not store its dose). Bad input changes nothing.
"""

from __future__ import annotations

import logging

from bot.core import screens
from bot.core.dose import Problem, parse_items
from bot.core.screens import Screen
from bot.services.context import Patron, Services
from bot.services.invites import describe_dose, problem_reply
from bot.services.replies import Reply, say

log = logging.getLogger(__name__)


def _line(svc: Services, key: str, **values: object) -> Reply:
    return say(Screen(screens.text(svc.content, svc.settings.default_language, key, **values)))


async def staff_program(svc: Services, who: Patron, args: list[str]) -> Reply:
    lang = svc.settings.default_language
    if len(args) != 2:
        return problem_reply(svc, lang, Problem("program_usage"))
    code, program_id = args[0].strip().upper(), args[1].strip()
    if program_id not in svc.content.programs:
        return problem_reply(svc, lang, Problem("invite_no_program", {"program": program_id[:40]}))
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_code(code)
        if patient is None or patient.consent_at is None:
            return _line(svc, "staff_no_patient", code=code[:20])
        patient.program_id = program_id
        patient.updated_at = svc.clock.now()
        await uow.commit()
    log.info("staff.program_changed", extra={"patient_id": patient.id, "program_id": program_id})
    return _line(
        svc,
        "program_changed",
        code=patient.code,
        program_title=svc.content.program(program_id, lang).title,
        doses=describe_dose(svc, lang, program_id, dict(patient.dose or {})),
    )


async def staff_dose(svc: Services, who: Patron, args: list[str]) -> Reply:
    lang = svc.settings.default_language
    if not args:
        return _line(svc, "dose_usage")
    code, items = args[0].strip().upper(), args[1:]
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_code(code)
        if patient is None or patient.consent_at is None:
            return _line(svc, "staff_no_patient", code=code[:20])
        program_id = patient.program_id or svc.content.default_program.id
        before = dict(patient.dose or {})
        if [i.lower() for i in items] == ["reset"]:
            own: dict[str, dict[str, int]] = {}
        else:
            try:
                own = parse_items(svc.content, items, before)
            except Problem as problem:
                return problem_reply(svc, lang, problem)
        if own != before:
            patient.dose = own
            patient.updated_at = svc.clock.now()
            await uow.commit()
            log.info("staff.dose_changed", extra={"patient_id": patient.id})
    return _line(
        svc,
        "dose_changed",
        code=patient.code,
        program_title=svc.content.program(program_id, lang).title,
        doses=describe_dose(svc, lang, program_id, own),
    )
