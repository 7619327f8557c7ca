"""/start, consent, /help: the first minute with the bot.

Nothing about a patient is stored until they agree to the safety note. One question per
screen: consent; the clinic's alerts (only with a staff chat); exercise now or later;
reminders (after "Later", or after the first session).
"""

from __future__ import annotations

import logging

from bot.core import screens
from bot.core.callbacks import Callback
from bot.core.patient import PatientStatus
from bot.core.screens import Screen
from bot.core.ui import onboarding as ui
from bot.core.ui import safety as safety_ui
from bot.services import planner
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say
from bot.store.models import Patient

log = logging.getLogger(__name__)


async def start(svc: Services, who: Patron) -> Reply:
    """/start: the consent question, or for a patient who agreed before, "exercise now?"."""
    content = svc.content
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is not None and patient.consent_at is not None:
            if patient.status != PatientStatus.ACTIVE:
                patient.status = PatientStatus.ACTIVE
                patient.blocked_at = None
                patient.updated_at = svc.clock.now()
                await planner.replan(uow, patient, svc.clock.now())
                await uow.commit()
                log.info("patient.reactivated", extra={"patient_id": patient.id})
            lang = patient.language
            program = content.program(patient.program_id or content.default_program.id, lang)
            return say(ui.welcome_back_screen(content, lang, program.title))
    return say(ui.consent_screen(content, svc.language(who.language)))


async def welcome(svc: Services, who: Patron) -> Reply:
    """The Start button of a dead end (text before /start): what /start shows, in place."""
    reply = await start(svc, who)
    return Reply(edit=reply.send[0])


async def agree(svc: Services, who: Patron, callback: Callback) -> Reply:
    content = svc.content
    chosen = ui.AgreeIn.parse(callback.arg, content.languages).lang
    lang = chosen or svc.language(who.language)
    now = svc.clock.now()
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is not None and patient.consent_at is not None:
            return Reply(toast=content.text(patient.language, "toast_stale"))
        if patient is None:
            patient = Patient(
                telegram_user_id=who.user_id, chat_id=who.chat_id, language=lang, created_at=now
            )
            await uow.patients.add(patient)
        patient.consent_at = now
        patient.status = PatientStatus.ACTIVE
        patient.program_id = content.default_program.id
        patient.updated_at = now
        code = patient.code
        await uow.commit()
        log.info("patient.consented", extra={"patient_id": patient.id})
    lead = ui.program_chosen(content, lang, content.program(content.default_program.id, lang).title)
    if svc.settings.staff_chat_id:
        # The clinic-alerts question comes first, on its own; "now or later?" follows it.
        question = safety_ui.alerts_question(content, lang, code)
        return Reply(edit=Screen(f"{lead}\n\n{question.text}", question.buttons))
    return Reply(edit=ui.start_question(content, lang, lead))


def decline(svc: Services, who: Patron) -> Reply:
    return Reply(edit=ui.declined_screen(svc.content, svc.language(who.language)))


async def later(svc: Services, who: Patron) -> Reply:
    """Not now: fine; and reminders are offered to a patient who has none."""
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
    lang = patient.language if patient else svc.language(who.language)
    lead = screens.text(svc.content, lang, "later_ok")
    if patient is not None and patient.consent_at is not None and patient.reminder_time is None:
        return Reply(edit=ui.reminders_offer_screen(svc.content, lang, lead))
    return Reply(edit=Screen(lead))


async def no_reminders(svc: Services, who: Patron) -> Reply:
    lang = await svc.patient_language(who)
    return Reply(edit=Screen(screens.text(svc.content, lang, "reminders_declined")))


async def help_text(svc: Services, who: Patron) -> Reply:
    lang = await svc.patient_language(who)
    return say(
        Screen(screens.text(svc.content, lang, "help", **screens.clinic_values(svc.content, lang)))
    )
