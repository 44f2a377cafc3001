"""Hostile connections to a router's client endpoint, from a process of their own (the test's own process is
not slowed): TLS, the router's greeting read, then a request announced at `--size` bytes and sent but for its
last byte, held open for `--hold` seconds. No login, ever. Prints one JSON line: what happened to them.

    python -m tests.security.hostile --port P --ca CA -n 1000 --size 1048576 --hold 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import struct
import time
from collections import Counter
from dataclasses import dataclass

GREETING = 14  # the router's "validate connection" message
REQUEST = b"IceP\x01\x00\x01\x00\x00\x00"  # magic, protocol 1.0, encoding 1.0, a request, not compressed


@dataclass
class Hostile:
    opened: bool = False
    closed: str = ""  # why, once the router closed it


async def half_send(h: Hostile, port: int, context: ssl.SSLContext, size: int, hold: float) -> None:
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="127.0.0.1"), 30
        )
        await asyncio.wait_for(reader.readexactly(GREETING), 30)
        h.opened = True
        payload = REQUEST + struct.pack("<i", size) + bytes(size - GREETING - 1)
        writer.write(payload)
        await asyncio.wait_for(writer.drain(), hold)
        closed = await asyncio.wait_for(reader.read(1), hold)
        h.closed = "closed by the router" if not closed else "answered"
    except TimeoutError:
        h.closed = h.closed or ""  # still open when the hold ended
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError) as exc:
        h.closed = type(exc).__name__


async def attack(port: int, ca: str, n: int, size: int, hold: float) -> dict[str, object]:
    context = ssl.create_default_context(cafile=ca)
    hostiles = [Hostile() for _ in range(n)]
    started = time.monotonic()
    await asyncio.gather(*(half_send(h, port, context, size, hold) for h in hostiles))
    return {
        "n": n,
        "size": size,
        "opened": sum(h.opened for h in hostiles),
        "ends": dict(Counter(h.closed or "held to the end" for h in hostiles)),
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--size", type=int, default=1 << 20)
    ap.add_argument("--hold", type=float, default=20.0)
    a = ap.parse_args()
    print(json.dumps(asyncio.run(attack(a.port, a.ca, a.n, a.size, a.hold))), flush=True)


if __name__ == "__main__":
    main()
