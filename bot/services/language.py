"""/language: the patient chooses the language every later message comes in (screens,
reminders, follow-ups, advice). Before consent nothing is stored: the choice goes into the
consent screen's Agree button instead."""

from __future__ import annotations

import logging

from bot.core.callbacks import Callback
from bot.core.ui import language as ui
from bot.services import onboarding
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say

log = logging.getLogger(__name__)


async def show(svc: Services, who: Patron) -> Reply:
    return say(ui.language_screen(svc.content, await svc.patient_language(who)))


async def choose(svc: Services, who: Patron, callback: Callback) -> Reply:
    """A language button; bad data raises InvalidCallback."""
    choice = ui.LanguageChoice.parse(callback.arg, svc.content.languages)
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is None or patient.consent_at is None:
            # nothing is stored before consent: the choice (and an invite link's token)
            # travel in the consent screen's buttons
            return Reply(edit=await onboarding.consent_for(svc, uow, choice.code, choice.token))
        patient.language = choice.code
        patient.updated_at = svc.clock.now()
        await uow.commit()
    log.info("patient.language", extra={"language": choice.code})
    return Reply(edit=ui.language_set_screen(svc.content, choice.code), menu=choice.code)
