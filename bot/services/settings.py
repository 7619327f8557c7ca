"""The reminder settings dialogue: days, time, zone; then the optional second reminder.

Screens and button data live in ``bot.core.ui.settings``; this module loads, decides,
writes and returns what to show. Each use case owns its transaction.
"""

from __future__ import annotations

import logging

from bot.core import screens
from bot.core.callbacks import Action, Callback, InvalidCallback
from bot.core.screens import Screen
from bot.core.timeparse import parse_local_time
from bot.core.ui import onboarding as onboarding_ui
from bot.core.ui import settings as ui
from bot.core.zones import (
    LocationLookupUnavailable,
    find_zones,
    suggested_zones,
    zone_for_location,
    zone_name,
)
from bot.services import planner
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say
from bot.store.models import Patient
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)


async def consented(uow: UnitOfWork, who: Patron) -> Patient | None:
    patient = await uow.patients.by_telegram_id(who.user_id)
    return patient if patient is not None and patient.consent_at is not None else None


async def has_consented(svc: Services, who: Patron) -> bool:
    async with svc.db.unit_of_work(read_only=True) as uow:
        return await consented(uow, who) is not None


def _text(svc: Services, lang: str, key: str, **values: object) -> Screen:
    return Screen(screens.text(svc.content, lang, key, **values))


async def open_settings(svc: Services, who: Patron) -> Reply:
    """/settings: the days screen, starting from the patient's current choice."""
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await consented(uow, who)
        if patient is None:
            lang = svc.language(who.language)
            return say(onboarding_ui.consent_needed_screen(svc.content, lang))
        return say(
            ui.days_screen(
                svc.content, patient.language, patient.reminder_days or 0, patient.weekly_summary
            )
        )


async def settings_tap(svc: Services, who: Patron, callback: Callback) -> Reply:
    """A button on one of the settings screens. Bad data raises InvalidCallback."""
    async with svc.db.unit_of_work() as uow:
        patient = await consented(uow, who)
        if patient is None:
            return Reply(toast=svc.content.text(svc.language(who.language), "toast_invalid"))
        lang, content, action = patient.language, svc.content, callback.action
        weekly = patient.weekly_summary
        if action is Action.SETUP_REMINDERS:
            return Reply(edit=ui.days_screen(content, lang, patient.reminder_days or 0, weekly))
        if action is Action.DAYS_TOGGLE:
            mask = ui.Days.parse(callback.arg).mask
            return Reply(edit=ui.days_screen(content, lang, mask, weekly))
        if action is Action.WEEKLY_SUMMARY:
            toggle = ui.WeeklyToggle.parse(callback.arg)
            patient.weekly_summary = toggle.on
            await uow.commit()
            log.info("settings.weekly_summary", extra={"patient_id": patient.id, "on": toggle.on})
            return Reply(
                edit=ui.days_screen(content, lang, toggle.mask, toggle.on),
                toast=content.text(lang, "toast_weekly_on" if toggle.on else "toast_weekly_off"),
            )
        if action in (Action.DAYS_DONE, Action.OTHER_TIME):
            days = ui.Days.parse(callback.arg)
            if not days.mask:
                return Reply(toast=content.text(lang, "toast_days_needed"))
            # a typed time is as good as a button from here on
            _ask(svc, patient, "time", days.mask, None)
            await uow.commit()
            if action is Action.OTHER_TIME:
                return Reply(edit=ui.ask_time_screen(content, lang))
            return Reply(edit=ui.time_screen(content, lang, days.mask))
        if action is Action.SET_TIME:
            draft = ui.DaysAndTime.parse(callback.arg)
            _ask(svc, patient, "zone", draft.mask, draft.time)
            await uow.commit()
            return Reply(edit=_zone_screen(svc, who, patient, draft))
        if action is Action.OTHER_ZONE:
            draft = ui.DaysAndTime.parse(callback.arg)
            _ask(svc, patient, "zone", draft.mask, draft.time)
            await uow.commit()
            return Reply(edit=ui.ask_zone_screen(content, lang))
        # SET_ZONE
        choice = ui.ZoneChoice.parse(callback.arg)
        suggestions = _suggestions(svc, who)
        if isinstance(choice.pick, ui.ZoneName):
            zone = choice.pick.zone
        elif choice.pick == "keep" and patient.timezone:
            zone = patient.timezone
        elif isinstance(choice.pick, int) and choice.pick < len(suggestions):
            zone = suggestions[choice.pick]
        else:
            raise InvalidCallback("no such zone")
        return Reply(edit=await _save(svc, uow, patient, choice.draft, zone))


def _ask(svc: Services, patient: Patient, kind: str, mask: int, time: str | None) -> None:
    question = ui.PendingQuestion(kind, mask, time, svc.clock.now())  # type: ignore[arg-type]
    patient.settings_step = question.encode()


def _suggestions(svc: Services, who: Patron) -> list[str]:
    """The zone buttons: the clinic's zone, and those of the patient's Telegram language (a
    Spanish speaker sees New York for a Boston clinic, then Madrid and Mexico City)."""
    return suggested_zones(who.language, svc.content.clinic.timezone)


def _zone_screen(svc: Services, who: Patron, patient: Patient, draft: ui.DaysAndTime) -> Screen:
    """The zone question, with the suggestions of ``_suggestions``."""
    return ui.zone_screen(
        svc.content,
        patient.language,
        draft,
        patient.timezone,
        _suggestions(svc, who),
        svc.clock.now(),
    )


async def _save(
    svc: Services, uow: UnitOfWork, patient: Patient, draft: ui.DaysAndTime, zone: str
) -> Screen:
    now = svc.clock.now()
    patient.reminder_days = draft.mask
    patient.reminder_time = draft.time
    patient.timezone = zone
    patient.reminders_enabled = True
    patient.paused_until = None
    patient.settings_step = None
    patient.updated_at = now
    due = await planner.replan(uow, patient, now)
    await uow.commit()
    log.info("reminders.saved", extra={"patient_id": patient.id, "scheduled": due is not None})
    lang = patient.language
    when = screens.format_when(svc.content, lang, due, zone) if due else None
    said = zone_name(zone, svc.content.language_of(lang))  # "Nueva York"
    return ui.saved_screen(svc.content, lang, draft.mask, draft.time, said, when)


async def end_question(svc: Services, who: Patron) -> None:
    """Any command (or a session starting) ends a question waiting for a typed answer."""
    async with svc.db.unit_of_work() as uow:
        if await uow.patients.clear_settings_step(who.user_id):
            await uow.commit()


async def typed_input(
    svc: Services, who: Patron, text: str | None, location: tuple[float, float] | None
) -> Reply | None:
    """Text or a location while the dialogue waits for one; None when nothing waits (or
    the question is older than ``QUESTION_LIFETIME``)."""
    async with svc.db.unit_of_work() as uow:
        patient = await consented(uow, who)
        if patient is None or not patient.settings_step:
            return None
        now = svc.clock.now()
        question = ui.PendingQuestion.decode(patient.settings_step)
        if question is None or question.expired(now):
            patient.settings_step = None
            await uow.commit()
            return None
        lang = patient.language
        typed_time = parse_local_time(text or "", patient.language) if location is None else None
        if question.kind == "time":
            if typed_time is None:
                return say(_text(svc, lang, "time_invalid"))
            draft = ui.DaysAndTime(question.mask, f"{typed_time:%H:%M}")
            _ask(svc, patient, "zone", draft.mask, draft.time)
            await uow.commit()
            return say(_zone_screen(svc, who, patient, draft))
        assert question.time is not None
        draft = ui.DaysAndTime(question.mask, question.time)
        if location is not None:
            try:
                zone = zone_for_location(*location)
            except LocationLookupUnavailable:
                return say(_text(svc, lang, "zone_location_unavailable"))
            if zone is None:
                return say(_text(svc, lang, "zone_location_failed"))
            return say(await _save(svc, uow, patient, draft, zone))
        answer = find_zones(
            text or "", country_hint=svc.content.clinic.country, language=patient.language
        )
        if answer.zone is not None:
            return say(await _save(svc, uow, patient, draft, answer.zone))
        if answer.ambiguous:  # the question stays open: typing another name still works
            return say(
                ui.zone_candidates_screen(
                    svc.content, lang, draft, answer.candidates, svc.clock.now()
                )
            )
        if typed_time is not None:
            # "8pm" while the zone is asked: a corrected time, not a place
            draft = ui.DaysAndTime(question.mask, f"{typed_time:%H:%M}")
            _ask(svc, patient, "zone", draft.mask, draft.time)
            await uow.commit()
            return say(_zone_screen(svc, who, patient, draft))
        return say(_text(svc, lang, "zone_invalid"))


async def nudge_setting(svc: Services, who: Patron, callback: Callback) -> Reply:
    """The optional second reminder: off (default), or once 1 or 2 hours later."""
    choice = ui.NudgeChoice.parse(callback.arg)
    async with svc.db.unit_of_work() as uow:
        patient = await consented(uow, who)
        if patient is None:
            return Reply(toast=svc.content.text(svc.language(who.language), "toast_invalid"))
        lang = patient.language
        if choice.minutes is None:
            return Reply(edit=ui.nudge_question_screen(svc.content, lang))
        patient.nudge_minutes = choice.minutes or None
        await uow.commit()
        return Reply(edit=ui.nudge_saved_screen(svc.content, lang, choice.minutes))
