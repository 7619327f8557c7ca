"""/mydata and /forget: a patient can see and delete everything stored about them."""

from __future__ import annotations

import json
import logging
from html import escape

from bot.core import screens
from bot.core.callbacks import Action, Callback
from bot.core.screens import Button, Screen
from bot.services import safety
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say

log = logging.getLogger(__name__)
CHUNK = 3500  # characters of JSON per message, well under Telegram's 4096


async def my_data(svc: Services, who: Patron) -> Reply:
    lang = who.language
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is None:
            return say(Screen(screens.text(svc.content, lang, "mydata_none")))
        data = await uow.patients.export(patient.id)
    dump = json.dumps(data, indent=1, ensure_ascii=False, default=str)
    parts = [dump[i : i + CHUNK] for i in range(0, len(dump), CHUNK)]
    messages = [Screen(screens.text(svc.content, lang, "mydata_intro"))]
    messages += [Screen(f"<pre>{escape(part)}</pre>") for part in parts]
    return say(*messages)


def forget_question(svc: Services, who: Patron) -> Reply:
    lang = who.language
    return say(
        Screen(
            screens.text(svc.content, lang, "forget_confirm"),
            (
                (
                    Button(svc.content.text(lang, "btn_forget_yes"), Callback(Action.FORGET_YES)),
                    Button(svc.content.text(lang, "btn_forget_no"), Callback(Action.FORGET_NO)),
                ),
            ),
        )
    )


async def forget(svc: Services, who: Patron, confirmed: bool) -> Reply:
    lang = who.language
    if not confirmed:
        return Reply(edit=Screen(screens.text(svc.content, lang, "forget_kept")))
    scrub: list[tuple[int, int, str]] = []
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is not None:
            removed = screens.text(svc.content, svc.settings.default_language, "alert_removed")
            scrub = [
                (chat_id, message_id, removed)
                for chat_id, message_id in await safety.alerts_shown(uow, patient)
            ]
            await uow.patients.delete_everything(patient.id)
            await uow.commit()
            log.info("patient.forgotten")
    return Reply(edit=Screen(screens.text(svc.content, lang, "forgotten")), scrub=tuple(scrub))
