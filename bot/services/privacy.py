"""/mydata and /forget: a patient can see and delete everything stored about them."""

from __future__ import annotations

import json
import logging

from bot.core import screens
from bot.core.export import patient_export
from bot.core.screens import Screen
from bot.core.session import category
from bot.core.ui import privacy as ui
from bot.services import safety
from bot.services.context import Patron, Services
from bot.services.replies import Document, Reply, say
from bot.store.models import Patient

log = logging.getLogger(__name__)


def _summary(svc: Services, patient: Patient, sessions: int, reports: int) -> str:
    content, lang = svc.content, patient.language
    zone = patient.timezone or content.clinic.timezone
    if patient.reminders_enabled and patient.reminder_time and patient.reminder_days:
        days = screens.describe_mask(content, lang, patient.reminder_days)
        reminders = f"{days}, {patient.reminder_time} ({zone})"
    else:
        reminders = content.text(lang, "mydata_reminders_none")
    if patient.hold_since is not None:
        hold = screens.format_when(content, lang, patient.hold_since, zone)
    else:
        hold = content.text(lang, "mydata_hold_none")
    since = patient.consent_at or patient.created_at
    program = content.program(patient.program_id or content.default_program.id, lang).title
    return screens.text(
        content,
        lang,
        "mydata_summary",
        code=patient.code,
        since=screens.format_when(content, lang, since, zone),
        program=program,
        reminders=reminders,
        hold=hold,
        sessions=sessions,
        reports=reports,
    )


async def my_data(svc: Services, who: Patron) -> Reply:
    """A readable summary, and the whole export as a JSON file (docs/PRIVACY.md)."""
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is None:
            lang = svc.language(who.language)
            return say(Screen(screens.text(svc.content, lang, "mydata_none")))
        rows = await uow.patients.export(patient.id)
    results = {
        s["id"]: category(s["outcome"], s["exercises"] or (), s["completed"] or ()).value
        for s in rows["sessions"]
        if s["finished_at"] is not None
    }
    export = patient_export(rows, svc.clock.now(), results)
    data = json.dumps(export, indent=2, ensure_ascii=False).encode()
    summary = _summary(svc, patient, len(rows["sessions"]), len(rows["reports"]))
    caption = svc.content.text(patient.language, "mydata_file_caption")
    return Reply(
        send=(Screen(summary),),
        document=Document(f"my-data-{patient.code}.json", data, caption),
    )


async def forget_question(svc: Services, who: Patron) -> Reply:
    """Are you sure? On hold, the advice to see the doctor first comes before the question,
    with the clinic's contact: deleting the data also deletes the hold."""
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
    lang = patient.language if patient else svc.language(who.language)
    on_hold = patient is not None and patient.hold_since is not None
    return say(ui.forget_question_screen(svc.content, lang, on_hold=on_hold))


async def forget(svc: Services, who: Patron, confirmed: bool) -> Reply:
    lang = await svc.patient_language(who)
    if not confirmed:
        return Reply(edit=Screen(screens.text(svc.content, lang, "forget_kept")))
    scrub: list[tuple[int, int, str]] = []
    was_on_hold = False
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is not None:
            lang = patient.language
            was_on_hold = patient.hold_since is not None
            removed = screens.text(svc.content, svc.settings.default_language, "alert_removed")
            scrub = [
                (chat_id, message_id, removed)
                for chat_id, message_id in await safety.alerts_shown(uow, patient)
            ]
            await uow.patients.delete_everything(patient.id)
            await uow.commit()
            if svc.db.known_sessions is not None:
                svc.db.known_sessions.drop_patient(who.user_id)
            log.info("patient.forgotten")
    done = screens.text(svc.content, lang, "forgotten")
    if was_on_hold:  # the hold is gone with the data; the advice is not
        done = f"{done}\n\n{screens.pain_advice(svc.content, lang)}"
    return Reply(edit=Screen(done), scrub=tuple(scrub))
