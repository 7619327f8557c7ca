"""getUpdates long polling and offsets, webhook delivery, wait_delivered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from emu_helpers import Api, Receiver

from bot.sandbox.emulator import Emulator


async def test_long_poll_returns_when_user_speaks(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    poll = asyncio.create_task(api("getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    started = time.monotonic()
    user.send_text("hello")
    reply = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    [update] = reply.result
    assert update["update_id"] == 1
    assert update["message"]["text"] == "hello"
    assert update["message"]["from"]["id"] == user.id


async def test_long_poll_times_out_empty(api: Api) -> None:
    started = time.monotonic()
    reply = await api("getUpdates", timeout=1)
    elapsed = time.monotonic() - started
    assert reply.result == []
    assert 0.9 <= elapsed < 1.5


async def test_offset_confirms_and_forgets(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    ids = [user.send_text(f"m{i}") for i in range(3)]
    assert ids == [1, 2, 3]
    assert [u["update_id"] for u in (await api("getUpdates")).result] == [1, 2, 3]
    assert [u["update_id"] for u in (await api("getUpdates", limit=2)).result] == [1, 2]
    assert emu.world.pending_updates == 3
    assert [u["update_id"] for u in (await api("getUpdates", offset=3)).result] == [3]
    assert emu.world.pending_updates == 1
    assert (await api("getUpdates", offset=4)).result == []
    assert emu.world.pending_updates == 0
    # forgotten updates do not come back with a smaller offset
    assert (await api("getUpdates", offset=1)).result == []


async def test_allowed_updates_filter(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    await api(
        "sendMessage",
        chat_id=user.id,
        text="q",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    )
    user.send_text("hi")
    user.tap("A")
    reply = await api("getUpdates", allowed_updates=["callback_query"])
    assert [list(u)[1] for u in reply.result] == ["callback_query"]
    bad = await api("getUpdates", allowed_updates=["everything"])
    assert bad.status == 400


async def test_wait_delivered(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    await emu.world.wait_delivered(timeout=0.1)  # nothing pending
    user.send_text("a")
    with pytest.raises(TimeoutError):
        await emu.world.wait_delivered(timeout=0.2)
    waiter = asyncio.create_task(emu.world.wait_delivered(timeout=3))
    await asyncio.sleep(0.05)
    await api("getUpdates")  # fetched but not confirmed yet
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await api("getUpdates", offset=2, timeout=0)
    await asyncio.wait_for(waiter, 1)


async def test_second_poller_terminates_first(api: Api) -> None:
    first = asyncio.create_task(api("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = await api("getUpdates", timeout=0)
    assert second.result == []
    old = await asyncio.wait_for(first, 1)
    assert old.status == 409
    assert old.description.startswith("Conflict: terminated by other getUpdates request")


async def test_client_disconnect_during_poll_is_clean(api: Api, emu: Emulator) -> None:
    poll = asyncio.create_task(api("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    poll.cancel()
    with pytest.raises(asyncio.CancelledError):
        await poll
    user = emu.world.create_user()
    user.send_text("after")
    reply = await api("getUpdates", timeout=0)
    assert [u["message"]["text"] for u in reply.result] == ["after"]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver(fail_first=1)
    await rec.start()
    yield rec
    assert rec.runner is not None
    await rec.runner.cleanup()


async def test_webhook_delivery_with_secret_and_retry(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    user = emu.world.create_user()
    reply = await api("setWebhook", url=receiver.url, secret_token="s3cret_token")
    assert reply.result is True
    user.send_text("one")
    user.send_text("two")
    await emu.world.wait_delivered(timeout=3)
    # The first attempt failed with 500 and was retried; order is kept.
    assert [b["update_id"] for b, _, _ in receiver.seen] == [1, 1, 2]
    assert {secret for _, secret, _ in receiver.seen} == {"s3cret_token"}
    assert {ctype for _, _, ctype in receiver.seen} == {"application/json"}
    info = (await api("getWebhookInfo")).result
    assert info["url"] == receiver.url
    assert info["pending_update_count"] == 0
    assert "500" in info["last_error_message"]


async def test_get_updates_conflicts_with_webhook(
    api: Api, emu: Emulator, receiver: Receiver
) -> None:
    await api("setWebhook", url=receiver.url)
    reply = await api("getUpdates")
    assert reply.status == 409
    assert reply.description == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    assert (await api("deleteWebhook")).result is True
    assert (await api("getUpdates")).status == 200
    assert (await api("getWebhookInfo")).result["url"] == ""


async def test_webhook_gives_up_after_bounded_retries(api: Api, emu: Emulator) -> None:
    emu.webhook.max_attempts = 2
    user = emu.world.create_user()
    await api("setWebhook", url="http://127.0.0.1:9/closed")
    user.send_text("lost")
    await emu.world.wait_delivered(timeout=3)
    assert [u["update_id"] for u in emu.world.dropped_updates] == [1]
    assert len(emu.webhook.attempts) == 2


async def test_delete_webhook_drop_pending(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    user.send_text("old")
    await api("deleteWebhook", drop_pending_updates=True)
    assert emu.world.pending_updates == 0
    assert (await api("getUpdates")).result == []


async def test_filtered_updates_do_not_block_wait_delivered(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    user.send_text("not wanted")
    user.share_location(1.0, 2.0)
    kb = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    await api("sendMessage", chat_id=user.id, text="q", reply_markup=kb)
    user.tap("A")
    reply = await api("getUpdates", allowed_updates=["callback_query"])
    assert [u["update_id"] for u in reply.result] == [3]
    await api("getUpdates", offset=4)
    await emu.world.wait_delivered(timeout=0.5)
    assert emu.world.pending_updates == 0


async def test_negative_offset_keeps_the_last_updates(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    for i in range(4):
        user.send_text(f"m{i}")
    reply = await api("getUpdates", offset=-2)
    assert [u["update_id"] for u in reply.result] == [3, 4]
    assert emu.world.pending_updates == 2


async def test_stop_ends_a_long_poll_at_once() -> None:
    emu = Emulator()
    await emu.start()
    import aiohttp

    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}{emu.token}/getUpdates"

        async def poll() -> int:
            async with session.post(url, json={"timeout": 5}) as resp:
                return resp.status

        task = asyncio.create_task(poll())
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await emu.stop()
        assert time.monotonic() - started < 1
        assert await task == 200
