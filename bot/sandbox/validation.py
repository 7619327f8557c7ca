"""Checks request parameters against the spec and decodes them into Python values.

Form and query values arrive as strings with every non-string value JSON-encoded (that is
how PTB sends them); JSON bodies carry native values. Both end up as the same dict.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.sandbox.errors import (
    BUTTON_DATA_INVALID,
    CHAT_ID_EMPTY,
    TEXT_EMPTY,
    ApiError,
    bad_request,
)
from bot.sandbox.spec import Field, Spec

_INT_RE = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "1", "True"}
_FALSE = {"false", "0", "False"}

# The wording Telegram uses when a required parameter is missing, where known.
_MISSING: dict[str, str] = {
    "chat_id": CHAT_ID_EMPTY,
    "text": TEXT_EMPTY,
    "callback_query_id": "query is too old and response timeout expired or query ID is invalid",
    "message_id": "message identifier is not specified",
    "photo": "there is no photo in the request",
    "animation": "there is no animation in the request",
    "video": "there is no video in the request",
    "document": "there is no document in the request",
    "media": "there is no media in the request",
    "action": "wrong parameter action in request",
    "url": "bad webhook: an HTTPS URL must be provided for webhook",
}

BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_MARKUP_KEYS = {
    "inline_keyboard": "InlineKeyboardMarkup",
    "keyboard": "ReplyKeyboardMarkup",
    "remove_keyboard": "ReplyKeyboardRemove",
    "force_reply": "ForceReply",
}


# Where file parts that no parameter names go (InputMedia refers to them as "attach://name").
ATTACHMENTS = "_attachments"


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"<file {self.filename!r} {len(self.data)} bytes>"


class Validator:
    """Validates one method call's parameters; built once per emulator."""

    def __init__(self, spec: Spec, *, strict_params: bool = True) -> None:
        self.spec = spec
        self.strict_params = strict_params

    def validate(self, method: str, raw: dict[str, Any]) -> dict[str, Any]:
        fields = self.spec.methods[method]
        out: dict[str, Any] = {}
        for name, value in raw.items():
            field = fields.get(name)
            if field is None and isinstance(value, UploadedFile):
                out.setdefault(ATTACHMENTS, {})[name] = value
                continue
            if field is None:
                if self.strict_params:
                    raise bad_request(f'unknown parameter "{name}"')
                continue
            out[name] = self._value(field, value)
        for field in fields.values():
            if field.required and _is_missing(out.get(field.name)):
                raise bad_request(_MISSING.get(field.name, f'parameter "{field.name}" is required'))
        return out

    def check(self, name: str, type_name: str, value: Any) -> Any:
        """Check one value against a spec type (for objects inside objects, e.g. InputMedia)."""
        return self._typed(name, type_name, value)

    # --- values -------------------------------------------------------------------------

    def _value(self, field: Field, value: Any) -> Any:
        if len(field.types) == 1:
            return self._typed(field.name, field.types[0], value)
        if field.name == "reply_markup":
            return self._reply_markup(value)
        if set(field.types) == {"Integer", "String"}:
            if isinstance(value, bool):
                raise _wrong_type(field.name, "Integer or String")
            if isinstance(value, int | str):
                return value
            raise _wrong_type(field.name, "Integer or String")
        if "InputFile" in field.types:
            if isinstance(value, UploadedFile | str):
                return value
            raise _wrong_type(field.name, "InputFile or String")
        for type_name in field.types:
            try:
                return self._typed(field.name, type_name, value)
            except ApiError:  # try the next alternative
                continue
        raise _wrong_type(field.name, " or ".join(field.types))

    def _typed(self, name: str, type_name: str, value: Any) -> Any:
        if type_name == "String":
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise _wrong_type(name, "String")
        if type_name == "Integer":
            return _integer(name, value)
        if type_name == "Float":
            return _float(name, value)
        if type_name == "Boolean":
            return _boolean(name, value)
        if type_name == "InputFile":
            if isinstance(value, UploadedFile | str):
                return value
            raise _wrong_type(name, "InputFile")
        if type_name.startswith("Array of "):
            items = _json_value(name, value, list, type_name)
            inner = type_name.removeprefix("Array of ")
            return [self._typed(name, inner, item) for item in items]
        if type_name == "InlineKeyboardMarkup":
            return self._inline_keyboard(_json_value(name, value, dict, type_name))
        if type_name == "InputMedia":  # its shape is checked by editMessageMedia, as Telegram does
            return _json_any(value, "can't parse input media JSON object")
        obj = _json_value(name, value, dict, type_name)
        self._check_object(name, type_name, obj)
        return obj

    def _check_object(self, name: str, type_name: str, obj: dict[str, Any]) -> None:
        """Required fields and primitive field types; unknown object fields are ignored."""
        if type_name in self.spec.subtypes:
            return  # a union such as BotCommandScope: its "type" field picks the shape
        fields = self.spec.types.get(type_name)
        if fields is None:
            return
        for field in fields.values():
            if field.required and field.name not in obj:
                raise bad_request(f'can\'t parse {type_name}: field "{field.name}" is missing')
        for key, val in obj.items():
            spec_field = fields.get(key)
            if spec_field is None or len(spec_field.types) != 1:
                continue
            kind = spec_field.types[0]
            ok = {
                "String": isinstance(val, str),
                "Integer": isinstance(val, int) and not isinstance(val, bool),
                "Boolean": isinstance(val, bool),
                "Float": isinstance(val, int | float) and not isinstance(val, bool),
            }.get(kind, True)
            if not ok:
                raise bad_request(f'can\'t parse {type_name}: field "{key}" must be of type {kind}')

    def _reply_markup(self, value: Any) -> dict[str, Any]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request("can't parse reply keyboard markup JSON object") from None
        if not isinstance(value, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        for key, type_name in _MARKUP_KEYS.items():
            if key in value:
                if type_name == "InlineKeyboardMarkup":
                    return self._inline_keyboard(value)
                self._check_object("reply_markup", type_name, value)
                return value
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _inline_keyboard(self, markup: dict[str, Any]) -> dict[str, Any]:
        rows = markup.get("inline_keyboard")
        if not isinstance(rows, list):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array'
            )
        for row in rows:
            if not isinstance(row, list):
                raise bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
                )
            for button in row:
                check_button(button)
        return markup


def check_button(button: Any) -> None:
    """One inline button: a text label and exactly one action field."""
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    actions = [key for key in BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(prefix + "exactly one of the optional fields must be used")
    action = actions[0]
    value = button[action]
    if action in (
        "url",
        "callback_data",
        "switch_inline_query",
        "switch_inline_query_current_chat",
    ):
        if not isinstance(value, str):
            raise bad_request(prefix + f'Field "{action}" must be of type String')
    elif not isinstance(value, dict):
        raise bad_request(prefix + f'Field "{action}" must be of type Object')
    if action == "callback_data" and not 1 <= len(value.encode("utf-8")) <= 64:
        raise bad_request(BUTTON_DATA_INVALID)
    if action == "url" and not value:
        raise bad_request("BUTTON_URL_INVALID")


def _is_missing(value: Any) -> bool:
    return value is None or value == ""


def _wrong_type(name: str, type_name: str) -> Exception:
    return bad_request(f'parameter "{name}" must be of type {type_name}')


def _integer(name: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value)
    raise _wrong_type(name, "Integer")


def _float(name: str, value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _wrong_type(name, "Float")


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _wrong_type(name, "Boolean")


def _json_any(value: Any, error: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error) from None
    return value


def _json_value(name: str, value: Any, kind: type, type_name: str) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    if not isinstance(value, kind):
        raise _wrong_type(name, type_name)
    return value
