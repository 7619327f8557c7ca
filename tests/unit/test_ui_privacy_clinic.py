"""/forget's question and the staff's /patient screen: their decisions, without a database.

The screens are built in bot/core/ui/privacy.py and bot/core/ui/clinic.py; the use cases
(bot/services/privacy.py and bot/services/clinic.py) are driven here through a unit of
work that only hands out the rows a test gives it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from html import escape
from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.model import Content
from bot.core.callbacks import Action, Callback, InvalidCallback, decode, encode
from bot.core.clock import FakeClock
from bot.core.codes import CODE_ALPHABET, CODE_LENGTH, CODE_PREFIX, new_patient_code
from bot.core.screens import Screen, clinic_values
from bot.services import clinic, privacy
from bot.services.context import Patron, Services

NOW = datetime(2026, 1, 14, 15, 0, tzinfo=UTC)
STAFF_CHAT = -1001
WHO = Patron(user_id=11, chat_id=11, language="en")
STAFF = Patron(user_id=99, chat_id=STAFF_CHAT, language="en")
CODE = re.compile(re.escape(CODE_PREFIX) + f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


class Rows:
    """What the fake unit of work answers, and which codes it was asked about."""

    def __init__(
        self,
        patient: Any = None,
        sessions: list[Any] | None = None,
        reports: list[Any] | None = None,
    ) -> None:
        self.patient = patient
        self.sessions = sessions or []
        self.reports = reports or []
        self.looked_up: list[str] = []

    async def by_telegram_id(self, user_id: int) -> Any:
        return self.patient

    async def by_code(self, code: str) -> Any:
        self.looked_up.append(code)
        return self.patient if self.patient is not None and self.patient.code == code else None

    async def recent_for_patient(self, patient_id: int, since: datetime) -> list[Any]:
        return self.sessions

    async def for_patient(self, patient_id: int, since: datetime | None = None) -> list[Any]:
        return self.reports


class FakeDb:
    def __init__(self, rows: Rows) -> None:
        self.rows = rows

    @asynccontextmanager
    async def unit_of_work(self, read_only: bool = False) -> AsyncIterator[Any]:
        rows = self.rows
        yield SimpleNamespace(patients=rows, sessions=rows, reports=rows)


def services(
    content: Content,
    patient: Any = None,
    *,
    lang: str = "en",
    sessions: list[Any] | None = None,
    reports: list[Any] | None = None,
) -> tuple[Services, Rows]:
    rows = Rows(patient, sessions, reports)
    settings = SimpleNamespace(default_language=lang, staff_chat_id=STAFF_CHAT)
    svc = Services(cast(Any, FakeDb(rows)), content, FakeClock(NOW), cast(Any, settings))
    return svc, rows


def patient(*, on_hold: bool, code: str = "P-7K3Q9M") -> SimpleNamespace:
    return SimpleNamespace(
        id=1,
        code=code,
        language="en",
        status="active",
        chat_id=11,
        hold_since=NOW - timedelta(days=2) if on_hold else None,
        held_exercises=[],
        program_id="lower-back",
        clinic_ref=None,
        dose={},
    )


def t(content: Content, key: str) -> str:
    return escape(content.text("en", key, **clinic_values(content, "en")), quote=False)


def only_screen(reply: Any) -> Screen:
    assert reply.edit is None and len(reply.send) == 1
    return cast(Screen, reply.send[0])


# --- /forget ---------------------------------------------------------------------------------


async def test_forget_on_hold_gives_the_advice_and_the_phone_before_the_question(
    content: Content,
) -> None:
    """Issue 11, item 6: /forget on hold silently lifted the hold."""
    svc, _ = services(content, patient(on_hold=True))
    screen = only_screen(await privacy.forget_question(svc, WHO))
    advice, question = t(content, "forget_confirm_on_hold"), t(content, "forget_confirm")
    phone = content.clinic.phone_display
    assert advice in screen.text and phone in screen.text
    assert screen.text.index(advice) < screen.text.index(phone) < screen.text.index(question)
    assert screen.text.endswith(question)
    assert [b.callback.action for row in screen.buttons for b in row] == [
        Action.FORGET_YES,
        Action.FORGET_NO,
    ]


@pytest.mark.parametrize("known", [True, False])
async def test_forget_not_on_hold_only_asks(content: Content, known: bool) -> None:
    svc, _ = services(content, patient(on_hold=False) if known else None)
    screen = only_screen(await privacy.forget_question(svc, WHO))
    assert screen.text == t(content, "forget_confirm")
    assert content.clinic.phone_display not in screen.text
    assert [b.callback.action for row in screen.buttons for b in row] == [
        Action.FORGET_YES,
        Action.FORGET_NO,
    ]


# --- /patient --------------------------------------------------------------------------------


async def test_the_clear_button_is_shown_only_on_hold_and_carries_the_code(
    content: Content,
) -> None:
    svc, _ = services(content, patient(on_hold=True))
    screen = only_screen(await clinic.patient_lookup(svc, STAFF, ["p-7k3q9m"]))
    assert "P-7K3Q9M" in screen.text
    (row,) = screen.buttons
    (button,) = row
    assert button.callback == Callback(Action.STAFF_CLEAR, arg="P-7K3Q9M")
    assert button.label == content.text("en", "btn_staff_clear")
    assert decode(encode(button.callback)) == button.callback


async def test_no_clear_button_when_not_on_hold(content: Content) -> None:
    svc, _ = services(content, patient(on_hold=False))
    screen = only_screen(await clinic.patient_lookup(svc, STAFF, ["P-7K3Q9M"]))
    assert "P-7K3Q9M" in screen.text
    assert screen.buttons == ()


async def test_the_hold_is_dated_in_the_clinics_zone(content: Content) -> None:
    svc, _ = services(content, patient(on_hold=True))
    screen = only_screen(await clinic.patient_lookup(svc, STAFF, ["P-7K3Q9M"]))
    assert "Mon 12 Jan 2026, 10:00 EST" in screen.text  # 15:00 UTC two days before, in Boston


async def test_the_staff_read_the_clinics_default_language(content: Content) -> None:
    """The staff chat's language is the clinic's (DEFAULT_LANGUAGE): dates from CLDR, the
    sessions in the words of /history and of the patient's own buttons."""
    two_days_ago = NOW - timedelta(days=2)
    sessions = [
        SimpleNamespace(
            started_at=two_days_ago,
            finished_at=two_days_ago + timedelta(minutes=8),
            outcome="completed",
            exercises=["hook-lying-march"],
            completed=["hook-lying-march"],
            feeling="sore",
        ),
        SimpleNamespace(
            started_at=NOW, finished_at=None, outcome=None, exercises=[], completed=[], feeling=None
        ),
    ]

    def report(kind: str, exercise_id: str | None = None, detail: str | None = None) -> Any:
        return SimpleNamespace(
            created_at=two_days_ago, kind=kind, exercise_id=exercise_id, detail=detail
        )

    reports = [
        report("pain", "arm-leg-raises"),
        report("warning_sign", detail="no"),
        report("checkin_worse"),
        report("cleared", detail="without:arm-leg-raises+bird-dog"),
        report("sore_still"),
        report("something_new", detail="x"),
    ]
    svc, _ = services(content, patient(on_hold=True), lang="es", sessions=sessions, reports=reports)
    screen = only_screen(await clinic.patient_lookup(svc, STAFF, ["P-7K3Q9M"]))
    assert screen.text.startswith("Paciente P-7K3Q9M (activo)\nEn pausa desde: lun 12 ene 2026")
    at = "lun 12 ene 2026, 10:00 EST"
    answers = screen.text.split("Respuestas, últimos 14 días:\n")[1].split("\n\n")[0]
    lines = answers.splitlines()
    assert lines == [
        f"{at}: dolor comunicado (Elevación de brazos y piernas)",
        f"{at}: señales de alarma: ninguna",
        f"{at}: seguimiento durante la pausa: peor",
        f"{at}: autorizado a seguir (según el paciente): todo menos Elevación de brazos y "
        "piernas, Bird dog (a cuatro patas)",
        f"{at}: seguimiento de las molestias: siguen",
        f"{at}: something_new",  # a kind this code does not know: as stored
    ]
    done, sore = content.text("es", "history_done"), content.text("es", "btn_feel_sore")
    assert f"lun 12 ene 2026, 10:00 EST: {done}, {sore}" in screen.text
    assert f"mié 14 ene 2026, 10:00 EST: {content.text('es', 'staff_session_open')}" in (
        screen.text
    )
    assert "\n\nPrograma: Zona lumbar: ejercicios en casa; referencia: ninguna\n" in screen.text
    assert screen.buttons[0][0].label == content.text("es", "btn_staff_clear")


async def test_an_unknown_code_is_said_so(content: Content) -> None:
    svc, _ = services(content, None)
    screen = only_screen(await clinic.patient_lookup(svc, STAFF, ["P-2222AA"]))
    assert screen.text == escape(content.text("en", "staff_no_patient", code="P-2222AA"))
    assert screen.buttons == ()


@given(st.randoms(use_true_random=False))
def test_every_patient_code_fits_a_clear_button(rng: Any) -> None:
    code = new_patient_code(rng)
    assert CODE.fullmatch(code)
    callback = Callback(Action.STAFF_CLEAR, arg=code)
    assert decode(encode(callback)) == callback


async def test_a_clear_tap_outside_the_staff_chat_is_refused(content: Content) -> None:
    svc, rows = services(content, patient(on_hold=True))
    tap = Callback(Action.STAFF_CLEAR, arg="P-7K3Q9M")
    reply = await clinic.staff_clear(svc, WHO, tap)
    assert reply.toast == content.text("en", "toast_invalid")
    assert rows.looked_up == []


@pytest.mark.parametrize("arg", ["", "x", "P-7K3Q9", "P-7K3Q9MM", "P-7K3Q9I", "p-7k3q9m"])
async def test_a_clear_tap_that_is_not_a_patient_code_is_invalid(
    content: Content, arg: str
) -> None:
    svc, rows = services(content, patient(on_hold=True))
    try:
        await clinic.staff_clear(svc, STAFF, Callback(Action.STAFF_CLEAR, arg=arg))
    except InvalidCallback:
        assert rows.looked_up == []
        return
    raise AssertionError(f"{arg!r} was looked up as a patient code: {rows.looked_up}")


async def test_words_with_html_characters_are_escaped_once(content: Content) -> None:
    """A label inside a text is plain until the whole text is escaped: "&" shows as "&",
    not as "&amp;" (Telegram reads HTML)."""
    texts = {lang: dict(table) for lang, table in content.texts.items()}
    texts["en"]["history_done"] = "done & dusted"
    texts["en"]["staff_status_active"] = "active <ok>"
    raises = content.exercises["arm-leg-raises"].model_copy(update={"title": "Arm & leg"})
    exercises = {**content.exercises, "arm-leg-raises": raises}
    odd = content.model_copy(update={"texts": texts, "exercises": exercises})
    earlier = NOW - timedelta(hours=2)
    done = SimpleNamespace(
        started_at=earlier,
        finished_at=earlier + timedelta(minutes=8),
        outcome="completed",
        exercises=["hook-lying-march"],
        completed=["hook-lying-march"],
        feeling=None,
    )
    cleared = SimpleNamespace(
        created_at=earlier, kind="cleared", exercise_id=None, detail="without:arm-leg-raises"
    )
    someone = patient(on_hold=False)
    someone.timezone = "America/New_York"
    svc, _ = services(odd, someone, sessions=[done], reports=[cleared])
    staff = only_screen(await clinic.patient_lookup(svc, STAFF, ["P-7K3Q9M"])).text
    assert "(active &lt;ok&gt;)" in staff and ": done &amp; dusted" in staff
    assert "all but Arm &amp; leg" in staff and "&amp;amp;" not in staff
    history = only_screen(await clinic.history(svc, WHO)).text
    assert ": done &amp; dusted" in history and "&amp;amp;" not in history
