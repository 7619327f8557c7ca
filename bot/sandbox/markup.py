"""HTML and MarkdownV2 parsing as Telegram does it: plain text plus entities.

Offsets and lengths are in UTF-16 code units (as in the Bot API). Broken markup raises
`can't parse entities: ...` so a formatting bug fails in tests, not in production.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.errors import ApiError, bad_request

Entity = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}
_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MD_RESERVED = set("_*[]()~`>#+-=|{}.!")


def utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


class _Out:
    """Collects plain text while tracking the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += utf16_len(text)

    def text(self) -> str:
        return "".join(self.parts)


def parse(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Plain text and entities for a text with the given parse_mode (None = as is)."""
    if parse_mode is None or parse_mode == "":
        return text, []
    if parse_mode == "HTML":
        plain, entities = parse_html(text)
    elif parse_mode == "MarkdownV2":
        plain, entities = parse_markdown_v2(text)
    elif parse_mode == "Markdown":
        raise ApiError(501, "Not Implemented: parse_mode Markdown (legacy) is not emulated")
    else:
        raise bad_request("unsupported parse_mode")
    return strip_text(plain, entities)


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Telegram trims surrounding whitespace and drops empty entities."""
    left = len(text) - len(text.lstrip())
    shift = utf16_len(text[:left])
    stripped = text.strip()
    end = utf16_len(stripped)
    result = []
    for ent in entities:
        start = max(ent["offset"] - shift, 0)
        stop = min(ent["offset"] + ent["length"] - shift, end)
        if stop > start:
            result.append({**ent, "offset": start, "length": stop - start})
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return stripped, result


# --- HTML -------------------------------------------------------------------------------


def parse_html(source: str) -> tuple[str, list[Entity]]:
    out = _Out()
    entities: list[Entity] = []
    stack: list[tuple[str, int, dict[str, Any]]] = []  # (tag, start, extra)
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            semi = source.find(";", i + 1, i + 12)
            name = source[i + 1 : semi] if semi != -1 else ""
            if name in _HTML_ENTITIES:
                out.add(_HTML_ENTITIES[name])
                i = semi + 1
                continue
            if name.startswith("#") and name[1:].lstrip("x").isalnum():
                try:
                    code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
                    out.add(chr(code))
                    i = semi + 1
                    continue
                except ValueError:
                    pass
            out.add("&")
            i += 1
            continue
        if ch != "<":
            j = i
            while j < n and source[j] not in "<&":
                j += 1
            out.add(source[i:j])
            i = j
            continue
        offset = len(source[:i].encode("utf-8"))
        close = source.find(">", i)
        if close == -1:
            raise _error(f"Unclosed start tag at byte offset {offset}")
        inner = source[i + 1 : close]
        i = close + 1
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise _error(f"Unexpected end tag at byte offset {offset}")
            tag, start, extra = stack.pop()
            if name != tag:
                raise _error(
                    f'Unmatched end tag at byte offset {offset}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            _close_html(entities, tag, start, out.pos, extra, stack)
            continue
        name, attrs = _tag_parts(inner, offset)
        if name not in _HTML_TAGS:
            raise _error(f'Unsupported start tag "{name}" at byte offset {offset}')
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "a" and not attrs.get("href"):
            raise _error(f'Tag "a" must have attribute "href" at byte offset {offset}')
        stack.append((name, out.pos, attrs))
    if stack:
        raise _error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.text(), entities


def _close_html(
    entities: list[Entity],
    tag: str,
    start: int,
    end: int,
    attrs: dict[str, Any],
    stack: list[tuple[str, int, dict[str, Any]]],
) -> None:
    kind = _HTML_TAGS[tag]
    entity: Entity = {"type": kind, "offset": start, "length": end - start}
    if tag == "a":
        entity["url"] = attrs["href"]
    if tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    if (
        tag == "code"
        and stack
        and stack[-1][0] == "pre"
        and attrs.get("class", "").startswith("language-")
    ):
        stack[-1][2]["language"] = attrs["class"].removeprefix("language-")
    if tag == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    if end > start:
        entities.append(entity)


def _tag_parts(inner: str, offset: int) -> tuple[str, dict[str, str]]:
    """Tag name and attributes of a start tag (quoted or bare values)."""
    inner = inner.strip()
    if inner.endswith("/"):
        inner = inner[:-1]
    j = 0
    while j < len(inner) and not inner[j].isspace():
        j += 1
    name = inner[:j].lower()
    if not name:
        raise _error(f"Empty tag name at byte offset {offset}")
    attrs: dict[str, str] = {}
    rest = inner[j:]
    k = 0
    while k < len(rest):
        if rest[k].isspace():
            k += 1
            continue
        m = k
        while m < len(rest) and rest[m] not in "= \t\n":
            m += 1
        key = rest[k:m].lower()
        k = m
        if k < len(rest) and rest[k] == "=":
            k += 1
            if k < len(rest) and rest[k] in "\"'":
                quote = rest[k]
                end = rest.find(quote, k + 1)
                if end == -1:
                    raise _error(f"Unclosed attribute value at byte offset {offset}")
                value = rest[k + 1 : end]
                k = end + 1
            else:
                m = k
                while m < len(rest) and not rest[m].isspace():
                    m += 1
                value = rest[k:m]
                k = m
            for ent, char in _HTML_ENTITIES.items():
                value = value.replace(f"&{ent};", char)
            attrs[key] = value
        else:
            attrs[key] = ""
    return name, attrs


# --- MarkdownV2 -------------------------------------------------------------------------

_MD_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    out = _Out()
    entities: list[Entity] = []
    stack: list[tuple[str, int, int]] = []  # (kind, start, byte offset of the opener)
    quote_start: int | None = None
    i = 0
    n = len(source)

    def byte_at(k: int) -> int:
        return len(source[:k].encode("utf-8"))

    def toggle(kind: str, width: int) -> None:
        if stack and stack[-1][0] == kind:
            _, start, _ = stack.pop()
            if out.pos > start:
                entities.append({"type": kind, "offset": start, "length": out.pos - start})
        elif any(entry[0] == kind for entry in stack):
            raise _error(
                f"Can't find end of {_MD_NAMES[stack[-1][0]]} entity at byte offset {stack[-1][2]}"
            )
        else:
            stack.append((kind, out.pos, byte_at(i)))

    while i < n:
        ch = source[i]
        at_line_start = i == 0 or source[i - 1] == "\n"
        if ch == "\\":
            if i + 1 < n:
                out.add(source[i + 1])
                i += 2
            else:
                raise _error(
                    "Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            continue
        if ch == ">" and at_line_start:
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        if ch == "\n" and quote_start is not None and not source.startswith(">", i + 1):
            if out.pos > quote_start:
                entities.append(
                    {"type": "blockquote", "offset": quote_start, "length": out.pos - quote_start}
                )
            quote_start = None
        if ch == "`":
            i = _md_code(source, i, out, entities, byte_at(i))
            continue
        if ch == "*":
            toggle("bold", 1)
            i += 1
            continue
        if ch == "_":
            if source.startswith("__", i):
                toggle("underline", 2)
                i += 2
            else:
                toggle("italic", 1)
                i += 1
            continue
        if ch == "~":
            toggle("strikethrough", 1)
            i += 1
            continue
        if ch == "|" and source.startswith("||", i):
            toggle("spoiler", 2)
            i += 2
            continue
        if ch == "[":
            stack.append(("text_link", out.pos, byte_at(i)))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "text_link":
            _, start, opener = stack.pop()
            if not source.startswith("(", i + 1):
                raise _error(f"Can't find end of TextUrl entity at byte offset {opener}")
            url, i = _md_url(source, i + 2, opener)
            if out.pos > start:
                entities.append(
                    {"type": "text_link", "offset": start, "length": out.pos - start, "url": url}
                )
            continue
        if ch in _MD_RESERVED:
            raise _error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        out.add(ch)
        i += 1
    if stack:
        kind, _, opener = stack[-1]
        raise _error(f"Can't find end of {_MD_NAMES[kind]} entity at byte offset {opener}")
    if quote_start is not None and out.pos > quote_start:
        entities.append(
            {"type": "blockquote", "offset": quote_start, "length": out.pos - quote_start}
        )
    return out.text(), entities


def _md_code(source: str, i: int, out: _Out, entities: list[Entity], opener: int) -> int:
    """Inline `code` or ```pre``` block; inside, only ` and \\ are special."""
    if source.startswith("```", i):
        end = source.find("```", i + 3)
        if end == -1:
            raise _error(f"Can't find end of Pre entity at byte offset {opener}")
        body = source[i + 3 : end]
        language = ""
        first, sep, rest = body.partition("\n")
        if sep and first and " " not in first:
            language, body = first, rest
        body = _unescape_code(body)
        start = out.pos
        out.add(body)
        entity: Entity = {"type": "pre", "offset": start, "length": out.pos - start}
        if language:
            entity["language"] = language
        if out.pos > start:
            entities.append(entity)
        return end + 3
    end = i + 1
    while end < len(source) and source[end] != "`":
        end += 2 if source[end] == "\\" else 1
    if end >= len(source):
        raise _error(f"Can't find end of Code entity at byte offset {opener}")
    start = out.pos
    out.add(_unescape_code(source[i + 1 : end]))
    if out.pos > start:
        entities.append({"type": "code", "offset": start, "length": out.pos - start})
    return end + 1


def _unescape_code(body: str) -> str:
    return body.replace("\\\\", "\x00").replace("\\`", "`").replace("\x00", "\\")


def _md_url(source: str, i: int, opener: int) -> tuple[str, int]:
    chars: list[str] = []
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            chars.append(source[i + 1])
            i += 2
            continue
        if ch == ")":
            return "".join(chars), i + 1
        chars.append(ch)
        i += 1
    raise _error(f"Can't find end of a url at byte offset {opener}")
