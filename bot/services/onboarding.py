"""/start, consent, /help: the first minute with the bot.

Nothing about a patient is stored until they agree to the safety note.
"""

from __future__ import annotations

import logging

from bot.core import screens
from bot.core.callbacks import Action, Callback
from bot.core.screens import Button, Screen
from bot.services import planner, safety
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say
from bot.store.models import Patient

log = logging.getLogger(__name__)


def _button(svc: Services, lang: str, key: str, action: Action) -> Button:
    return Button(svc.content.text(lang, key), Callback(action))


async def start(svc: Services, who: Patron) -> Reply:
    content = svc.content
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is not None and patient.consent_at is not None:
            lang = patient.language
            if patient.status != "active":
                patient.status = "active"
                patient.blocked_at = None
                patient.updated_at = svc.clock.now()
                await planner.replan(uow, patient, svc.clock.now())
                await uow.commit()
                log.info("patient.reactivated", extra={"patient_id": patient.id})
            program = content.program(patient.program_id or content.default_program.id)
            return say(
                Screen(
                    screens.text(content, lang, "welcome_back", program_title=program.title),
                    (
                        (
                            _button(svc, lang, "btn_start_now", Action.START_NOW),
                            _button(svc, lang, "btn_later", Action.LATER),
                        ),
                    ),
                )
            )
    lang = svc.language(who.language)
    body = "\n\n".join(
        (
            screens.text(content, lang, "welcome_new", clinic_name=content.clinic.name),
            screens.text(content, lang, "advice_before_start"),
            screens.text(content, lang, "consent_prompt"),
        )
    )
    return say(
        Screen(
            body,
            (
                (
                    _button(svc, lang, "btn_agree", Action.AGREE),
                    _button(svc, lang, "btn_decline", Action.DECLINE),
                ),
            ),
        )
    )


async def agree(svc: Services, who: Patron) -> Reply:
    content = svc.content
    lang = svc.language(who.language)
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
        patient.status = "active"
        patient.program_id = content.default_program.id
        patient.updated_at = now
        await uow.commit()
        log.info("patient.consented", extra={"patient_id": patient.id})
    program = content.default_program
    body = "\n\n".join(
        (
            screens.text(content, lang, "program_chosen", program_title=program.title),
            screens.text(content, lang, "settings_offer"),
        )
    )
    # The clinic-alerts question is asked once, and only when a staff chat is configured.
    extra = (safety.alerts_question(svc, lang),) if svc.settings.staff_chat_id else ()
    return Reply(
        send=extra,
        edit=Screen(
            body,
            (
                (
                    _button(svc, lang, "btn_start_now", Action.START_NOW),
                    _button(svc, lang, "btn_later", Action.LATER),
                ),
                (_button(svc, lang, "btn_set_reminders", Action.SETUP_REMINDERS),),
            ),
        ),
    )


def decline(svc: Services, who: Patron) -> Reply:
    return Reply(edit=Screen(screens.text(svc.content, svc.language(who.language), "declined")))


def later(svc: Services, who: Patron) -> Reply:
    return Reply(edit=Screen(screens.text(svc.content, svc.language(who.language), "later_ok")))


def help_text(svc: Services, who: Patron) -> Reply:
    lang = svc.language(who.language)
    return say(
        Screen(screens.text(svc.content, lang, "help", **screens.clinic_values(svc.content)))
    )
