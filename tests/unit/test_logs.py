"""The log redaction that guards against code we do not own logging a secret."""

from __future__ import annotations

import io
import logging

import pytest

from bot import logs

TOKEN = "123456:ABC-secret-part-xyz"


@pytest.fixture
def captured():  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    yield stream
    root.handlers[:], root.level = saved
    for name in logs.QUIET_FLOORS:
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_the_token_and_its_secret_half_are_redacted_everywhere(captured, fmt) -> None:  # type: ignore[no-untyped-def]
    logs.configure("DEBUG", fmt, secrets=logs.secrets_of(TOKEN, "hook-secret-123"), stream=captured)
    log = logging.getLogger("some.library")
    log.debug("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    log.info("path /bot123456:ABC-secret-part-xyz/x and hook-secret-123", extra={"t": TOKEN})
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected")
    except RuntimeError:
        log.exception("failed")
    out = captured.getvalue()
    assert "secret-part" not in out and "hook-secret" not in out
    assert out.count(logs.REDACTED) >= 4  # (the text format leaves out `extra` fields)


def test_libraries_that_log_bodies_stay_quiet_at_debug(captured) -> None:  # type: ignore[no-untyped-def]
    logs.configure("DEBUG", "json", stream=captured)
    logging.getLogger("telegram.Bot").debug(
        "Calling Bot API endpoint with parameters {'text': 'hi'}"
    )
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot1:x/send")
    logging.getLogger("bot.anything").debug("our own debug line")
    out = captured.getvalue()
    assert "'text'" not in out and "HTTP Request" not in out
    assert "our own debug line" in out
