"""What a use case asks the Telegram adapter to do, without knowing Telegram."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.screens import Screen


@dataclass(frozen=True)
class Document:
    """A file sent after the reply's messages (the patient's data export)."""

    filename: str
    data: bytes
    caption: str = ""


@dataclass(frozen=True)
class Photo:
    """A picture made for this reply (a chart as PNG), sent after its messages."""

    filename: str
    data: bytes
    caption: str = ""


@dataclass(frozen=True)
class Reply:
    edit: Screen | None = None  # replace the message the user tapped
    send: tuple[Screen, ...] = ()  # new messages, in order
    toast: str | None = None  # the answer to a button tap (a short notice)
    strip_buttons_of: int | None = None  # a message id whose buttons are now stale
    notify: tuple[tuple[int, Screen], ...] = ()  # messages to other chats (chat id, screen)
    # Safety advice in this reply is also queued durably (safety.guarantee_advice); once the
    # reply is delivered these keys are confirmed, otherwise the advice is sent again.
    advice_keys: tuple[str, ...] = ()
    # messages in other chats to overwrite with a neutral text (chat id, message id, text):
    # the staff chat's alerts about a patient who used /forget
    scrub: tuple[tuple[int, int, str], ...] = ()
    # the reply's last screen (the last of ``send``, else ``edit``) is this session's
    # current screen: the message that shows it is recorded (sessions.screen_moved), so
    # the copy it replaces loses its buttons when the screen moves again
    shows_session: int | None = None
    document: Document | None = None
    photo: Photo | None = None  # best effort: the reply's texts carry the figures
    # the language of this chat's command menu from now on (the patient chose it with
    # /language): set after the reply, best effort
    menu: str | None = None


def say(*screens: Screen) -> Reply:
    return Reply(send=screens)
