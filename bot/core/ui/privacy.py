"""/forget's question: deleting everything, and on hold the advice to see the doctor first."""

from __future__ import annotations

from bot.content.model import Content
from bot.core.callbacks import Action, Callback
from bot.core.screens import Button, Screen, advice_with_contact, text


def forget_question_screen(content: Content, lang: str, *, on_hold: bool) -> Screen:
    """Are you sure? On hold the advice, with the clinic's contact, comes first: deleting
    the data also deletes the hold that keeps the exercises stopped."""
    question = text(content, lang, "forget_confirm")
    if on_hold:
        advice = advice_with_contact(content, lang, "forget_confirm_on_hold")
        question = f"{advice}\n\n{question}"
    return Screen(
        question,
        (
            (
                Button(content.text(lang, "btn_forget_yes"), Callback(Action.FORGET_YES)),
                Button(content.text(lang, "btn_forget_no"), Callback(Action.FORGET_NO)),
            ),
        ),
    )
