"""/start, consent, /help: the first minute with the bot.

Nothing about a patient is stored until they agree to the safety note. One question per
screen: consent; the clinic's alerts (only with a staff chat); exercise now or later;
reminders (after "Later", or after the first session).
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core import screens
from bot.core.callbacks import Callback
from bot.core.patient import PatientStatus
from bot.core.screens import Screen
from bot.core.ui import onboarding as ui
from bot.core.ui import safety as safety_ui
from bot.services import invites, planner
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say
from bot.store.models import Patient
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)


async def start(svc: Services, who: Patron, token: str | None = None) -> Reply:
    """/start (``token``: from an invite link): the consent question, or for a patient who
    agreed before, "exercise now?". A new patient's invite is used when they agree; a
    patient who is already here gets the invite's program and dose now (history kept).
    With INVITE_ONLY, a new patient without a link is told how to get one."""
    content = svc.content
    now = svc.clock.now()
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is not None and patient.consent_at is not None:
            lead = ""
            if token is not None:
                lead = await _invite_for_existing(svc, uow, patient, token, now)
            if patient.status != PatientStatus.ACTIVE:
                patient.status = PatientStatus.ACTIVE
                patient.blocked_at = None
                patient.updated_at = now
                await planner.replan(uow, patient, now)
                log.info("patient.reactivated", extra={"patient_id": patient.id})
            await uow.commit()
            lang = patient.language
            program = content.program(patient.program_id or content.default_program.id, lang)
            return say(ui.welcome_back_screen(content, lang, program.title, lead))
        return say(await consent_for(svc, uow, svc.language(who.language), token))


async def consent_for(svc: Services, uow: UnitOfWork, lang: str, token: str | None) -> Screen:
    """What a newcomer sees before agreeing, in ``lang``: the consent screen (with the
    program an invite link chose, and its token), or why the link cannot be used, or, with
    INVITE_ONLY and no link, how to get one."""
    content = svc.content
    if token is None:
        if svc.settings.invite_only:
            return ui.invite_only_screen(content, lang)
        return ui.consent_screen(content, lang)
    state, invite = await invites.link_state(svc, uow, token, svc.clock.now())
    if state is not invites.LinkState.VALID or invite is None:
        key = invites.PROBLEM_TEXT[state]
        return ui.invite_problem_screen(content, lang, key, svc.settings.invite_only)
    title = content.program(invite.program_id, lang).title
    return ui.consent_screen(content, lang, token=token, program_title=title)


async def _invite_for_existing(
    svc: Services, uow: UnitOfWork, patient: Patient, token: str, now: datetime
) -> str:
    """A patient who is already here opened an invite link: its program, dose and reference
    become theirs (their history stays; an open session keeps its exercises). The line
    that says so, or why the link changed nothing."""
    lang = patient.language
    invite = await invites.redeem(svc, uow, patient, token, now)
    if invite is None:
        state, found = await invites.link_state(svc, uow, token, now)
        if found is not None and found.used_by == patient.id:
            return ""  # their own link, opened again: nothing to say
        key = invites.PROBLEM_TEXT.get(state, "invite_bad")
        return screens.text(svc.content, lang, key)
    title = svc.content.program(invite.program_id, lang).title
    return screens.text(svc.content, lang, "invite_applied", program_title=title)


async def welcome(svc: Services, who: Patron) -> Reply:
    """The Start button of a dead end (text before /start): what /start shows, in place."""
    reply = await start(svc, who)
    return Reply(edit=reply.send[0])


async def agree(svc: Services, who: Patron, callback: Callback) -> Reply:
    content = svc.content
    agreed = ui.AgreeIn.parse(callback.arg, content.languages)
    lang = agreed.lang or svc.language(who.language)
    now = svc.clock.now()
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is not None and patient.consent_at is not None:
            return Reply(toast=content.text(patient.language, "toast_stale"))
        if agreed.token is None and svc.settings.invite_only:
            return Reply(edit=ui.invite_only_screen(content, lang))
        if patient is None:
            patient = Patient(
                telegram_user_id=who.user_id, chat_id=who.chat_id, language=lang, created_at=now
            )
            await uow.patients.add(patient)
        patient.consent_at = now
        patient.status = PatientStatus.ACTIVE
        patient.program_id = content.default_program.id
        patient.updated_at = now
        # the link is used in this unit of work: no patient without it, none used twice
        token = agreed.token
        if token is not None and await invites.redeem(svc, uow, patient, token, now) is None:
            state, _ = await invites.link_state(svc, uow, token, now)
            await uow.rollback()
            key = invites.PROBLEM_TEXT.get(state, "invite_bad")
            return Reply(
                edit=ui.invite_problem_screen(content, lang, key, svc.settings.invite_only)
            )
        code = patient.code
        program_id = patient.program_id
        await uow.commit()
        log.info("patient.consented", extra={"patient_id": patient.id})
    lead = ui.program_chosen(content, lang, content.program(program_id, lang).title)
    # a language chosen on the consent screen, other than the app's: the chat's menu too
    menu = lang if lang != svc.language(who.language) else None
    if svc.settings.staff_chat_id:
        # The clinic-alerts question comes first, on its own; "now or later?" follows it.
        question = safety_ui.alerts_question(content, lang, code)
        return Reply(edit=Screen(f"{lead}\n\n{question.text}", question.buttons), menu=menu)
    return Reply(edit=ui.start_question(content, lang, lead), menu=menu)


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
