"""Invite links and a patient's own dose, pure: tokens and their hashes, /invite and /dose
arguments checked against content's limits, and the dose in words."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.model import Content, Dose
from bot.core.callbacks import Callback, InvalidCallback, decode, encode
from bot.core.dose import Problem, dose_text, dose_words, effective, parse_items
from bot.core.invites import (
    TOKEN_LENGTH,
    link,
    looks_like_token,
    new_token,
    parse_invite,
    token_hash,
    valid_ref,
)
from bot.core.ui.language import LanguageChoice
from bot.core.ui.onboarding import AgreeIn, consent_screen


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


def test_tokens_are_random_urlsafe_and_stored_only_as_sha256() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert len(token) == TOKEN_LENGTH and looks_like_token(token)
        assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
        assert token not in token_hash(token)
    assert link("clinic_bot", "abc") == "https://t.me/clinic_bot?start=abc"


@pytest.mark.parametrize(
    "text", ["", "short", "A" * 21, "A" * 23, "A" * 21 + "!", "A" * 21 + "=", "ä" * 22]
)
def test_anything_but_a_token_shape_is_no_token(text: str) -> None:
    assert not looks_like_token(text)


@given(st.text(max_size=80))
def test_hashing_never_fails_on_what_a_client_sends(text: str) -> None:
    assert len(token_hash(text)) == 64


def test_agree_button_carries_the_token_within_telegrams_64_bytes(content: Content) -> None:
    token = new_token()
    screen = consent_screen(content, "es", token=token, program_title="x")
    agree = screen.buttons[0][0].callback
    data = encode(agree)
    assert len(data.encode()) <= 64
    parsed = AgreeIn.parse(decode(data).arg, content.languages)
    assert (parsed.lang, parsed.token) == ("es", token)
    assert AgreeIn.parse("en", content.languages).token is None
    for forged in ("en/short", "en/" + "A" * 21 + "!", "xx/" + token):
        with pytest.raises(InvalidCallback):
            AgreeIn.parse(forged, content.languages)
    with pytest.raises(
        ValueError, match="cannot be encoded"
    ):  # never a button that cannot be encoded
        encode(Callback(agree.action, arg="en/" + "A" * 60))


def test_the_other_languages_on_the_consent_screen_carry_the_token(content: Content) -> None:
    """Choosing a language before agreeing keeps the clinic's link (and so its program)."""
    token = new_token()
    screen = consent_screen(content, "en", token=token, program_title="x")
    [spanish] = screen.buttons[1]
    assert spanish.label == "Español"
    data = encode(spanish.callback)
    assert len(data.encode()) <= 64
    parsed = LanguageChoice.parse(decode(data).arg, content.languages)
    assert (parsed.code, parsed.token) == ("es", token)
    assert LanguageChoice.parse("es", content.languages).token is None
    for forged in ("es/short", "es/" + "A" * 21 + "!", "xx/" + token, "/" + token):
        with pytest.raises(InvalidCallback):
            LanguageChoice.parse(forged, content.languages)
    [english] = consent_screen(content, "es").buttons[1]  # no link: no token
    assert LanguageChoice.parse(english.callback.arg, content.languages) == LanguageChoice("en")


def test_invite_arguments(content: Content) -> None:
    request = parse_invite(content, ["gentle-start", "ref=H-1234", "hook-lying-march.sets=3"])
    assert request.program_id == "gentle-start"
    assert request.clinic_ref == "H-1234"
    assert request.dose == {"hook-lying-march": {"sets": 3}}
    assert parse_invite(content, ["lower-back"]).dose == {}


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ([], "invite_usage"),
        (["neck"], "invite_no_program"),
        (["lower-back", "ref="], "invite_bad_ref"),
        (["lower-back", "ref=" + "x" * 33], "invite_bad_ref"),
        (["lower-back", "ref=<b>"], "invite_bad_ref"),
        (["lower-back", "ref=a", "ref=b"], "invite_bad_ref"),
        (["lower-back", "sets=3"], "dose_bad_item"),
        (["lower-back", "arm-leg-raises.sets=three"], "dose_bad_item"),
        (["lower-back", "arm-leg-raises.sets=-1"], "dose_bad_item"),
        (["lower-back", "side-plank.sets=3"], "dose_no_exercise"),
        (["lower-back", "hook-lying-march.reps=3"], "dose_no_field"),
        (["lower-back", "arm-leg-raises.per=2"], "dose_no_field"),
        (["lower-back", "arm-leg-raises.sets=0"], "dose_out_of_range"),
        (["lower-back", "arm-leg-raises.sets=21"], "dose_out_of_range"),
        (["lower-back", "hook-lying-march.duration_seconds=4"], "dose_out_of_range"),
        (["lower-back", "bird-dog.reps_max=2"], "dose_inconsistent"),
        (
            ["lower-back", "hook-lying-march.sets=3", "hook-lying-march.sets_max=2"],
            "dose_inconsistent",
        ),
    ],
)
def test_bad_invite_arguments_say_what_is_wrong(
    content: Content, args: list[str], key: str
) -> None:
    with pytest.raises(Problem) as raised:
        parse_invite(content, args)
    assert raised.value.key == key
    content.text("en", key, **({"programs": "x"} | raised.value.values))  # it can be shown


def test_a_lower_end_alone_means_exactly_that(content: Content) -> None:
    march = content.exercises["hook-lying-march"]  # 2 or 3 sets in content
    own = parse_items(content, ["hook-lying-march.sets=4"], {})
    assert own == {"hook-lying-march": {"sets": 4}}
    dose = effective(march, own["hook-lying-march"])
    assert (dose.sets, dose.sets_max, dose.duration_seconds) == (4, None, 30)
    # later items add to what the patient had; other exercises stay as they were
    base = {"arm-leg-raises": {"reps": 8}, "hook-lying-march": {"sets": 4, "sets_max": 5}}
    own = parse_items(content, ["hook-lying-march.duration_seconds=45"], base)
    assert own == {
        "arm-leg-raises": {"reps": 8},
        "hook-lying-march": {"sets": 4, "sets_max": 5, "duration_seconds": 45},
    }
    own = parse_items(content, ["hook-lying-march.sets=2"], own)  # its 5 goes with it
    assert own["hook-lying-march"] == {"sets": 2, "duration_seconds": 45}
    assert base["hook-lying-march"] == {"sets": 4, "sets_max": 5}  # not changed in place


def test_dose_in_words_per_language(content: Content) -> None:
    own = {"bird-dog": {"reps": 6, "reps_max": 8, "sets": 2}, "arm-leg-raises": {"reps": 4}}
    assert dose_text(content, "en", "bird-dog", own) == "6 to 8 times on each side, 2 rounds"
    assert dose_text(content, "es", "bird-dog", own) == ("de 6 a 8 veces por cada lado, 2 rondas")
    assert dose_text(content, "en", "arm-leg-raises", own) == ("4 times with each arm and each leg")
    # without an own dose: the content's words, whatever else the patient has
    assert dose_text(content, "en", "hook-lying-march", own) == (
        content.exercises["hook-lying-march"].dose_text
    )
    march = effective(content.exercises["hook-lying-march"], {"sets_max": 4})
    assert dose_words(content, "en", march) == "30 seconds each time, 2 or 4 rounds"
    # one repetition is said in the singular
    once = {"bird-dog": {"reps": 1}, "arm-leg-raises": {"reps": 1}}
    assert dose_text(content, "en", "bird-dog", once) == "once on each side"
    assert dose_text(content, "es", "arm-leg-raises", once) == (
        "una vez con cada brazo y cada pierna"
    )
    assert dose_words(content, "en", Dose(hold_breaths=1)) == "hold for one breath"
    assert dose_words(content, "es", Dose(hold_breaths=3)) == "aguanta 3 respiraciones"


def test_a_stored_dose_with_junk_is_read_safely(content: Content) -> None:
    march = content.exercises["hook-lying-march"]
    dose = effective(march, {"sets": True, "colour": 3, "duration_seconds": "40"})
    assert dose == march.dose


def test_refs() -> None:
    assert valid_ref("H-1234") and valid_ref("2026/17.a_b") and valid_ref("x" * 32)
    assert not valid_ref("-x") and not valid_ref("x" * 33) and not valid_ref("a b")
