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
from typing import Any, cast

import faust
from faust.transport.drivers import aiokafka as driver

from wostream.broker.preflight import refusal
from wostream.config.settings import Settings

log = logging.getLogger(__name__)

RETRY = 5.0  # seconds between two tries
SAID = "Kafka did not take the declare of %s (%r); trying again in %.0f s"


async def until_reachable(settings: Settings, what: str) -> None:
    """Until a broker takes us: a Faust client that cannot bootstrap ends the worker with a traceback."""
    while (why := await refusal(settings)) is not None:
        log.error("%s waits: %s; trying again in %.0f s", what, why, RETRY)
        await asyncio.sleep(RETRY)


def _settings(app: Any) -> Settings:
    """The `WostreamApp`'s settings (not imported here: the app imports this module)."""
    return cast(Settings, app.wostream_settings)


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
        await until_reachable(_settings(self.app), "Faust's producer")
        await super().on_start()


class PatientConsumerThread(driver.AIOKafkaConsumerThread):
    async def on_start(self) -> None:
        await until_reachable(_settings(self.consumer.app), "Faust's consumer")
        await super().on_start()


class PatientConsumer(driver.Consumer):
    def _new_consumer_thread(self) -> PatientConsumerThread:
        return PatientConsumerThread(self, loop=self.loop, beacon=self.beacon)
