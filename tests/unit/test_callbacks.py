import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.callbacks import MAX_ID, Action, Callback, InvalidCallback, decode, encode


def test_round_trip_of_every_action() -> None:
    for action in Action:
        callback = Callback(action, session_id=123456789, rev=42, arg="2")
        assert decode(encode(callback)) == callback


@given(
    st.sampled_from(list(Action)),
    st.integers(min_value=0, max_value=MAX_ID),
    st.integers(min_value=0, max_value=MAX_ID),
    st.from_regex(r"[A-Za-z0-9_.\-/+]{0,44}", fullmatch=True),
)
def test_round_trip_fits_telegram_limit(action: Action, sid: int, rev: int, arg: str) -> None:
    data = encode(Callback(action, sid, rev, arg))
    assert len(data.encode()) <= 64
    assert decode(data) == Callback(action, sid, rev, arg)


@pytest.mark.parametrize(
    "data",
    [
        None,
        1,
        1.5,
        ["1:nx:1:1:"],
        "",
        "hello",
        "2:nx:1:1:",  # unknown version
        "1:zz:1:1:",  # unknown action
        "1:nx:1:1",  # missing field
        "1:nx:1:1::",  # extra field
        "1:nx:-1:1:",  # negative
        "1:nx:01:1:",  # leading zero is not what encode produces
        "1:nx:1:1:<script>",
        "1:nx:1:1:" + "a" * 60,  # over 64 bytes
        "1:nx:ZZ:1:",  # upper-case digits
        "1:nx:zik0zk:1:",  # 2**31: over what a database integer column holds
        "1:nx:1:zik0zk:",
        "1:nx:1y2p0ij32e8e8:1:",  # 2**63: over SQLite's integers
    ],
)
def test_forged_payloads_are_rejected(data: object) -> None:
    with pytest.raises(InvalidCallback):
        decode(data)


@given(st.text(max_size=80))
def test_decode_never_raises_anything_but_invalid_callback(data: str) -> None:
    try:
        callback = decode(data)
    except InvalidCallback:
        return
    assert encode(callback) == data


def test_encode_refuses_what_it_cannot_decode() -> None:
    with pytest.raises(ValueError, match="cannot be encoded"):
        encode(Callback(Action.NEXT, 1, 1, "a:b"))


def test_encode_refuses_numbers_a_database_cannot_hold() -> None:
    with pytest.raises(ValueError, match="out of range"):
        encode(Callback(Action.NEXT, MAX_ID + 1, 0))


def test_every_installed_zone_fits_a_zone_button() -> None:
    """A place typed by the patient may be in any zone: its button carries the zone whole
    ("America/Argentina/ComodRivadavia", "Etc/GMT+5") and reads back the same."""
    from zoneinfo import available_timezones

    from bot.core.ui.settings import DaysAndTime, ZoneChoice, ZoneName

    draft = DaysAndTime(127, "07:30")
    for zone in available_timezones() - {"localtime"}:  # the host's own: never stored
        choice = ZoneChoice(draft, ZoneName(zone))
        data = encode(Callback(Action.SET_ZONE, 0, 0, choice.arg()))
        assert len(data.encode()) <= 64
        assert ZoneChoice.parse(decode(data).arg) == choice
