"""Faust's start-up steps that need the broker, made to wait it out.

Faust starts its producer, its consumer and the tickets table's changelog (a CreateTopics, then a metadata
refresh its producer needs to place changelog records) after our admission; a broker restarting at that
moment ended the worker's start with a traceback (`NodeNotReadyError`, `KafkaConnectionError`), in a quarter
of the soak's runs. Each step now waits until the broker answers, with one line a try, as our own start-up
steps already do (`worker.node`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from time import monotonic

import faust
from aiokafka.errors import KafkaConnectionError
from faust.transport.drivers import aiokafka as driver
from faust.transport.producer import Producer

log = logging.getLogger(__name__)

RETRY = 5.0  # seconds between two tries
SAID = "Kafka did not take the declare of %s (%r); trying again in %.0f s"


async def patiently(start: Callable[[], Awaitable[None]], what: str) -> None:
    """Start a Faust client until its bootstrap succeeds. A failed bootstrap leaves nothing half-made
    (aiokafka connects before it builds anything else), so the same client's start is called again."""
    while True:
        try:
            await start()
            return
        except KafkaConnectionError as exc:
            log.error("%s waits: %s; trying again in %.0f s", what, exc, RETRY)
            await asyncio.sleep(RETRY)


class PatientTopic(faust.Topic):
    async def declare(self) -> None:
        while True:
            try:
                await super().declare()
                return
            except Exception as exc:  # the broker away, not ready, or no controller yet: all heal
                log.error(SAID, ", ".join(self.topics), exc, RETRY)
                await asyncio.sleep(RETRY)


class PatientProducer(driver.Producer):
    async def on_start(self) -> None:
        """`driver.Producer.on_start` (faust-streaming 0.15.3, pinned), its producer's start waited out."""
        await Producer.on_start(self)  # the buffer
        producer = self._producer = self._new_producer()
        self.beacon.add(producer)
        await patiently(producer.start, "Faust's producer")


class PatientConsumerThread(driver.AIOKafkaConsumerThread):
    async def on_start(self) -> None:
        """`driver.AIOKafkaConsumerThread.on_start`, with its consumer's start waited out."""
        self._consumer = self._create_consumer(loop=self.thread_loop)
        self.time_started = monotonic()
        await patiently(self._consumer.start, "Faust's consumer")


class PatientConsumer(driver.Consumer):
    def _new_consumer_thread(self) -> PatientConsumerThread:
        return PatientConsumerThread(self, loop=self.loop, beacon=self.beacon)
