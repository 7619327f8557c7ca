"""HTTP control API under /_sandbox/: drive simulated users and faults from another process."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.models import ChatEvent, ChatMessage
from bot.sandbox.world import NoSuchButton, SimUser

if TYPE_CHECKING:
    from bot.sandbox.emulator import Emulator

PREFIX = "/_sandbox"


def message_json(msg: ChatMessage) -> dict[str, Any]:
    return {
        "message_id": msg.message_id,
        "from_bot": msg.from_bot,
        "text": msg.text,
        "entities": msg.entities,
        "buttons": [[dataclasses.asdict(b) for b in row] for row in msg.buttons],
        "edits": msg.edits,
        "deleted": msg.deleted,
        "date": msg.date.isoformat(),
        "photo": msg.photo,
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
            raise web.HTTPNotFound(
                text='{"error": "no such user"}', content_type="application/json"
            ) from None

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
        if data.get("sticker"):
            return web.json_response({"update_id": user.send_sticker()})
        return web.json_response({"update_id": user.send_text(str(data["text"]))})

    async def tap(request: web.Request) -> web.Response:
        data = await body(request)
        user = user_of(request)
        try:
            if "data" in data:
                update_id = user.tap_data(int(data["message_id"]), str(data["data"]))
            else:
                update_id = user.tap(
                    data.get("label"),
                    pattern=data.get("pattern"),
                    message_id=data.get("message_id"),
                )
        except NoSuchButton as exc:
            return web.json_response({"error": str(exc), "available": exc.available}, status=404)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"update_id": update_id})

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
            )
        elif kind == "delay":
            emu.faults.delay_next(n, float(data["seconds"]), method=method)
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
    r.add_get(f"{PREFIX}/events", events)
    r.add_get(f"{PREFIX}/calls", calls)
    r.add_post(f"{PREFIX}/faults", faults)
    r.add_delete(f"{PREFIX}/faults", clear_faults)
    r.add_post(f"{PREFIX}/wait_delivered", wait_delivered)
    r.add_get(f"{PREFIX}/status", status)


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool | list | dict) or value is None:
        return value
    return repr(value)
