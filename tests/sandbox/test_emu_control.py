"""The HTTP control API and its client, as another process would use them."""

from __future__ import annotations

import pytest
from emu_helpers import Api

from bot.sandbox.control import SandboxClient, SandboxError
from bot.sandbox.emulator import Emulator

KB = {"inline_keyboard": [[{"text": "Yes please", "callback_data": "y"}]]}


async def test_users_chat_and_taps(api: Api, emu: Emulator) -> None:
    async with SandboxClient(emu.url) as ctl:
        user = await ctl.create_user(first_name="Kim", language_code="fr")
        uid = user["id"]
        assert emu.world.user(uid).first_name == "Kim"
        assert [u["id"] for u in await ctl.users()] == [uid]
        assert await ctl.send_text(uid, "/start") == 1
        await api("sendMessage", chat_id=uid, text="Menu", reply_markup=KB)
        assert await ctl.tap(uid, pattern="yes") == 2
        assert await ctl.tap_data(uid, 2, "raw") == 3
        with pytest.raises(SandboxError) as err:
            await ctl.tap(uid, "No")
        assert err.value.status == 404
        assert err.value.body["available"] == ["Yes please"]
        assert await ctl.share_location(uid, 1.5, 2.5) == 4
        assert await ctl.send_sticker(uid) == 5
        chat = await ctl.chat(uid)
        assert [m["text"] for m in chat["messages"]] == ["/start", "Menu", None, None]
        assert chat["messages"][1]["buttons"] == [
            [{"text": "Yes please", "callback_data": "y", "url": None}]
        ]
        kinds = [e["kind"] for e in await ctl.events()]
        assert kinds[:3] == ["user_command", "bot_message", "user_tap"]
        assert len(await ctl.events(since=2)) == len(kinds) - 2
        assert (await ctl.status())["pending_updates"] == 5


async def test_block_faults_calls_and_wait(api: Api, emu: Emulator) -> None:
    async with SandboxClient(emu.url) as ctl:
        uid = (await ctl.create_user())["id"]
        await ctl.block(uid)
        assert (await api("sendMessage", chat_id=uid, text="x")).status == 403
        await ctl.unblock(uid)
        await ctl.fail_next(1, status=429, method="sendMessage", retry_after=9)
        limited = await api("sendMessage", chat_id=uid, text="x")
        assert limited.body["parameters"] == {"retry_after": 9}
        await ctl.fail_next(5, status=500)
        await ctl.clear_faults()
        assert (await api("getMe")).status == 200
        await ctl.random_faults(1.0, seed=1, statuses=(502,))
        assert (await api("getMe")).status == 502
        await ctl.clear_faults()
        calls = await ctl.calls()
        assert [c["status"] for c in calls] == [403, 429, 200, 502]
        assert calls[0]["description"] == "Forbidden: bot was blocked by the user"
        assert await ctl.send_text(uid, "hi") == 3  # block and unblock were updates 1 and 2
        with pytest.raises(SandboxError) as err:
            await ctl.wait_delivered(timeout=0.1)
        assert err.value.status == 504
        await api("getUpdates", offset=4)
        await ctl.wait_delivered(timeout=1)


async def test_unknown_user_is_404(emu: Emulator) -> None:
    async with SandboxClient(emu.url) as ctl:
        with pytest.raises(SandboxError) as err:
            await ctl.send_text(999, "x")
        assert err.value.status == 404


async def test_serve_forever_prints_url_and_stops_on_cancel(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio
    import socket

    from bot.sandbox.emulator import serve_forever

    with socket.socket() as sock:  # find a free port
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    task = asyncio.create_task(serve_forever(port=port, token="42:ABC"))
    out = ""
    for _ in range(100):
        await asyncio.sleep(0.02)
        out += capsys.readouterr().out
        if "base_url=" in out:
            break
    assert f"base_url=http://127.0.0.1:{port}/bot token=42:ABC" in out
    async with SandboxClient(f"http://127.0.0.1:{port}") as ctl:
        assert (await ctl.status())["users"] == 0
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
