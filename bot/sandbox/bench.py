"""Throughput of the emulator's hot path: sequential sendMessage over one keep-alive connection.

The emulator runs in this process; by default the HTTP client runs in a child process so
the figure is the emulator's own (one core), not the client's. Run:
`.venv/bin/python -m bot.sandbox.bench [N] [--same-process]`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from urllib.parse import urlencode

import aiohttp

from bot.sandbox.emulator import Emulator

_FIELDS = {
    "text": "<b>Exercise</b> 3 of 8: knee to chest",
    "parse_mode": "HTML",
    "reply_markup": '{"inline_keyboard": [[{"text": "Done", "callback_data": "d:1"}]]}',
}


async def _client(url: str, chat_id: int, n: int, connections: int = 1) -> float:
    """n form-encoded sendMessage calls (like PTB's), encoded once, spread over
    ``connections`` keep-alive connections that each send one call after another."""
    data = urlencode({"chat_id": str(chat_id), **_FIELDS}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    connector = aiohttp.TCPConnector(limit=connections)

    async def worker(session: aiohttp.ClientSession, count: int) -> None:
        for _ in range(count):
            async with session.post(url, data=data, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"unexpected status {resp.status}")

    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session, 50) for _ in range(connections)))  # warm up
        started = time.perf_counter()
        share, rest = divmod(n, connections)
        await asyncio.gather(*(worker(session, share + (i < rest)) for i in range(connections)))
        return n / (time.perf_counter() - started)


async def measure_send_rate(
    n: int = 5000, *, same_process: bool = False, connections: int = 1
) -> float:
    """sendMessage calls per second the emulator answers (wall clock)."""
    return (await measure(n, same_process=same_process, connections=connections))[0]


async def measure(
    n: int = 5000, *, same_process: bool = False, connections: int = 1
) -> tuple[float, float]:
    """(wall-clock calls/s, calls per CPU-second of the emulator's process).

    The second figure is the emulator's capacity on one core; it is steadier than the wall
    clock on a shared machine. With the client in the same process it includes the client.
    """
    emu = Emulator()
    await emu.start()
    try:
        user = emu.world.create_user()
        url = f"{emu.base_url}{emu.token}/sendMessage"
        cpu = time.process_time()
        if same_process:
            rate = await _client(url, user.id, n, connections)
            return rate, (n + 50 * connections) / (time.process_time() - cpu)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.sandbox.bench",
            "--client",
            url,
            str(user.id),
            str(n),
            str(connections),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError("benchmark client failed")
        return float(out.decode().strip()), (n + 50 * connections) / (time.process_time() - cpu)
    finally:
        await emu.stop()


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--client"]:
        print(asyncio.run(_client(args[1], int(args[2]), int(args[3]), int(args[4]))))
        return
    same = "--same-process" in args
    numbers = [a for a in args if a.isdigit()]
    n = int(numbers[0]) if numbers else 5000
    connections = int(numbers[1]) if len(numbers) > 1 else 1
    rate, per_cpu = asyncio.run(measure(n, same_process=same, connections=connections))
    where = "client in the same process" if same else "client in a separate process"
    print(
        f"{rate:.0f} sendMessage/s wall clock, {per_cpu:.0f} per CPU-second of the emulator "
        f"({n} calls over {connections} keep-alive connection(s), {where})"
    )


if __name__ == "__main__":
    main()
