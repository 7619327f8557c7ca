"""Typed reminder times: the accepted forms and the rejected ones."""

from __future__ import annotations

from datetime import time

import pytest

from bot.core.timeparse import parse_local_time

ACCEPTED = [
    # 24-hour with separator
    ("7:30", time(7, 30)),
    ("07:30", time(7, 30)),
    ("19:15", time(19, 15)),
    ("0:00", time(0, 0)),
    ("00:00", time(0, 0)),
    ("23:59", time(23, 59)),
    ("7.30", time(7, 30)),
    ("7 : 30", time(7, 30)),
    ("  7:30  ", time(7, 30)),
    # bare hour (24-hour)
    ("7", time(7, 0)),
    ("07", time(7, 0)),
    ("0", time(0, 0)),
    ("19", time(19, 0)),
    ("23", time(23, 0)),
    # four digits (24-hour)
    ("0730", time(7, 30)),
    ("1915", time(19, 15)),
    ("0000", time(0, 0)),
    ("2359", time(23, 59)),
    # h style
    ("19h", time(19, 0)),
    ("19h30", time(19, 30)),
    ("7h05", time(7, 5)),
    ("19 h 30", time(19, 30)),
    ("19H30", time(19, 30)),
    ("0h", time(0, 0)),
    # 12-hour
    ("7pm", time(19, 0)),
    ("7 pm", time(19, 0)),
    ("7PM", time(19, 0)),
    ("7.30 pm", time(19, 30)),
    ("7.30pm", time(19, 30)),
    ("7:30PM", time(19, 30)),
    ("7:30 am", time(7, 30)),
    ("7am", time(7, 0)),
    ("07am", time(7, 0)),
    ("7 a.m.", time(7, 0)),
    ("7 p.m.", time(19, 0)),
    ("7p.m", time(19, 0)),
    ("12am", time(0, 0)),
    ("12:30am", time(0, 30)),
    ("12pm", time(12, 0)),
    ("12:30 pm", time(12, 30)),
    ("11:59pm", time(23, 59)),
    ("1am", time(1, 0)),
]

REJECTED = [
    "",
    "   ",
    "tomorrow",
    "noon",
    "midnight",
    "seven",
    "25:00",
    "24:00",
    "24",
    "7:60",
    "7:5",
    "7:",
    ":30",
    "7:30:00",
    "13pm",
    "13:00pm",
    "0am",
    "0pm",
    "00:30am",
    "7a",
    "7p",
    "7 m",
    "7:30 p",
    "730",
    "73000",
    "2400",
    "0760",
    "19h60",
    "25h",
    "7h5",
    "1915pm",
    "7,30",
    "-7:30",
    "+7",
    "7:30 tomorrow",
    "at 7",
    "7 30",
    "١٢:٠٠",  # Arabic-Indic digits
    "７:３０",  # full-width digits
    "7pmpm",
    "123",
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted(text: str, expected: time) -> None:
    assert parse_local_time(text) == expected


@pytest.mark.parametrize("text", REJECTED)
def test_rejected(text: str) -> None:
    assert parse_local_time(text) is None


def test_every_minute_of_the_day_round_trips() -> None:
    for hour in range(24):
        for minute in range(60):
            expected = time(hour, minute)
            assert parse_local_time(f"{hour}:{minute:02d}") == expected
            assert parse_local_time(f"{hour:02d}{minute:02d}") == expected
            twelve = hour % 12 or 12
            suffix = "am" if hour < 12 else "pm"
            assert parse_local_time(f"{twelve}:{minute:02d} {suffix}") == expected


def test_result_has_minutes_only() -> None:
    got = parse_local_time("7:30")
    assert got is not None
    assert (got.second, got.microsecond, got.tzinfo) == (0, 0, None)


def test_non_string_is_none() -> None:
    assert parse_local_time(None) is None  # type: ignore[arg-type]
