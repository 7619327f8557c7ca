"""A thin async client for the emulator's HTTP control API (for tools in other processes)."""

from __future__ import annotations

import json as _json
from typing import Any

import aiohttp


class SandboxError(RuntimeError):
    """The control API refused a request (e.g. no such button); `.body` has the details."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"sandbox control API answered {status}: {body}")
        self.status = status
        self.body = body


class SandboxClient:
    """`SandboxClient("http://127.0.0.1:8081")`; use as an async context manager."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/_sandbox"
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(
        self, verb: str, path: str, json: Any = None, *, raw: bytes | None = None, **query: Any
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"} if raw is not None else None
        async with self._session.request(
            verb,
            self.url + path,
            json=json if raw is None else None,
            data=raw,
            headers=headers,
            params=query or None,
        ) as resp:
            body = await resp.json(content_type=None)
            if resp.status >= 400:
                raise SandboxError(resp.status, body)
            return body

    # --- users --------------------------------------------------------------------------

    async def create_user(
        self, user_id: int | None = None, first_name: str = "Alex", language_code: str = "en"
    ) -> dict[str, Any]:
        payload = {"user_id": user_id, "first_name": first_name, "language_code": language_code}
        return await self._request("POST", "/users", payload)

    async def users(self) -> list[dict[str, Any]]:
        return await self._request("GET", "/users")

    async def send_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> int:
        """The user writes in their private chat, or in the group `chat_id`."""
        payload = {"text": text, "chat_id": chat_id}
        return (await self._request("POST", f"/users/{user_id}/send", payload))["update_id"]

    async def send_sticker(self, user_id: int, *, chat_id: int | None = None) -> int:
        payload = {"sticker": True, "chat_id": chat_id}
        return (await self._request("POST", f"/users/{user_id}/send", payload))["update_id"]

    async def send_photo(
        self,
        user_id: int,
        name: str = "photo.jpg",
        caption: str | None = None,
        *,
        chat_id: int | None = None,
    ) -> int:
        payload = {"photo": name, "caption": caption, "chat_id": chat_id}
        return (await self._request("POST", f"/users/{user_id}/send", payload))["update_id"]

    async def share_location(self, user_id: int, latitude: float, longitude: float) -> int:
        payload = {"latitude": latitude, "longitude": longitude}
        return (await self._request("POST", f"/users/{user_id}/location", payload))["update_id"]

    async def tap(
        self,
        user_id: int,
        label: str | None = None,
        *,
        pattern: str | None = None,
        message_id: int | None = None,
        chat_id: int | None = None,
    ) -> int:
        payload = {
            "label": label,
            "pattern": pattern,
            "message_id": message_id,
            "chat_id": chat_id,
        }
        return (await self._request("POST", f"/users/{user_id}/tap", payload))["update_id"]

    async def tap_data(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> int:
        payload = {"message_id": message_id, "data": data, "chat_id": chat_id}
        return (await self._request("POST", f"/users/{user_id}/tap", payload))["update_id"]

    async def block(self, user_id: int) -> None:
        await self._request("POST", f"/users/{user_id}/block")

    async def unblock(self, user_id: int) -> None:
        await self._request("POST", f"/users/{user_id}/unblock")

    async def chat(self, user_id: int) -> dict[str, Any]:
        """{"user": ..., "messages": [...], "toasts": [...]}"""
        return await self._request("GET", f"/users/{user_id}/chat")

    # --- groups, channels and raw updates ------------------------------------------------

    async def create_group(
        self,
        title: str,
        members: list[int],
        *,
        kind: str = "group",
        chat_id: int | None = None,
        username: str | None = None,
        bot_admin: bool | None = None,
    ) -> dict[str, Any]:
        """A group, supergroup or channel with these user ids as members."""
        payload = {
            "title": title,
            "members": members,
            "kind": kind,
            "chat_id": chat_id,
            "username": username,
            "bot_admin": bot_admin,
        }
        return await self._request("POST", "/groups", payload)

    async def group(self, chat_id: int) -> dict[str, Any]:
        """{"chat": ..., "messages": [...]} of a group or channel."""
        return await self._request("GET", f"/chats/{chat_id}")

    async def channel_post(self, chat_id: int, text: str) -> int:
        return (await self._request("POST", f"/chats/{chat_id}/post", {"text": text}))["update_id"]

    async def remove_bot(self, chat_id: int, by: int) -> int:
        return (await self._request("POST", f"/chats/{chat_id}/remove_bot", {"by": by}))[
            "update_id"
        ]

    async def push_raw(self, update: Any, *, filtered: bool = False, assign_id: bool = True) -> Any:
        """Deliver any JSON value as an update, unchecked; returns its update_id (or None)."""
        query = {"filtered": str(filtered).lower(), "assign_id": str(assign_id).lower()}
        raw = _json.dumps(update).encode()  # any JSON value, null included
        body = await self._request("POST", "/updates", raw=raw, **query)
        return body["update_id"]

    async def sent(self) -> dict[int, list[dict[str, Any]]]:
        """Every message the bot sent, by chat id, in order."""
        body = await self._request("GET", "/sent")
        return {int(chat_id): messages for chat_id, messages in body.items()}

    # --- observation and faults ---------------------------------------------------------

    async def events(self, since: int = 0) -> list[dict[str, Any]]:
        return await self._request("GET", "/events", since=since)

    async def wait_events(
        self,
        since: int,
        *,
        seconds: float = 10.0,
        kinds: tuple[str, ...] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Events from index `since` (only `kinds`, if given), waiting up to `seconds` for
        the first; returns them and the index to ask from next."""
        query: dict[str, Any] = {"since": str(since), "timeout": repr(float(seconds))}
        if kinds is not None:
            query["kinds"] = ",".join(kinds)
        body = await self._request("GET", "/events/wait", **query)
        return body["events"], int(body["next"])

    async def calls(self, since: int = 0) -> list[dict[str, Any]]:
        return await self._request("GET", "/calls", since=since)

    async def status(self) -> dict[str, Any]:
        return await self._request("GET", "/status")

    async def wait_delivered(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await self._request("POST", "/wait_delivered", {"timeout": timeout})

    async def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        method: str | None = None,
        retry_after: int = 3,
        description: str | None = None,
    ) -> None:
        payload = {
            "kind": "fail",
            "n": n,
            "status": status,
            "method": method,
            "retry_after": retry_after,
            "description": description,
        }
        await self._request("POST", "/faults", payload)

    async def delay_next(
        self, n: int, seconds: float, method: str | None = None, *, apply_first: bool = False
    ) -> None:
        payload = {
            "kind": "delay",
            "n": n,
            "seconds": seconds,
            "method": method,
            "apply_first": apply_first,
        }
        await self._request("POST", "/faults", payload)

    async def drop_next(self, n: int = 1, method: str | None = None) -> None:
        await self._request("POST", "/faults", {"kind": "drop", "n": n, "method": method})

    async def random_faults(
        self, fraction: float, seed: int, statuses: tuple[int, ...] = (500,)
    ) -> None:
        payload = {"kind": "random", "fraction": fraction, "seed": seed, "statuses": statuses}
        await self._request("POST", "/faults", payload)

    async def clear_faults(self) -> None:
        await self._request("DELETE", "/faults")
