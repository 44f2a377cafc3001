"""Faust's topics, with a declare that waits the broker out.

Faust declares its internal topics as it starts (the tickets table's changelog: a CreateTopics, then a
metadata refresh its producer needs to place changelog records). A broker restarting at that moment ended
the worker's start with a traceback (`NodeNotReadyError`), twice in the soak's runs. Declaring again until
the broker answers, with one line a try, is what our own start-up steps already do (`worker.node`).
"""

from __future__ import annotations

import asyncio
import logging

import faust

log = logging.getLogger(__name__)

RETRY = 5.0  # seconds between two declares of a topic
SAID = "Kafka did not take the declare of %s (%r); trying again in %.0f s"


class PatientTopic(faust.Topic):
    async def declare(self) -> None:
        while True:
            try:
                await super().declare()
                return
            except Exception as exc:  # the broker away, not ready, or no controller yet: all heal
                names = ", ".join(self.topics)
                log.error(SAID, names, exc, RETRY)
                await asyncio.sleep(RETRY)
