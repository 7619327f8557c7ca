"""Steps shared by the end-to-end tests: a patient tapping through the bot."""

from __future__ import annotations

from sqlalchemy import select

from bot.sandbox.harness import Sandbox
from bot.sandbox.models import ChatMessage
from bot.sandbox.world import SimUser
from bot.store.models import ExerciseSession, Patient, Report


def label(sandbox: Sandbox, key: str, lang: str = "en", **values: object) -> str:
    assert sandbox.services is not None
    return sandbox.services.content.text(lang, key, **values)


async def say(sandbox: Sandbox, user: SimUser, text: str) -> None:
    user.send_text(text)
    await sandbox.settle()


async def tap(sandbox: Sandbox, user: SimUser, key_or_label: str, **values: object) -> None:
    assert sandbox.services is not None
    texts = sandbox.services.content.texts["en"]
    lang = sandbox.services.content.language_of(user.language_code)  # what the bot speaks
    if key_or_label in texts:
        key_or_label = label(sandbox, key_or_label, lang, **values)
    user.tap(key_or_label)
    await sandbox.settle()


async def onboard(sandbox: Sandbox, user: SimUser) -> None:
    await say(sandbox, user, "/start")
    await tap(sandbox, user, "btn_agree")


async def open_session(sandbox: Sandbox, user: SimUser) -> None:
    await onboard(sandbox, user)
    await tap(sandbox, user, "btn_start_now")
    await tap(sandbox, user, "btn_begin")


async def tap_next_until_question(sandbox: Sandbox, user: SimUser) -> int:
    taps = 0
    while True:
        message = user.last_bot_message(with_buttons=True)
        assert message is not None
        labels = [b.text for row in message.buttons for b in row]
        step = label(sandbox, "btn_next") if label(sandbox, "btn_next") in labels else None
        step = step or (
            label(sandbox, "btn_done") if label(sandbox, "btn_done") in labels else None
        )
        if step is None:
            return taps
        user.tap(step)
        await sandbox.settle()
        taps += 1
        assert taps < 100


async def tap_newest(sandbox: Sandbox, user: SimUser, key: str, **values: object) -> None:
    """Tap a button on the newest bot message that has it (several keyboards may be live)."""
    wanted = label(sandbox, key, **values)
    for message in reversed(user.bot_messages):
        if any(b.text == wanted for row in message.buttons for b in row):
            user.tap(wanted, message_id=message.message_id)
            await sandbox.settle()
            return
    raise AssertionError(f"no message has the button {wanted!r}")


def button_data(sandbox: Sandbox, message: ChatMessage, key: str) -> str:
    """The callback data of the button ``key`` on ``message``: what a client that still
    shows that keyboard sends when it is tapped."""
    data = next(
        b.callback_data for row in message.buttons for b in row if b.text == label(sandbox, key)
    )
    assert data is not None
    return data


def hold_text(sandbox: Sandbox) -> str:
    """What a patient on hold sees: why, and the clinic's contact."""
    assert sandbox.services is not None
    from bot.core.screens import advice_with_contact

    return advice_with_contact(sandbox.services.content, "en", "on_hold")


def last_shown(sandbox: Sandbox, user: SimUser) -> str:
    """The text of the bot's latest new or edited message in this chat."""
    for event in reversed(sandbox.world.events):
        if event.user_id == user.id and event.kind in ("bot_message", "bot_edit"):
            return event.text or ""
    raise AssertionError("the bot has shown nothing")


def texts_since(user: SimUser, count: int) -> list[str]:
    return [m.text or "" for m in user.bot_messages[-count:]]


def last_text(user: SimUser) -> str:
    message = user.last_bot_message()
    assert message is not None and message.text is not None
    return message.text


async def sessions_of(sandbox: Sandbox, user: SimUser) -> list[ExerciseSession]:
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        patient = (
            await uow.session.execute(select(Patient).where(Patient.telegram_user_id == user.id))
        ).scalar_one()
        rows = await uow.session.execute(
            select(ExerciseSession)
            .where(ExerciseSession.patient_id == patient.id)
            .order_by(ExerciseSession.id)
        )
        return list(rows.scalars())


async def reports_of(sandbox: Sandbox, user: SimUser) -> list[Report]:
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user.id)
        assert patient is not None
        return list(await uow.reports.for_patient(patient.id))


async def patient_of(sandbox: Sandbox, user: SimUser) -> Patient:
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user.id)
        assert patient is not None
        return patient


async def play_session(
    sandbox: Sandbox, user: SimUser, *, skips: int = 0, feeling: str = "btn_feel_fine"
) -> None:
    """A whole session from /exercise: the first ``skips`` exercises skipped, the rest done,
    then the answer to "How did it feel?" (none when every exercise was skipped)."""
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    for _ in range(skips):
        await tap(sandbox, user, "btn_skip")
    await tap_next_until_question(sandbox, user)
    message = user.last_bot_message(with_buttons=True)
    if message is not None and any(
        b.text == label(sandbox, feeling) for row in message.buttons for b in row
    ):
        await tap_newest(sandbox, user, feeling)


async def answer_alerts_if_asked(sandbox: Sandbox, user: SimUser) -> None:
    """With a staff chat, consent is followed by "may I tell the clinic?": yes."""
    message = user.last_bot_message(with_buttons=True)
    if message is not None and any(
        b.text == label(sandbox, "btn_alerts_yes") for row in message.buttons for b in row
    ):
        await tap(sandbox, user, "btn_alerts_yes")


async def subscribe_on(
    sandbox: Sandbox,
    user: SimUser,
    days: tuple[str, ...],
    *,
    at: str = "18:00",
    zone: str = "Boston",
) -> None:
    """Agree, then reminders on the given days ("Mon", "Wed"...) at a time in a zone."""
    await onboard(sandbox, user)
    await answer_alerts_if_asked(sandbox, user)
    await tap(sandbox, user, "btn_later")
    await tap(sandbox, user, "btn_set_reminders")
    for day in days:
        await tap(sandbox, user, day)
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, at)
    await say(sandbox, user, zone)
