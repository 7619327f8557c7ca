"""Typed reminder times: the accepted forms and the rejected ones, in English and Spanish."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Words (issue 11 item 12). "noon", "midnight", "seven" and "at 7" were rejected before
# words were read; they are accepted now.
ACCEPTED_WORDS_EN = [
    ("noon", time(12, 0)),
    ("Noon", time(12, 0)),
    ("midday", time(12, 0)),
    ("12 noon", time(12, 0)),
    ("at noon", time(12, 0)),
    ("midnight", time(0, 0)),
    ("12 midnight", time(0, 0)),
    ("seven", time(7, 0)),
    ("Seven", time(7, 0)),
    ("twelve", time(12, 0)),
    ("one", time(1, 0)),
    ("seven thirty", time(7, 30)),
    ("seven fifteen", time(7, 15)),
    ("seven forty-five", time(7, 45)),
    ("seven forty five pm", time(19, 45)),
    ("half past seven", time(7, 30)),
    ("half past 7", time(7, 30)),
    ("quarter past 7", time(7, 15)),
    ("a quarter past ten", time(10, 15)),
    ("quarter after seven", time(7, 15)),
    ("quarter to eight", time(7, 45)),
    ("a quarter to 8", time(7, 45)),
    ("quarter of eight", time(7, 45)),
    ("quarter to twelve", time(11, 45)),
    ("quarter to one", time(0, 45)),
    ("quarter to one pm", time(12, 45)),
    ("half past twelve am", time(0, 30)),
    ("half past seven in the evening", time(19, 30)),
    ("at 7", time(7, 0)),
    ("at 7pm", time(19, 0)),
    ("at 7:30 pm", time(19, 30)),
    ("at seven", time(7, 0)),
    ("at 19:30", time(19, 30)),
    ("7 o'clock", time(7, 0)),
    ("7 o’clock", time(7, 0)),
    ("7 oclock", time(7, 0)),
    ("7 o clock", time(7, 0)),
    ("seven o'clock", time(7, 0)),
    ("Seven O'Clock PM", time(19, 0)),
    ("7 o'clock in the evening", time(19, 0)),
    ("7 in the evening", time(19, 0)),
    ("7 in the morning", time(7, 0)),
    ("12 in the morning", time(0, 0)),
    ("2 in the afternoon", time(14, 0)),
    ("12 in the afternoon", time(12, 0)),
    ("7:30 in the evening", time(19, 30)),
    ("seven thirty in the morning", time(7, 30)),
    ("11 at night", time(23, 0)),
    ("12 at night", time(0, 0)),
    ("19.30 h", time(19, 30)),
    ("19:30 h", time(19, 30)),
    ("7:30 o'clock", time(7, 30)),
    ("twelve am", time(0, 0)),
]

ACCEPTED_WORDS_ES = [
    ("7 de la tarde", time(19, 0)),
    ("7 de la mañana", time(7, 0)),
    ("7 de la manana", time(7, 0)),
    ("3 de la madrugada", time(3, 0)),
    ("10 de la noche", time(22, 0)),
    ("12 de la noche", time(0, 0)),
    ("12 de la tarde", time(12, 0)),
    ("siete y media", time(7, 30)),
    ("Siete y Media", time(7, 30)),
    ("siete y media de la tarde", time(19, 30)),
    ("siete y cuarto", time(7, 15)),
    ("ocho menos cuarto", time(7, 45)),
    ("ocho menos cuarto de la tarde", time(19, 45)),
    ("una menos cuarto", time(0, 45)),
    ("7 y media", time(7, 30)),
    ("siete y diez", time(7, 10)),
    ("siete y veinte", time(7, 20)),
    ("ocho y cinco de la mañana", time(8, 5)),
    ("siete y veinticinco de la tarde", time(19, 25)),
    ("ocho menos diez", time(7, 50)),
    ("ocho menos veinte de la tarde", time(19, 40)),
    ("siete y quince", time(7, 15)),
    ("siete y treinta", time(7, 30)),
    ("7 y 20", time(7, 20)),
    ("7 y 5", time(7, 5)),
    ("7 y 05 de la tarde", time(19, 5)),
    ("mediodía", time(12, 0)),
    ("mediodia", time(12, 0)),
    ("el mediodía", time(12, 0)),
    ("medianoche", time(0, 0)),
    ("a medianoche", None),
    ("a las 7", time(7, 0)),
    ("a las siete", time(7, 0)),
    ("a las 7 de la tarde", time(19, 0)),
    ("a las siete en punto", time(7, 0)),
    ("las 19:30", time(19, 30)),
    ("las 19.30 h", time(19, 30)),
    ("19 h", time(19, 0)),
    ("19 hs", time(19, 0)),
    ("19 horas", time(19, 0)),
    ("a la una", time(1, 0)),
    ("la una y media", time(1, 30)),
    ("uno", time(1, 0)),
    ("once", time(11, 0)),
    ("doce", time(12, 0)),
    ("diez de la noche", time(22, 0)),
    # numbers and English words work in a Spanish chat too
    ("7pm", time(19, 0)),
    ("19:30", time(19, 30)),
    ("noon", time(12, 0)),
    ("half past seven", time(7, 30)),
]

REJECTED_WORDS_EN = [
    "sevn",  # no fuzzy matching
    "thirteen",  # number words one..twelve only
    "zero",
    "half past",
    "quarter to",
    "half to eight",
    "past seven",
    "seven seven",
    "seven 30",
    "noon pm",
    "12 noon pm",
    "noon 7",
    "midnight at 7",
    "quarter to 0",  # before midnight: not a time of that day
    "quarter to twelve am",
    "2 at night",  # 02:00 or 14:00: ask again
    "12 in the evening",
    "13 in the evening",
    "0 in the morning",
    "1915 in the evening",
    "19h30 pm",  # 24-hour forms take no am/pm
    "7 hrs",  # a duration
    "at",
    "at at 7",
    "7pm at",
    "in the evening",
    "7 in the evening in the morning",
    "7 o'clock o'clock",
    "7 h h",
    "seven thirty thirty",
    "siete y media",  # Spanish words in an English chat
    "7 de la tarde",
    "once",  # an English word, and 11 in Spanish
    "mediodía",
    "a las 7",
]

REJECTED_WORDS_ES = [
    "siete y",
    "y media",
    "menos cuarto",
    "siete menos",
    "trece",
    "siete y tres cuartos",
    "de la tarde",
    "2 de la noche",
    "13 de la tarde",
    "0 de la mañana",
    "la",
    "a las",
    "a las a las 7",
    "las 7 las",
    "mañana",  # tomorrow (or morning): not a time
    "siete y media de la tarde de la noche",
    "7 en punto en punto",
    "sieteymedia",
    "ocho menos cuarto de la madrugada de la tarde",
    "7 y 60",
    "7 y 0",
    "siete y 200",
    "ocho menos 10",  # "menos" takes the words only: "8 menos 10" is read as a sum
    "siete y diez y cinco",
    "siete y treinta y cinco",
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED_WORDS_EN)
def test_english_words(text: str, expected: time) -> None:
    assert parse_local_time(text) == expected
    assert parse_local_time(text, "en") == expected
    assert parse_local_time(text, "en-GB") == expected


@pytest.mark.parametrize(("text", "expected"), ACCEPTED_WORDS_ES)
def test_spanish_words(text: str, expected: time | None) -> None:
    assert parse_local_time(text, "es") == expected
    assert parse_local_time(text, "es-MX") == expected


@pytest.mark.parametrize("text", REJECTED_WORDS_EN)
def test_rejected_words_en(text: str) -> None:
    assert parse_local_time(text) is None


@pytest.mark.parametrize("text", REJECTED_WORDS_ES)
def test_rejected_words_es(text: str) -> None:
    assert parse_local_time(text, "es") is None


@pytest.mark.parametrize("text", REJECTED)
def test_rejected_numbers_in_every_language(text: str) -> None:
    for language in ("es", "de", None, ""):
        assert parse_local_time(text, language) is None


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_numbers_in_every_language(text: str, expected: time) -> None:
    for language in ("es", "de", None, ""):
        assert parse_local_time(text, language) == expected


def test_an_unknown_language_reads_english_words() -> None:
    assert parse_local_time("half past seven", "de") == time(7, 30)
    assert parse_local_time("siete y media", "de") is None


# -- properties over the space of spoken times

EN_HOURS = ("one", "two", "three", "four", "five", "six")
EN_HOURS += ("seven", "eight", "nine", "ten", "eleven", "twelve")
ES_HOURS = ("una", "dos", "tres", "cuatro", "cinco", "seis")
ES_HOURS += ("siete", "ocho", "nueve", "diez", "once", "doce")


def _twelve(hour24: int) -> tuple[int, str]:
    return hour24 % 12 or 12, "am" if hour24 < 12 else "pm"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
def test_every_spoken_quarter_hour_reads_back(hour: int, minute: int) -> None:
    """English and Spanish phrases for a quarter hour all read as that time."""
    expected = time(hour, minute)
    twelve, suffix = _twelve(hour)
    word, word_es = EN_HOURS[twelve - 1], ES_HOURS[twelve - 1]
    minute_word = {0: "o'clock", 15: "fifteen", 30: "thirty", 45: "forty-five"}[minute]
    assert parse_local_time(f"{word} {minute_word} {suffix}") == expected
    assert parse_local_time(f"at {twelve}:{minute:02d} {suffix.upper()}") == expected
    # "quarter to" names the next hour, in the same half of the day unless it crosses 12
    nxt = time((hour + 1) % 24, 0)
    if minute == 45 and nxt.hour != 0:
        next_twelve, next_suffix = _twelve(nxt.hour)
        assert parse_local_time(f"quarter to {EN_HOURS[next_twelve - 1]} {next_suffix}") == (
            expected
        )
        spanish = f"{ES_HOURS[next_twelve - 1]} menos cuarto {next_suffix}"
        assert parse_local_time(spanish, "es") == expected
    if minute in (15, 30):
        fraction = "quarter" if minute == 15 else "half"
        assert parse_local_time(f"{fraction} past {word} {suffix}") == expected
        tail = "cuarto" if minute == 15 else "media"
        assert parse_local_time(f"a las {word_es} y {tail} {suffix}", "es") == expected
    if minute == 0:
        assert parse_local_time(f"{word_es} en punto {suffix}", "es") == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.sampled_from([0, 15, 30]))
def test_spanish_parts_of_the_day(hour: int, minute: int) -> None:
    tail = {0: "", 15: " y cuarto", 30: " y media"}[minute]
    word = ES_HOURS[hour - 1]
    assert parse_local_time(f"{word}{tail} de la mañana", "es") == time(hour % 12, minute)
    assert parse_local_time(f"{hour}{tail} de la tarde", "es") == time(hour % 12 + 12, minute)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ACCEPTED + ACCEPTED_WORDS_EN),
    st.lists(st.sampled_from(["", " ", "  ", "\t"]), min_size=2, max_size=2),
    st.booleans(),
)
def test_case_and_outer_spaces_do_not_matter(
    case: tuple[str, time], pads: list[str], upper: bool
) -> None:
    text, expected = case
    text = text.upper() if upper else text.lower()
    assert parse_local_time(pads[0] + text + pads[1]) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ACCEPTED + ACCEPTED_WORDS_EN),
    st.sampled_from(["tomorrow", "please", "7", "seven", "noon", ":", ".", "!", "x"]),
)
def test_anything_more_at_the_end_is_rejected(case: tuple[str, time], extra: str) -> None:
    text, _ = case
    assert parse_local_time(f"{text} {extra}") is None
    assert parse_local_time(f"{extra} {text}") is None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30), st.sampled_from(["en", "es"]))
def test_any_text_gives_none_or_a_whole_minute(text: str, language: str) -> None:
    got = parse_local_time(text, language)
    assert got is None or (got.second, got.microsecond, got.tzinfo) == (0, 0, None)


SALAD = ("seven", "half", "past", "quarter", "to", "at", "pm", "am", "7", "19", ":", "30")
SALAD += ("y", "media", "menos", "cuarto", "de", "la", "tarde", "h", "noon", "o'clock")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(SALAD),
        max_size=6,
    ),
    st.sampled_from(["en", "es"]),
)
def test_word_salad_never_raises(words: list[str], language: str) -> None:
    got = parse_local_time(" ".join(words), language)
    assert got is None or isinstance(got, time)
