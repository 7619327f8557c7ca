"""The script runner: each line kind, each failure with its line number."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.script import ScriptError, parse_duration, parse_script, run_script


async def run(tmp_path: Path, text: str, *, as_json: bool = False) -> list[str]:
    script = tmp_path / "chat.txt"
    script.write_text(text, encoding="utf-8")
    lines: list[str] = []
    await run_script(script, emit=lines.append, as_json=as_json)
    return lines


@pytest.mark.parametrize(
    ("text", "line_no"),
    [
        ("/start\nfly: away\n", 2),
        ("# c\n\nwait: soon\n", 3),
        ("at: yesterday\n", 1),
        ("at: 2026-03-08T06:55 Mars/Olympus\n", 1),
        ("location: 91 0\n", 1),
        ("tap:\n", 1),
    ],
)
def test_unparsable_lines_name_their_number(text: str, line_no: int) -> None:
    with pytest.raises(ScriptError) as caught:
        parse_script(text)
    assert caught.value.line_no == line_no
    assert f"line {line_no}" in str(caught.value)


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("15m") == timedelta(minutes=15)
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("3d") == timedelta(days=3)


async def test_every_line_kind(tmp_path: Path) -> None:
    lines = await run(
        tmp_path,
        "\n".join(
            [
                "# comment",
                "at: 2026-03-07T23:59 America/New_York",
                "user: Bea lang=en",
                "/start",
                "tap: /agree/",
                "tap: Later",
                "say: hello there",
                "location: 42.36 -71.06",
                "wait: 2m",
                "block",
                "unblock",
                "/help",
            ]
        ),
    )
    text = "\n".join(lines)
    assert lines[0] == "clock> 2026-03-07 23:59 EST"
    assert "--- Bea ---" in lines
    assert "user> /start" in lines
    assert "user taps [Yes, I agree]" in lines
    assert "user> hello there" in lines
    assert "user> (location 42.36 -71.06)" in lines
    assert "clock> 2026-03-08 00:01 EST" in lines  # the wait crossed midnight
    assert any(line.startswith("bot (edit #") for line in lines)
    assert "  [Yes, I agree] [No, thanks]" in lines
    assert text.index("(user blocks the bot)") < text.index("(user unblocks the bot)")


async def test_tap_star_keeps_tapping(tmp_path: Path) -> None:
    lines = await run(
        tmp_path,
        "/start\ntap: Yes, I agree\ntap: Start now\ntap: Let's begin\ntap*: /^(next|done)$/\n",
    )
    taps = [line for line in lines if line in ("user taps [Next]", "user taps [Done]")]
    assert len(taps) > 4
    assert taps[-1] == "user taps [Done]"


async def test_json_lines(tmp_path: Path) -> None:
    lines = await run(tmp_path, "/start\n", as_json=True)
    events = [json.loads(line) for line in lines]
    assert events[0]["kind"] == "user_command"
    assert events[1]["kind"] == "bot_message"
    assert events[1]["buttons"] == [["Yes, I agree", "No, thanks"], ["Español"]]
    assert events[1]["at"].endswith("+00:00")
    assert events[1]["user"] == "Alex"


@pytest.mark.parametrize(
    ("text", "line_no", "reason"),
    [
        ("/start\ntap: Fly away\n", 2, "no button"),
        ("/start\ntap: /zzz/\n", 2, "no button"),
        ("/start\ntap*: /zzz/\n", 2, "no button matches"),
        ("at: 2026-03-08T06:55 UTC\nat: 2026-03-08T06:00 UTC\n", 2, "only moves forward"),
    ],
)
async def test_failures_name_the_line(tmp_path: Path, text: str, line_no: int, reason: str) -> None:
    with pytest.raises(ScriptError) as caught:
        await run(tmp_path, text)
    assert caught.value.line_no == line_no
    assert reason in str(caught.value)


async def test_no_reply_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.services import onboarding
    from bot.services.replies import Reply

    async def silent(svc, who):  # type: ignore[no-untyped-def]
        return Reply()  # says nothing

    monkeypatch.setattr(onboarding, "help_text", silent)
    with pytest.raises(ScriptError, match="line 1: no reply"):
        await run(tmp_path, "/help\n")


async def test_a_handler_error_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services import onboarding

    async def broken(svc, who):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(onboarding, "help_text", broken)
    with pytest.raises(ScriptError, match="line 2: the bot raised an error"):
        await run(tmp_path, "/start\n/help\n")
