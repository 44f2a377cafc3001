"""Paced metadata refreshes for every aiokafka client of the process (aiokafka 0.14.0, pinned).

aiokafka 0.14 has no reconnect or metadata backoff: when a partition's leader is unknown (a produce or a fetch
answered NOT_LEADER while the broker shut down, then the broker is gone) the producer's sender and the
consumer's fetcher ask for metadata back to back, each attempt failing at once: thousands of "Unable connect
to node" lines a second, most of a core, and, for an idempotent producer, batches expiring into
`OutOfOrderSequenceNumber` (measured: 2 800–5 700 lines/s, 47–76 % CPU). The same loop runs, with the broker
up, for a consumer assigned a topic its principal may not describe. No setting of aiokafka's reaches it
(`retry_backoff_ms` does not), so the one method every refresh goes through is wrapped: a refresh never starts
less than `MIN_GAP` after the previous one, and after n failures in a row it waits `BASE`·2ⁿ⁻¹ s, up to
`CAP`; a success resets it. The cost: after an outage, clients resume up to `CAP` later.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.client import AIOKafkaClient

MIN_GAP = 0.2
BASE = 0.5
CAP = 5.0


def pace_metadata_updates() -> None:
    """Wrap `AIOKafkaClient._metadata_update` once per process (every client, Faust's included)."""
    original = AIOKafkaClient._metadata_update
    if getattr(original, "wostream_paced", False):
        return

    async def paced(self: Any, cluster_metadata: Any, topics: Any) -> Any:
        loop = asyncio.get_running_loop()
        wait = getattr(self, "_wostream_not_before", 0.0) - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        ok = await original(self, cluster_metadata, topics)
        failures = 0 if ok else getattr(self, "_wostream_failures", 0) + 1
        self._wostream_failures = failures
        self._wostream_not_before = loop.time() + (MIN_GAP if ok else min(CAP, BASE * 2 ** (failures - 1)))
        return ok

    paced.wostream_paced = True  # type: ignore[attr-defined]
    AIOKafkaClient._metadata_update = paced
