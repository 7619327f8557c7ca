"""What a patient sees about pain and safety, and the data of those buttons.

Every advice text is shown in full, from content, with the clinic's contact after it
(``bot.core.screens.advice_with_contact``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, Self

from bot.content.model import Content
from bot.core.callbacks import MAX_ID, Action, Callback, InvalidCallback, canonical_number
from bot.core.screens import Button, Screen, advice_with_contact, pain_advice, sore_advice, text


def _choice(arg: str, allowed: Sequence[str], what: str) -> str:
    if arg not in allowed:
        raise InvalidCallback(f"bad {what}")
    return arg


@dataclass(frozen=True)
class YesNo:
    """The answer of a yes/no button ("y" / "n")."""

    yes: bool

    def arg(self) -> str:
        return "y" if self.yes else "n"

    @classmethod
    def parse(cls, arg: str) -> Self:
        return cls(_choice(arg, ("y", "n"), "answer") == "y")


@dataclass(frozen=True)
class CheckinAnswer:
    how: Literal["better", "same", "worse"]

    _CODES: ClassVar[dict[str, str]] = {"better": "b", "same": "s", "worse": "w"}

    def arg(self) -> str:
        return self._CODES[self.how]

    @classmethod
    def parse(cls, arg: str) -> Self:
        for how, code in cls._CODES.items():
            if arg == code:
                return cls(how)  # type: ignore[arg-type]
        raise InvalidCallback("bad check-in answer")


@dataclass(frozen=True)
class ResumeWithout:
    """Clearance for all but the exercise that hurt: also its alternative, or switch to it."""

    keep_alternative: bool

    def arg(self) -> str:
        return "a" if self.keep_alternative else "x"

    @classmethod
    def parse(cls, arg: str) -> Self:
        return cls(_choice(arg, ("x", "a"), "resume choice") == "a")


@dataclass(frozen=True)
class SoreAnswer:
    gone: bool

    def arg(self) -> str:
        return "g" if self.gone else "s"

    @classmethod
    def parse(cls, arg: str) -> Self:
        return cls(_choice(arg, ("g", "s"), "soreness answer") == "g")


RATING_MAX = 10  # the 0-10 numeric rating scale


@dataclass(frozen=True)
class PainRating:
    """A button of the optional pain rating: the pain report it rates, by id (so a rating
    tapped later, after another report, still goes to its own report), and 0 to 10, or
    None for "Skip". Written ``<report id>.<0-10>`` or ``<report id>.s``."""

    report_id: int
    value: int | None

    def arg(self) -> str:
        if not 1 <= self.report_id <= MAX_ID:
            raise ValueError("no such report id")
        if self.value is None:
            return f"{self.report_id}.s"
        if not 0 <= self.value <= RATING_MAX:
            raise ValueError("a rating is 0 to 10")
        return f"{self.report_id}.{self.value}"

    @classmethod
    def parse(cls, arg: str) -> Self:
        report, dot, value = arg.partition(".")
        report_id = canonical_number(report)
        if not dot or report_id is None or not 1 <= report_id <= MAX_ID:
            raise InvalidCallback("bad pain report")
        if value == "s":
            return cls(report_id, None)
        rating = canonical_number(value)
        if rating is None or rating > RATING_MAX:
            raise InvalidCallback("bad pain rating")
        return cls(report_id, rating)


# --- pain ------------------------------------------------------------------------------------


def pain_closing(content: Content, lang: str) -> str:
    """The advice after a pain report, and what happens to the reminders."""
    return pain_advice(content, lang) + "\n\n" + text(content, lang, "hold_notice")


def warning_screen(content: Content, lang: str, session_id: int) -> Screen:
    """Warning signs: asked after every pain report, and again when a check-in is worse
    (``session_id`` 0)."""
    signs = "\n".join(f"• {sign.label}" for sign in content.signs(lang))

    def answer(key: str, yes: bool) -> Button:
        return Button(
            content.text(lang, key), Callback(Action.WARNING, session_id, 0, YesNo(yes).arg())
        )

    return Screen(
        text(content, lang, "warning_question", signs=signs),
        ((answer("btn_warning_yes", True), answer("btn_warning_no", False)),),
    )


def pain_rating_screen(content: Content, lang: str, report_id: int) -> Screen:
    """The optional "how strong, 0 to 10?" after a pain report: always shown after the
    advice, never instead of it; its buttons name the report they rate."""

    def rate(value: int | None) -> Callback:
        return Callback(Action.PAIN_RATING, arg=PainRating(report_id, value).arg())

    numbers = [Button(str(n), rate(n)) for n in range(RATING_MAX + 1)]
    return Screen(
        text(content, lang, "pain_rating_question"),
        (
            tuple(numbers[:6]),
            tuple(numbers[6:]),
            (Button(content.text(lang, "btn_pain_rating_skip"), rate(None)),),
        ),
    )


def pain_rating_answer(content: Content, lang: str, value: int | None) -> Screen:
    """What the question becomes once answered: thanks, and the advice still stands."""
    if value is None:
        return Screen(text(content, lang, "pain_rating_skipped"))
    return Screen(text(content, lang, "pain_rating_thanks", rating=value))


def urgent_advice(content: Content, lang: str, emergency_number: str) -> str:
    """Urgent care first and in full; the clinic's contact after it."""
    return advice_with_contact(content, lang, "advice_urgent", emergency_number=emergency_number)


def typed_pain_screen(content: Content, lang: str, session_id: int, rev: int) -> Screen:
    """Free text that speaks of pain: the advice at once, then confirm or carry on.

    ``session_id``/``rev`` name the session it stopped (or 0 and the patient's count of
    pain reports), so a second tap on the same answer records nothing twice."""

    def answer(key: str, yes: bool) -> Button:
        return Button(
            content.text(lang, key),
            Callback(Action.TYPED_PAIN, session_id, rev, YesNo(yes).arg()),
        )

    return Screen(
        pain_advice(content, lang) + "\n\n" + text(content, lang, "typed_pain_question"),
        ((answer("btn_typed_pain_yes", True), answer("btn_typed_pain_no", False)),),
    )


# --- the hold ----------------------------------------------------------------------------------


def hold_screen(content: Content, lang: str) -> Screen:
    """Instead of exercises while on hold: why, and the clinic's contact, every time."""
    return Screen(
        advice_with_contact(content, lang, "on_hold"),
        (
            (Button(content.text(lang, "btn_cleared"), Callback(Action.CLEARED)),),
            (Button(content.text(lang, "btn_not_yet"), Callback(Action.NOT_YET)),),
        ),
    )


def checkin_screen(content: Content, lang: str) -> Screen:
    def answer(key: str, how: Literal["better", "same", "worse"]) -> Button:
        return Button(
            content.text(lang, key), Callback(Action.CHECKIN, arg=CheckinAnswer(how).arg())
        )

    return Screen(
        text(content, lang, "checkin_question"),
        (
            (
                answer("btn_checkin_better", "better"),
                answer("btn_checkin_same", "same"),
                answer("btn_checkin_worse", "worse"),
            ),
            (Button(content.text(lang, "btn_cleared"), Callback(Action.CLEARED)),),
        ),
    )


def cleared_button(content: Content, lang: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button(content.text(lang, "btn_cleared"), Callback(Action.CLEARED)),),)


def checkin_reply(content: Content, lang: str, how: str) -> Screen:
    """What a check-in answer gets: "same" the advice again, "worse" advice that fits a
    check-in (the warning signs are asked again separately)."""
    if how == "better":
        return Screen(text(content, lang, "checkin_better"), cleared_button(content, lang))
    if how == "worse":
        return Screen(
            advice_with_contact(content, lang, "advice_checkin_worse"),
            cleared_button(content, lang),
        )
    return Screen(pain_advice(content, lang), cleared_button(content, lang))


def cleared_question(
    content: Content, lang: str, exercise_title: str | None, alternative_title: str | None
) -> Screen:
    rows: list[tuple[Button, ...]] = [
        (Button(content.text(lang, "btn_resume_all"), Callback(Action.RESUME_ALL)),)
    ]
    if exercise_title is not None:
        rows.append(
            (
                Button(
                    content.text(lang, "btn_resume_without", exercise_title=exercise_title),
                    Callback(Action.RESUME_WITHOUT, arg=ResumeWithout(False).arg()),
                ),
            )
        )
        if alternative_title is not None:
            rows.append(
                (
                    Button(
                        content.text(
                            lang,
                            "btn_resume_without_keep_alt",
                            alternative_title=alternative_title,
                        ),
                        Callback(Action.RESUME_WITHOUT, arg=ResumeWithout(True).arg()),
                    ),
                )
            )
    rows.append((Button(content.text(lang, "btn_not_yet"), Callback(Action.NOT_YET)),))
    return Screen(
        text(content, lang, "cleared_question", exercise_title=exercise_title or ""), tuple(rows)
    )


# --- soreness ----------------------------------------------------------------------------------


def sore_closing(content: Content, lang: str, persisting: bool) -> str:
    parts = [sore_advice(content, lang), text(content, lang, "sore_followup_scheduled")]
    if persisting:
        parts.append(advice_with_contact(content, lang, "advice_sore_persisting"))
    return "\n\n".join(parts)


def sore_followup_screen(content: Content, lang: str) -> Screen:
    def answer(key: str, gone: bool) -> Button:
        return Button(
            content.text(lang, key), Callback(Action.SORE_FOLLOWUP, arg=SoreAnswer(gone).arg())
        )

    return Screen(
        text(content, lang, "sore_followup_question"),
        ((answer("btn_sore_gone", True), answer("btn_sore_still", False)),),
    )


# --- the clinic's alerts -----------------------------------------------------------------------


def alerts_question(content: Content, lang: str, code: str) -> Screen:
    def answer(key: str, yes: bool) -> Button:
        return Button(content.text(lang, key), Callback(Action.ALERTS, arg=YesNo(yes).arg()))

    return Screen(
        text(content, lang, "alerts_question", clinic_name=content.clinic_in(lang).name, code=code),
        ((answer("btn_alerts_yes", True), answer("btn_alerts_no", False)),),
    )
