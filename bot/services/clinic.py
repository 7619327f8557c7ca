"""The clinic's side: staff commands in the configured staff chat, and /history.

Staff commands work only in the staff chat (STAFF_CHAT_ID): in a group, being able to
write there is membership. Anywhere else they get the ordinary unknown-command answer.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core import screens
from bot.core.callbacks import Callback
from bot.core.screens import Screen
from bot.core.session import Outcome, category
from bot.core.ui import clinic as ui
from bot.core.ui.session import category_label, feeling_label
from bot.services import safety
from bot.services.context import Patron, Services
from bot.services.invites import describe_dose
from bot.services.replies import Reply, say
from bot.store.models import Patient

log = logging.getLogger(__name__)
HISTORY_DAYS = 14


def is_staff_chat(svc: Services, chat_id: int) -> bool:
    return svc.settings.staff_chat_id is not None and chat_id == svc.settings.staff_chat_id


async def patient_lookup(svc: Services, who: Patron, args: list[str]) -> Reply:
    lang = svc.settings.default_language
    if not args:
        return say(Screen(screens.text(svc.content, lang, "staff_usage")))
    code = args[0].strip().upper()
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.by_code(code)
        if patient is None:
            return say(Screen(screens.text(svc.content, lang, "staff_no_patient", code=code)))
        since = svc.clock.now() - timedelta(days=HISTORY_DAYS)
        sessions = await uow.sessions.recent_for_patient(patient.id, since)
        reports = await uow.reports.for_patient(patient.id, since=since)
    zone = svc.content.clinic.timezone

    def local(instant: datetime) -> str:
        """Staff read times in the clinic's zone and language."""
        return screens.format_moment(svc.content, lang, instant, zone)

    summary = ui.PatientSummary(
        code=patient.code,
        status=patient.status,
        on_hold_since=local(patient.hold_since) if patient.hold_since else None,
        sessions=tuple(
            f"{local(s.started_at)}: "
            + (
                category_label(
                    svc.content, lang, category(s.outcome, s.exercises, s.completed or ())
                )
                if s.finished_at
                else svc.content.text(lang, "staff_session_open")
            )
            + (f", {feeling_label(svc.content, lang, s.feeling)}" if s.feeling else "")
            for s in sessions
        ),
        reports=tuple(
            f"{local(r.created_at)}: {ui.report_label(svc.content, lang, r.kind, r.detail)}"
            + (
                f" ({svc.content.exercise(r.exercise_id, lang).title})"
                if r.exercise_id in svc.content.exercises
                else ""
            )
            for r in reports
        ),
        plan=_plan(svc, lang, patient),
    )
    return say(ui.patient_screen(svc.content, lang, summary))


def _plan(svc: Services, lang: str, patient: Patient) -> str:
    """The patient's program, the clinic's reference and each exercise's dose (docs/CLINIC.md)."""
    program_id = patient.program_id or svc.content.default_program.id
    if program_id not in svc.content.programs:
        return ""
    return screens.text(
        svc.content,
        lang,
        "staff_patient_plan",
        program_title=svc.content.program(program_id, lang).title,
        ref=patient.clinic_ref or svc.content.text(lang, "staff_ref_none"),
        doses=describe_dose(svc, lang, program_id, dict(patient.dose or {})),
    )


async def staff_clear(svc: Services, who: Patron, callback: Callback) -> Reply:
    lang = svc.settings.default_language
    if not is_staff_chat(svc, who.chat_id):
        return Reply(toast=svc.content.text(lang, "toast_invalid"))
    code = ui.StaffClear.parse(callback.arg).code
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_code(code)
        if patient is None or patient.hold_since is None:
            return Reply(toast=svc.content.text(lang, "toast_stale"))
        # The clinician cleared the patient; exercises held earlier stay held.
        resumed = await safety.clear_hold(
            svc, uow, patient, held=list(patient.held_exercises or []), detail="staff"
        )
        await uow.commit()
        told = Screen(
            screens.text(svc.content, patient.language, "cleared_by_clinic") + "\n\n" + resumed
        )
        log.info("staff.cleared")
        return Reply(
            edit=Screen(screens.text(svc.content, lang, "staff_cleared", code=patient.code)),
            notify=((patient.chat_id, told),),
        )


async def history(svc: Services, who: Patron) -> Reply:
    """/history: each session of the last 14 days that was begun and has ended, by what
    was done: done, partly done, skipped, stopped because it hurt, stopped early."""
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is None:
            lang = svc.language(who.language)
            return say(Screen(screens.text(svc.content, lang, "history_empty")))
        lang = patient.language
        since = svc.clock.now() - timedelta(days=HISTORY_DAYS)
        sessions = await uow.sessions.recent_for_patient(patient.id, since)
    zone = patient.timezone or svc.content.clinic.timezone
    lines = []
    for s in sorted(sessions, key=lambda s: s.started_at):
        if s.finished_at is None or s.outcome in (Outcome.NOT_STARTED, Outcome.RESTARTED):
            continue  # open, or never begun: not a day's session (yet)
        day = screens.format_day(svc.content, lang, s.started_at, zone)
        kind = category(s.outcome, s.exercises, s.completed or ())
        lines.append(f"{day}: {category_label(svc.content, lang, kind)}")
    if not lines:
        return say(Screen(screens.text(svc.content, lang, "history_empty")))
    return say(Screen(screens.text(svc.content, lang, "history", days="\n".join(lines))))
