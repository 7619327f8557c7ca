"""Issue 16 through the real bot: a Spanish speaker from the first message, a patient who
switches language with a session open, with a typed question waiting and with a reminder
pending, the command menus per language, and a clinic whose own language is Spanish."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.core.screens import advice_with_contact, pain_advice
from bot.sandbox.harness import Sandbox
from bot.sandbox.world import SimUser
from bot.telegram.menus import bot_commands
from tests.e2e.journeys import (
    label,
    last_shown,
    last_text,
    onboard,
    open_session,
    patient_of,
    say,
    tap,
    tap_next_until_question,
)
from tests.e2e.test_reminders import subscribe, timers_of

STAFF_ID = 990_016


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
    assert "Acuéstate boca arriba" in everything(user)
    await tap_next_until_question(sandbox, user)  # the Spanish "Siguiente" is not English
    await tap(sandbox, user, "btn_hurts")
    assert sandbox.services is not None
    advice = pain_advice(sandbox.services.content, "es")
    shown = everything(user)
    assert advice.split("\n")[0] in shown
    assert "Detente ahora, por favor." in shown and "+1 617 720 2329" in shown
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
    assert last_text(user).startswith("Listo: Todos los días a las 19:30 (Nueva York)")
    # the menu Telegram shows: the default one in English, Spanish for Spanish speakers
    assert sandbox.services is not None
    content = sandbox.services.content
    default = str(sorted({"type": "default"}.items()))
    assert set(sandbox.emulator.commands) == {(default, ""), (default, "es")}
    for lang, code in (("en", ""), ("es", "es")):
        shown = sandbox.emulator.commands[(default, code)]
        assert shown == [
            {"command": c.command, "description": c.description}
            for c in bot_commands(content, lang)
        ]
    spanish = {c["command"]: c["description"] for c in sandbox.emulator.commands[(default, "es")]}
    assert spanish["language"] == "Cambiar el idioma"
    assert spanish["exercise"] == es(sandbox, "menu_exercise") != label(sandbox, "menu_exercise")


async def test_choosing_spanish_gives_the_chat_a_spanish_menu(sandbox: Sandbox) -> None:
    """Telegram shows the menu by the app's language: a patient whose app is in English
    and who chose Spanish with /language gets their own chat's menu in Spanish."""
    user = sandbox.user("Ana")  # an English app
    await onboard(sandbox, user)
    await say(sandbox, user, "/language")
    await tap(sandbox, user, "Español")
    assert sandbox.services is not None
    chat = str(sorted({"type": "chat", "chat_id": user.id}.items()))
    assert sandbox.emulator.commands[(chat, "")] == [
        {"command": c.command, "description": c.description}
        for c in bot_commands(sandbox.services.content, "es")
    ]
    await say(sandbox, user, "/language")
    await tap(sandbox, user, "English")  # and back
    assert sandbox.emulator.commands[(chat, "")][0]["description"] == label(
        sandbox, "menu_exercise"
    )


async def test_spanish_times_and_places_as_people_type_them(sandbox: Sandbox) -> None:
    """Typed times in Spanish words and Spanish place names, each read as meant."""
    user = sandbox.user("Lucía", language_code="es")
    await onboard(sandbox, user)
    await tap(sandbox, user, "btn_later")
    for typed_time, typed_place, saved in (
        ("ocho menos cuarto de la mañana", "Ciudad de México", "07:45 (Ciudad de México)"),
        ("a las nueve de la noche", "hora de Madrid", "21:00 (Madrid)"),
        ("siete y veinte", "Londres", "07:20 (Londres)"),
    ):
        await say(sandbox, user, "/settings")
        await tap(sandbox, user, "btn_every_day")
        await tap(sandbox, user, "btn_days_done")
        await tap(sandbox, user, "btn_other_time")
        await say(sandbox, user, typed_time)
        await say(sandbox, user, typed_place)
        assert last_text(user).startswith(f"Listo: Todos los días a las {saved}"), last_text(user)


async def test_switching_language_with_a_session_open(
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


async def test_a_reminder_pending_in_english_comes_in_the_language_chosen_since(
    sandbox: Sandbox,
) -> None:
    """The reminder was planned while the patient read English; /language switches while a
    typed question waits (the question ends, as with any command); after a restart the
    reminder, its buttons and what they lead to come in Spanish."""
    user = sandbox.user("Ana", language_code="en")
    await subscribe(sandbox, user, at="7:30", zone="Boston")
    pending = [t for t in await timers_of(sandbox, user) if t.state == "pending"]
    assert [t.kind for t in pending] == ["reminder"]
    await say(sandbox, user, "/settings")
    await tap(sandbox, user, "btn_every_day")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    assert last_text(user) == label(sandbox, "ask_time")  # a typed question waits
    await say(sandbox, user, "/language")
    user.tap("Español")
    await sandbox.settle()
    assert last_text(user) == es(sandbox, "language_set")
    await say(sandbox, user, "9:00")  # no longer an answer: the question ended
    assert last_text(user) == es(sandbox, "expect_button")
    assert [t.due_at for t in await timers_of(sandbox, user) if t.state == "pending"] == [
        pending[0].due_at
    ]  # nothing changed but the language
    await sandbox.restart_bot()  # the choice is stored, not remembered by the process
    await sandbox.advance(timedelta(hours=5))  # 08:00 in Boston: the 07:30 reminder came
    reminder = es(sandbox, "reminder", minutes=7)
    arrived = [m for m in user.bot_messages if m.text == reminder]
    assert len(arrived) == 1, "the pending reminder came once, in Spanish"
    assert [b.text for row in arrived[0].buttons for b in row] == [
        es(sandbox, "btn_rem_start"),
        es(sandbox, "btn_snooze"),
        es(sandbox, "btn_skip_today"),
    ]
    user.tap(es(sandbox, "btn_snooze"), message_id=arrived[0].message_id)
    await sandbox.settle()
    assert last_shown(sandbox, user) == es(sandbox, "snooze_choose")


@pytest.fixture
async def spanish_clinic(database_url: str) -> AsyncIterator[Sandbox]:
    """A clinic whose own language is Spanish (DEFAULT_LANGUAGE=es), with a staff chat."""
    async with Sandbox(
        database_url=database_url, default_language="es", staff_chat_id=STAFF_ID
    ) as running:
        yield running


async def test_a_clinic_whose_language_is_spanish(spanish_clinic: Sandbox) -> None:
    """English stays the base of the content files; the clinic's language is Spanish:
    a patient whose Telegram speaks neither gets Spanish, the menu without a language is
    Spanish, and the staff chat reads Spanish, dates included (CLDR)."""
    sandbox = spanish_clinic
    staff = sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
    user = sandbox.user("Amélie", language_code="fr")
    await say(sandbox, user, "/start")
    assert last_text(user).startswith("¡Hola!")
    await tap_es(sandbox, user, "btn_agree")
    assert (await patient_of(sandbox, user)).language == "es"
    await tap_es(sandbox, user, "btn_alerts_yes")
    await tap_es(sandbox, user, "btn_start_now")
    await tap_es(sandbox, user, "btn_begin")
    await tap_es(sandbox, user, "btn_hurts")
    assert "Detente ahora, por favor." in everything(user)
    await tap_es(sandbox, user, "btn_warning_no")
    assert last_text(user) == es(sandbox, "warning_none")
    await sandbox.advance(timedelta(seconds=1))
    code = (await patient_of(sandbox, user)).code
    # 2026-01-05 08:00 UTC is 03:00 in Boston, the clinic's zone
    alerts = [m.text or "" for m in staff.bot_messages]
    assert sandbox.services is not None
    title = sandbox.services.content.exercise("hook-lying-march", "es").title
    when = "lun 5 ene 2026, 03:00 EST"
    assert sorted(alerts) == [
        es(sandbox, "alert_pain", code=code, exercise=title, step=1, when=when),
        es(sandbox, "alert_warning", code=code, answer=es(sandbox, "btn_warning_no"), when=when),
    ]
    await say(sandbox, staff, f"/patient {code}")
    assert last_text(staff).startswith(f"Paciente {code}")
    assert "En pausa desde: lun 5 ene 2026, 03:00 EST" in last_text(staff)
    default = str(sorted({"type": "default"}.items()))
    menus = sandbox.emulator.commands
    assert set(menus) == {(default, ""), (default, "en")}
    assert menus[(default, "")][0]["description"] == es(sandbox, "menu_exercise")
    assert menus[(default, "en")][0]["description"] == label(sandbox, "menu_exercise")


async def test_a_patient_on_hold_who_switches_gets_the_check_in_and_advice_in_spanish(
    sandbox: Sandbox,
) -> None:
    """On hold (pain reported: see a doctor), the patient switches to Spanish: the check-in
    planned before the switch, and the hold's advice with the clinic's contact, come in
    Spanish; no reminder comes while on hold, in either language."""
    user = sandbox.user("Ana", language_code="en")
    await subscribe(sandbox, user, at="18:00", zone="Boston")
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_hurts")
    await tap(sandbox, user, "btn_warning_no")
    assert (await patient_of(sandbox, user)).hold_since is not None
    assert [t.kind for t in await timers_of(sandbox, user) if t.state == "pending"] == ["checkin"]
    await say(sandbox, user, "/language")
    user.tap("Español")
    await sandbox.settle()
    before = len(user.bot_messages)
    await sandbox.advance(timedelta(days=2))
    came = [m.text or "" for m in user.bot_messages[before:]]
    assert es(sandbox, "checkin_question") in came
    assert not any(t.startswith(es(sandbox, "reminder", minutes=7)[:10]) for t in came)
    assert not any(t.startswith(label(sandbox, "reminder", minutes=7)[:10]) for t in came)
    await say(sandbox, user, "/exercise")
    assert sandbox.services is not None
    on_hold = advice_with_contact(sandbox.services.content, "es", "on_hold")
    assert last_text(user) == on_hold and "Teléfono: +1 617 720 2329" in on_hold
