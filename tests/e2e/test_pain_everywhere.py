"""Safety rule: "It hurts - stop" on every screen of every exercise, timers included,
ends the session and shows the full advice with the clinic's phone number."""

from __future__ import annotations

import pytest

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.core import screens
from bot.sandbox.harness import Sandbox
from tests.e2e.journeys import button_data, label, open_session, reports_of, sessions_of, tap

CONTENT = load_content(default_content_dir())


def _screens() -> list[tuple[str, int, int, bool]]:
    """(exercise id, its index in the program, step screen, timer running) for every screen."""
    program = CONTENT.default_program
    cases = []
    for index, exercise_id in enumerate(program.exercises):
        ids = [exercise_id]
        alternative = CONTENT.exercises[exercise_id].alternative
        if alternative:
            ids.append(alternative)
        for ex_id in ids:
            plan = screens.plan_for(CONTENT.exercises[ex_id])
            for step in range(plan.step_count):
                cases.append((ex_id, index, step, False))
                if plan.timed_step == step:
                    cases.append((ex_id, index, step, True))
    return cases


@pytest.mark.parametrize(
    ("exercise_id", "index", "step", "timer"), _screens(), ids=lambda v: str(v)
)
async def test_it_hurts_on_every_screen(
    sandbox: Sandbox, exercise_id: str, index: int, step: int, timer: bool
) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    for _ in range(index):
        await tap(sandbox, user, "btn_skip")
    [session] = await sessions_of(sandbox, user)
    if session.exercises[index] != exercise_id:
        title = CONTENT.exercises[exercise_id].short_title
        await tap(sandbox, user, "btn_alternative", exercise_title=title)
    for _ in range(step):
        await tap(sandbox, user, "btn_next")
    if timer:
        seconds = CONTENT.exercises[exercise_id].dose.duration_seconds
        await tap(sandbox, user, "btn_start_timer", seconds=seconds)
    screen = user.last_bot_message(with_buttons=True)
    assert screen is not None
    hurts_data = button_data(sandbox, screen, "btn_hurts")
    await tap(sandbox, user, "btn_hurts")

    # the screen the patient tapped becomes the advice (a picture screen loses its buttons
    # and the advice follows it); the warning-sign question comes after
    tapped = next(m for m in user.bot_messages if m.message_id == screen.message_id)
    assert tapped.buttons == []
    advice = next(
        m
        for m in user.bot_messages
        if m.message_id >= screen.message_id
        and m.text
        and screens.pain_advice(CONTENT, "en").split("\n\n")[0] in m.text
    )
    assert (advice.message_id == screen.message_id) == (screen.media is None)
    assert advice.buttons == []
    question = user.last_bot_message(with_buttons=True)
    assert question is not None and question.message_id > advice.message_id
    assert question.text is not None
    assert all(sign.label in question.text for sign in CONTENT.warning_signs)
    assert label(sandbox, "hold_notice") in advice.text
    expected = screens.pain_advice(CONTENT, "en")
    for paragraph in expected.split("\n\n"):
        assert paragraph in advice.text  # the advice in full, not a summary
    assert CONTENT.clinic.phone_display in advice.text
    assert CONTENT.clinic.address in advice.text
    [report] = await reports_of(sandbox, user)
    assert (report.kind, report.exercise_id, report.step_index) == ("pain", exercise_id, step)
    [session] = await sessions_of(sandbox, user)
    assert session.outcome == "pain" and session.finished_at is not None
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        pending = await uow.timers.pending_for_patient(session.patient_id)
        assert [t.kind for t in pending] == ["checkin"]  # on hold: no reminder, one check-in
    # a double tap (or a redelivered update) records nothing more
    assert hurts_data is not None
    user.tap_data(screen.message_id, hurts_data)
    await sandbox.settle()
    assert user.toasts[-1] == label(sandbox, "toast_pain_noted")
    assert len(await reports_of(sandbox, user)) == 1
