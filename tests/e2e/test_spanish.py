"""Issue 16 through the real bot: a Spanish speaker from the first message, and a patient
who switches language with a session open and with a reminder pending."""

from __future__ import annotations

from datetime import timedelta

from bot.core.screens import pain_advice
from bot.sandbox.harness import Sandbox
from bot.sandbox.world import SimUser
from tests.e2e.journeys import (
    label,
    last_text,
    onboard,
    open_session,
    patient_of,
    say,
    tap,
    tap_next_until_question,
)


def everything(user: SimUser, since: int = 0) -> str:
    """Every text the user got (a picture's caption is its text)."""
    return "\n".join(m.text or "" for m in user.bot_messages[since:])


async def tap_es(sandbox: Sandbox, user: SimUser, key: str) -> None:
    """A tap on the Spanish label (this user's Telegram speaks English)."""
    user.tap(es(sandbox, key))
    await sandbox.settle()


def es(sandbox: Sandbox, key: str, **values: object) -> str:
    return label(sandbox, key, "es", **values)


async def test_a_spanish_speaker_gets_spanish_from_the_first_message(sandbox: Sandbox) -> None:
    user = sandbox.user("Lucía", language_code="es-MX")
    await say(sandbox, user, "/start")
    assert last_text(user).startswith("¡Hola!")
    await tap(sandbox, user, "btn_agree")
    assert (await patient_of(sandbox, user)).language == "es"
    await tap(sandbox, user, "btn_start_now")
    assert "Marcha boca arriba" in last_text(user)
    await tap(sandbox, user, "btn_begin")
    assert "Túmbate boca arriba" in everything(user)
    await tap_next_until_question(sandbox, user)  # the Spanish "Siguiente" is not English
    await tap(sandbox, user, "btn_hurts")
    assert sandbox.services is not None
    advice = pain_advice(sandbox.services.content, "es")
    shown = everything(user)
    assert advice.split("\n")[0] in shown
    assert "Para ahora, por favor." in shown and "+1 617 720 2329" in shown
    assert "Fiebre además del dolor de espalda" in shown  # the warning signs, in Spanish


async def test_spanish_times_and_the_menu(sandbox: Sandbox) -> None:
    user = sandbox.user("Lucía", language_code="es")
    await onboard(sandbox, user)
    await tap(sandbox, user, "btn_later")
    await tap(sandbox, user, "btn_set_reminders")
    await tap(sandbox, user, "btn_every_day")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, "siete y media de la tarde")
    await say(sandbox, user, "Nueva York")
    assert last_text(user).startswith("Listo: Todos los días a las 19:30")


async def test_switching_language_mid_session_and_with_a_reminder_pending(
    sandbox: Sandbox,
) -> None:
    user = sandbox.user("Ana", language_code="en")
    await open_session(sandbox, user)
    assert "Marching on your back" in last_text(user)
    await say(sandbox, user, "/language")
    assert [b.text for row in user.last_bot_message(with_buttons=True).buttons for b in row] == [
        "✓ English",
        "Español",
    ]
    user.tap("Español")
    await sandbox.settle()
    assert last_text(user) == es(sandbox, "language_set")
    assert (await patient_of(sandbox, user)).language == "es"
    await say(sandbox, user, "/exercise")  # the open session, now in Spanish
    assert last_text(user) == es(sandbox, "session_open_choice")
    before = len(user.bot_messages)
    await tap_es(sandbox, user, "btn_continue")
    assert "Marcha boca arriba" in everything(user, before - 1)
    await say(sandbox, user, "/cancel")
    await say(sandbox, user, "/settings")
    await tap_es(sandbox, user, "btn_every_day")
    await tap_es(sandbox, user, "btn_days_done")
    await tap_es(sandbox, user, "btn_other_time")
    await say(sandbox, user, "7:30")
    await say(sandbox, user, "Boston")
    await sandbox.advance(timedelta(days=1))
    reminders = [m.text for m in user.bot_messages if (m.text or "").startswith("¡Hora de")]
    assert reminders, "the reminder came in Spanish"
