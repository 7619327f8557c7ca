"""What a patient's typed text (or shared location) means, in order of importance:

1. pain words ("it hurts", "my back hurts, stop") - always first, whatever else waits:
   the stop advice at once (``sessions.typed_pain``);
2. the answer to a question waiting for typed text (a time, a place);
3. someone who has not agreed yet: how to begin, with a Start button;
4. anything else: "please use the buttons", and the open session's screen again.
"""

from __future__ import annotations

from bot.core import screens
from bot.core.screens import Screen
from bot.core.typed_pain import mentions_pain
from bot.core.ui import onboarding as onboarding_ui
from bot.services import sessions, settings
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say


def speaks_of_pain(svc: Services, text: str) -> bool:
    """In any of the content's languages: a Spanish speaker may write Spanish to an
    English bot, and a false alarm costs one tap while a missed one could cost an injury."""
    return any(mentions_pain(text, words) for words in svc.content.pain_words.values())


async def typed(
    svc: Services, who: Patron, text: str | None, location: tuple[float, float] | None
) -> Reply:
    if text and speaks_of_pain(svc, text):
        return await sessions.typed_pain(svc, who)
    answer = await settings.typed_input(svc, who, text, location)
    if answer is not None:
        return answer
    lang = await svc.patient_language(who)
    if not await settings.has_consented(svc, who):
        return say(onboarding_ui.start_hint_screen(svc.content, lang))
    hint = Screen(screens.text(svc.content, lang, "expect_button"))
    return await sessions.screen_again(svc, who, hint)
