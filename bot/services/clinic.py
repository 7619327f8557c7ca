"""The clinic's side: staff commands in the configured staff chat, and /history.

Staff commands work only in the staff chat (STAFF_CHAT_ID): in a group, being able to
write there is membership. Anywhere else they get the ordinary unknown-command answer.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core import screens
from bot.core.callbacks import Action, Callback
from bot.core.screens import Button, Screen
from bot.services import safety
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say

log = logging.getLogger(__name__)
HISTORY_DAYS = 14


def is_staff_chat(svc: Services, chat_id: int) -> bool:
    return svc.settings.staff_chat_id is not None and chat_id == svc.settings.staff_chat_id


async def patient_lookup(svc: Services, who: Patron, args: list[str]) -> Reply:
    lang = svc.settings.default_language
    if not args:
        return say(Screen(screens.text(svc.content, lang, "staff_usage")))
    code = args[0].strip().upper()
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_code(code)
        if patient is None:
            return say(Screen(screens.text(svc.content, lang, "staff_no_patient", code=code)))
        since = svc.clock.now() - timedelta(days=HISTORY_DAYS)
        sessions = await uow.sessions.recent_for_patient(patient.id, since)
        reports = await uow.reports.for_patient(patient.id, since=since)
    session_lines = [
        f"{s.started_at:%Y-%m-%d %H:%M} UTC: {s.outcome or 'open'}"
        + (f", {s.feeling}" if s.feeling else "")
        for s in sessions
    ] or ["-"]
    report_lines = [
        f"{r.created_at:%Y-%m-%d %H:%M} UTC: {r.kind}"
        + (f" ({r.exercise_id})" if r.exercise_id else "")
        + (f" [{r.detail}]" if r.detail else "")
        for r in reports
    ] or ["-"]
    hold = f"{patient.hold_since:%Y-%m-%d %H:%M} UTC" if patient.hold_since else "-"
    text = screens.text(
        svc.content,
        lang,
        "staff_patient",
        code=patient.code,
        status=patient.status,
        since=hold,
        sessions="\n".join(session_lines),
        reports="\n".join(report_lines),
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if patient.hold_since is not None:
        buttons = (
            (
                Button(
                    svc.content.text(lang, "btn_staff_clear"),
                    Callback(Action.STAFF_CLEAR, arg=patient.code),
                ),
            ),
        )
    return say(Screen(text, buttons))


async def staff_clear(svc: Services, who: Patron, callback: Callback) -> Reply:
    lang = svc.settings.default_language
    if not is_staff_chat(svc, who.chat_id):
        return Reply(toast=svc.content.text(lang, "toast_invalid"))
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_code(callback.arg)
        if patient is None or patient.hold_since is None:
            return Reply(toast=svc.content.text(lang, "toast_stale"))
        # The clinician cleared the patient; exercises held earlier stay held.
        resumed = await safety.clear_hold(
            svc, uow, patient, held=list(patient.held_exercises or []), detail="staff"
        )
        told = Screen(
            screens.text(svc.content, patient.language, "cleared_by_clinic") + "\n\n" + resumed
        )
        log.info("staff.cleared")
        return Reply(
            edit=Screen(screens.text(svc.content, lang, "staff_cleared", code=patient.code)),
            notify=((patient.chat_id, told),),
        )


async def history(svc: Services, who: Patron) -> Reply:
    """/history: each of the last 14 days with a session, and how it felt."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is None:
            return say(Screen(screens.text(svc.content, who.language, "history_empty")))
        lang = patient.language
        since = svc.clock.now() - timedelta(days=HISTORY_DAYS)
        sessions = await uow.sessions.recent_for_patient(patient.id, since)
    zone = ZoneInfo(patient.timezone or "UTC")
    feelings = {"none": "btn_feel_fine", "sore": "btn_feel_sore", "pain": "btn_feel_pain"}
    lines = []
    for s in sorted(sessions, key=lambda s: s.started_at):
        if s.outcome in ("not_started", "restarted"):
            continue
        day = screens.format_when(svc.content, lang, s.started_at, zone.key).split(",")[0]
        how = (
            svc.content.text(lang, feelings[s.feeling])
            if s.feeling in feelings
            else svc.content.text(lang, "session_cancelled")
            if s.finished_at
            else "…"
        )
        lines.append(f"{day}: {how}")
    if not lines:
        return say(Screen(screens.text(svc.content, lang, "history_empty")))
    return say(Screen(screens.text(svc.content, lang, "history", days="\n".join(lines))))
