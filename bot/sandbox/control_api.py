"""HTTP control API under /_sandbox/: drive simulated users and faults from another process."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.chats import SimChat
from bot.sandbox.media import media_summary
from bot.sandbox.models import ChatEvent, ChatMessage
from bot.sandbox.world import NoSuchButton, SimUser

if TYPE_CHECKING:
    from bot.sandbox.emulator import Emulator

PREFIX = "/_sandbox"
MAX_EVENT_WAIT_SECONDS = 60.0
_WAIT_PARAMS = frozenset({"since", "timeout", "kinds"})
_KIND = re.compile(r"[a-z][a-z_]*")
_INDEX = re.compile(r"[0-9]+")


def message_json(msg: ChatMessage) -> dict[str, Any]:
    return {
        "message_id": msg.message_id,
        "chat_id": msg.chat_id,
        "from_bot": msg.from_bot,
        "sender_id": msg.sender_id,
        "text": msg.text,
        "entities": msg.entities,
        "buttons": [[dataclasses.asdict(b) for b in row] for row in msg.buttons],
        "edits": msg.edits,
        "deleted": msg.deleted,
        "date": msg.date.isoformat(),
        "photo": msg.photo,
        "media": media_summary(msg.media) if msg.media is not None else None,
    }


def event_json(event: ChatEvent) -> dict[str, Any]:
    data = dataclasses.asdict(event)
    data["at"] = event.at.isoformat()
    return data


def user_json(user: SimUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "chat_id": user.chat_id,
        "first_name": user.first_name,
        "language_code": user.language_code,
        "blocked": user.blocked,
    }


def chat_json(chat: SimChat) -> dict[str, Any]:
    return {
        **chat.as_chat(),
        "members": [m.id for m in chat.members],
        "bot_status": chat.bot_status,
    }


def _not_found(what: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=json.dumps({"error": what}), content_type="application/json")


def add_control_routes(app: web.Application, emu: Emulator) -> None:
    """Register the control endpoints (they do not need the bot token: loopback only)."""

    async def body(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        data = await request.json()
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(
                text='{"error": "JSON object expected"}', content_type="application/json"
            )
        return data

    def user_of(request: web.Request) -> SimUser:
        try:
            return emu.world.user(int(request.match_info["user_id"]))
        except (KeyError, ValueError):
            raise _not_found("no such user") from None

    def chat_of(chat_id: Any) -> SimChat:
        try:
            return emu.world.chat(int(chat_id))
        except (KeyError, ValueError, TypeError):
            raise _not_found("no such chat") from None

    def where(data: dict[str, Any]) -> SimChat | None:
        """The group a user acts in (`chat_id`), or None for their private chat."""
        return chat_of(data["chat_id"]) if data.get("chat_id") is not None else None

    async def create_user(request: web.Request) -> web.Response:
        data = await body(request)
        try:
            user = emu.world.create_user(
                user_id=data.get("user_id"),
                first_name=data.get("first_name", "Alex"),
                language_code=data.get("language_code", "en"),
            )
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=409)
        return web.json_response(user_json(user))

    async def list_users(request: web.Request) -> web.Response:
        return web.json_response([user_json(u) for u in emu.world.users.values()])

    async def send(request: web.Request) -> web.Response:
        data = await body(request)
        user = user_of(request)
        chat = where(data)
        try:
            if data.get("sticker"):
                update_id = user.send_sticker(chat=chat)
            elif data.get("photo"):
                update_id = user.send_photo(str(data["photo"]), data.get("caption"), chat=chat)
            else:
                update_id = user.send_text(str(data["text"]), chat=chat)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"update_id": update_id})

    async def tap(request: web.Request) -> web.Response:
        data = await body(request)
        user = user_of(request)
        chat = where(data)
        try:
            if "data" in data:
                update_id = user.tap_data(int(data["message_id"]), str(data["data"]), chat=chat)
            else:
                update_id = user.tap(
                    data.get("label"),
                    pattern=data.get("pattern"),
                    message_id=data.get("message_id"),
                    chat=chat,
                )
        except NoSuchButton as exc:
            return web.json_response({"error": str(exc), "available": exc.available}, status=404)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"update_id": update_id})

    async def create_group(request: web.Request) -> web.Response:
        data = await body(request)
        try:
            members = [emu.world.user(int(uid)) for uid in data.get("members", [])]
            chat = emu.world.create_group(
                str(data.get("title", "Group")),
                members,
                kind=str(data.get("kind", "group")),
                chat_id=data.get("chat_id"),
                username=data.get("username"),
                bot_admin=data.get("bot_admin"),
            )
        except KeyError:
            raise _not_found("no such user") from None
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=409)
        return web.json_response(chat_json(chat))

    async def group(request: web.Request) -> web.Response:
        chat = chat_of(request.match_info["chat_id"])
        messages = [message_json(m) for m in chat.messages]
        return web.json_response({"chat": chat_json(chat), "messages": messages})

    async def channel_post(request: web.Request) -> web.Response:
        data = await body(request)
        chat = chat_of(request.match_info["chat_id"])
        try:
            return web.json_response({"update_id": chat.post(str(data["text"]))})
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)

    async def remove_bot(request: web.Request) -> web.Response:
        data = await body(request)
        chat = chat_of(request.match_info["chat_id"])
        by = emu.world.users.get(int(data.get("by", 0)))
        if by is None and chat.members:
            by = chat.members[0]
        if by is None:
            return web.json_response({"error": "give `by`, a user id"}, status=400)
        return web.json_response({"update_id": chat.remove_bot(by)})

    async def push_raw(request: web.Request) -> web.Response:
        """Any JSON body becomes an update, unchecked (hostile-input tests)."""
        try:
            update = await request.json()
        except ValueError:
            return web.json_response({"error": "the body must be JSON"}, status=400)
        flags = request.query
        update_id = emu.world.push_raw(
            update,
            filtered=flags.get("filtered") in ("1", "true"),
            assign_id=flags.get("assign_id") not in ("0", "false"),
        )
        return web.json_response({"update_id": update_id})

    async def sent(request: web.Request) -> web.Response:
        by_chat = emu.world.sent_by_chat()
        return web.json_response(
            {str(cid): [message_json(m) for m in msgs] for cid, msgs in by_chat.items()}
        )

    async def location(request: web.Request) -> web.Response:
        data = await body(request)
        user = user_of(request)
        update_id = user.share_location(float(data["latitude"]), float(data["longitude"]))
        return web.json_response({"update_id": update_id})

    async def block(request: web.Request) -> web.Response:
        user_of(request).block()
        return web.json_response({"ok": True})

    async def unblock(request: web.Request) -> web.Response:
        user_of(request).unblock()
        return web.json_response({"ok": True})

    async def chat(request: web.Request) -> web.Response:
        user = user_of(request)
        return web.json_response(
            {
                "user": user_json(user),
                "messages": [message_json(m) for m in user.messages],
                "toasts": user.toasts,
            }
        )

    async def events(request: web.Request) -> web.Response:
        since = int(request.query.get("since", 0))
        return web.json_response([event_json(ev) for ev in emu.world.events[since:]])

    async def wait_events(request: web.Request) -> web.Response:
        """Long poll: the events from index `since` (of `kinds`, comma-separated, if given),
        answered as soon as there is at least one, or empty after `timeout` seconds; `next`
        is the index to ask from next time."""
        since, seconds, kinds = _wait_query(request.query, len(emu.world.events))
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            end = len(emu.world.events)
            found = emu.world.events_since(since, kinds)
            left = deadline - asyncio.get_running_loop().time()
            if found or emu.closing or left <= 0:
                return web.json_response({"events": [event_json(ev) for ev in found], "next": end})
            since = end
            await emu.world.wait_event(left)

    async def calls(request: web.Request) -> web.Response:
        since = int(request.query.get("since", 0))
        return web.json_response(
            [
                {
                    "method": c.method,
                    "params": {k: _jsonable(v) for k, v in c.params.items()},
                    "status": c.status,
                    "ok": c.ok,
                    "description": c.description,
                    "at": c.at.isoformat(),
                }
                for c in emu.calls[since:]
            ]
        )

    async def faults(request: web.Request) -> web.Response:
        data = await body(request)
        kind = data.get("kind", "fail")
        method = data.get("method")
        n = int(data.get("n", 1))
        if kind == "fail":
            emu.faults.fail_next(
                n,
                status=int(data.get("status", 429)),
                method=method,
                retry_after=int(data.get("retry_after", 3)),
                description=data.get("description"),
            )
        elif kind == "delay":
            emu.faults.delay_next(
                n, float(data["seconds"]), method=method, apply_first=bool(data.get("apply_first"))
            )
        elif kind == "drop":
            emu.faults.drop_next(n, method=method)
        elif kind == "random":
            emu.faults.random(
                float(data["fraction"]),
                int(data["seed"]),
                statuses=tuple(data.get("statuses", (500,))),
                method=method,
            )
        else:
            return web.json_response({"error": f"unknown fault kind {kind!r}"}, status=400)
        return web.json_response({"ok": True})

    async def clear_faults(request: web.Request) -> web.Response:
        emu.faults.clear()
        return web.json_response({"ok": True})

    async def wait_delivered(request: web.Request) -> web.Response:
        data = await body(request)
        try:
            await emu.world.wait_delivered(float(data.get("timeout", 10.0)))
        except TimeoutError as exc:
            return web.json_response({"error": str(exc)}, status=504)
        return web.json_response({"ok": True})

    async def status(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "pending_updates": emu.world.pending_updates,
                "webhook_url": emu.webhook.url,
                "users": len(emu.world.users),
                "chats": len(emu.world.chats),
                "calls": len(emu.calls),
            }
        )

    r = app.router
    r.add_post(f"{PREFIX}/users", create_user)
    r.add_get(f"{PREFIX}/users", list_users)
    r.add_post(f"{PREFIX}/users/{{user_id}}/send", send)
    r.add_post(f"{PREFIX}/users/{{user_id}}/tap", tap)
    r.add_post(f"{PREFIX}/users/{{user_id}}/location", location)
    r.add_post(f"{PREFIX}/users/{{user_id}}/block", block)
    r.add_post(f"{PREFIX}/users/{{user_id}}/unblock", unblock)
    r.add_get(f"{PREFIX}/users/{{user_id}}/chat", chat)
    r.add_post(f"{PREFIX}/groups", create_group)
    r.add_get(f"{PREFIX}/chats/{{chat_id}}", group)
    r.add_post(f"{PREFIX}/chats/{{chat_id}}/post", channel_post)
    r.add_post(f"{PREFIX}/chats/{{chat_id}}/remove_bot", remove_bot)
    r.add_post(f"{PREFIX}/updates", push_raw)
    r.add_get(f"{PREFIX}/sent", sent)
    r.add_get(f"{PREFIX}/events", events)
    r.add_get(f"{PREFIX}/events/wait", wait_events)
    r.add_get(f"{PREFIX}/calls", calls)
    r.add_post(f"{PREFIX}/faults", faults)
    r.add_delete(f"{PREFIX}/faults", clear_faults)
    r.add_post(f"{PREFIX}/wait_delivered", wait_delivered)
    r.add_get(f"{PREFIX}/status", status)


def _bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


def _wait_query(query: Any, event_count: int) -> tuple[int, float, frozenset[str] | None]:
    """since (0..number of events), timeout (0..60 s, default 10), kinds (names); 400 for
    anything else, unknown parameters included."""
    unknown = sorted(set(query) - _WAIT_PARAMS)
    if unknown:
        raise _bad_request(f"unknown parameter {unknown[0]!r}")
    raw_since = query.get("since", "0")
    if not _INDEX.fullmatch(raw_since) or int(raw_since) > event_count:
        raise _bad_request(f"since must be an integer within 0..{event_count}")
    try:
        seconds = float(query.get("timeout", "10"))
    except ValueError:
        raise _bad_request("timeout must be a number of seconds") from None
    if not 0 <= seconds <= MAX_EVENT_WAIT_SECONDS:  # also refuses nan
        raise _bad_request(f"timeout must be within 0..{MAX_EVENT_WAIT_SECONDS:g} seconds")
    kinds: frozenset[str] | None = None
    if "kinds" in query:
        names = query["kinds"].split(",")
        if not all(_KIND.fullmatch(name) for name in names):
            raise _bad_request("kinds must be event kinds separated by commas, e.g. bot_edit")
        kinds = frozenset(names)
    return int(raw_since), seconds, kinds


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)
