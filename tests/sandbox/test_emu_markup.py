"""HTML and MarkdownV2 are parsed for real: plain text plus UTF-16 entities, or Telegram's error."""

from __future__ import annotations

import pytest
from emu_helpers import Api

from bot.sandbox.emulator import Emulator
from bot.sandbox.errors import ApiError
from bot.sandbox.markup import parse


def test_html_entities_and_tags() -> None:
    text, entities = parse(
        '<b>Bold</b> <i>it</i> <a href="https://x.org/?a=1&amp;b=2">link</a> '
        "&lt;3 &amp; &quot;q&quot;",
        "HTML",
    )
    assert text == 'Bold it link <3 & "q"'
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 5, "length": 2},
        {"type": "text_link", "offset": 8, "length": 4, "url": "https://x.org/?a=1&b=2"},
    ]


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("b", "bold"),
        ("strong", "bold"),
        ("i", "italic"),
        ("em", "italic"),
        ("u", "underline"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("code", "code"),
        ("pre", "pre"),
        ("tg-spoiler", "spoiler"),
        ("blockquote", "blockquote"),
    ],
)
def test_each_html_tag(tag: str, kind: str) -> None:
    assert parse(f"x <{tag}>yz</{tag}>", "HTML") == (
        "x yz",
        [{"type": kind, "offset": 2, "length": 2}],
    )


def test_span_spoiler_and_pre_language() -> None:
    assert parse('<span class="tg-spoiler">s</span>', "HTML")[1] == [
        {"type": "spoiler", "offset": 0, "length": 1}
    ]
    text, entities = parse('<pre><code class="language-python">x = 1</code></pre>', "HTML")
    assert text == "x = 1"
    assert {"type": "pre", "offset": 0, "length": 5, "language": "python"} in entities


def test_offsets_are_utf16() -> None:
    text, entities = parse("😀 <b>hi</b>", "HTML")
    assert text == "😀 hi"
    assert entities == [{"type": "bold", "offset": 3, "length": 2}]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("<a>x</a>", 'Tag "a" must have attribute "href" at byte offset 0'),
        ("a < b", "Unclosed start tag at byte offset 2"),
    ],
)
def test_broken_html(source: str, reason: str) -> None:
    with pytest.raises(ApiError) as err:
        parse(source, "HTML")
    assert err.value.description == f"Bad Request: can't parse entities: {reason}"


def test_markdown_v2_entities() -> None:
    text, entities = parse(
        r"*b* _i_ __u__ ~s~ ||p|| `c` [l](https://x.org/a\)b) 1\.5\!", "MarkdownV2"
    )
    assert text == "b i u s p c l 1.5!"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 1},
        {"type": "italic", "offset": 2, "length": 1},
        {"type": "underline", "offset": 4, "length": 1},
        {"type": "strikethrough", "offset": 6, "length": 1},
        {"type": "spoiler", "offset": 8, "length": 1},
        {"type": "code", "offset": 10, "length": 1},
        {"type": "text_link", "offset": 12, "length": 1, "url": "https://x.org/a)b"},
    ]


def test_markdown_v2_pre_and_quote() -> None:
    text, entities = parse("```python\nx = 1\n```", "MarkdownV2")
    assert text == "x = 1"
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    text, entities = parse(">quoted\n>more\nplain", "MarkdownV2")
    assert text == "quoted\nmore\nplain"
    assert entities == [{"type": "blockquote", "offset": 0, "length": 11}]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("1.5", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("Hi!", "Character '!' is reserved and must be escaped with the preceding '\\'"),
        ("*open", "Can't find end of Bold entity at byte offset 0"),
        ("ok _open", "Can't find end of Italic entity at byte offset 3"),
        ("`code", "Can't find end of Code entity at byte offset 0"),
    ],
)
def test_broken_markdown_v2(source: str, reason: str) -> None:
    with pytest.raises(ApiError) as err:
        parse(source, "MarkdownV2")
    assert err.value.description == f"Bad Request: can't parse entities: {reason}"


async def test_parse_error_over_http(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    reply = await api("sendMessage", chat_id=user.id, text="<b>x", parse_mode="HTML")
    assert reply.status == 400
    assert reply.description.startswith("Bad Request: can't parse entities: ")
    assert user.bot_messages == []


async def test_entities_stored_and_returned(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    reply = await api("sendMessage", chat_id=user.id, text="*Hi* there", parse_mode="MarkdownV2")
    assert reply.result["text"] == "Hi there"
    assert reply.result["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    assert user.last_bot_message().entities == reply.result["entities"]


async def test_markup_only_text_is_empty(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    reply = await api("sendMessage", chat_id=user.id, text="<b> </b>", parse_mode="HTML")
    assert reply.description == "Bad Request: message text is empty"
