"""The route worker asks the log whether a jump in what Faust handed over is a hole the log really has: a
transactional producer's commit markers are (no event at their offsets), a skipped record is not."""

from __future__ import annotations

import asyncio

from aiokafka.admin import NewTopic

from workshop.access import Access
from wostream.broker.clients import new_admin, new_producer
from wostream.config.settings import Settings
from wostream.worker.route.holes import LogHoles

TOPIC = "holes.transactional"


async def _write_two_transactions(settings: Settings) -> list[int]:
    admin = new_admin(settings)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 1, 1)])
    finally:
        await admin.close()
    producer = new_producer(settings, transactional_id="holes-test", enable_idempotence=True)
    await producer.start()
    offsets = []
    try:
        for values in ([b"a", b"b"], [b"c"]):
            async with producer.transaction():
                sent = [await producer.send(TOPIC, value) for value in values]
            offsets += [(await future).offset for future in sent]
    finally:
        await producer.stop()
    return offsets


async def _ask(settings: Settings, ranges: list[tuple[int, int]]) -> list[int | None]:
    holes = LogHoles(settings)
    try:
        return [await holes.first_record(TOPIC, 0, first, last) for first, last in ranges]
    finally:
        await holes.stop()


def test_commit_markers_are_a_hole_and_a_record_is_found(kafka_access: Access) -> None:
    settings = kafka_access.as_admin()
    offsets = asyncio.run(_write_two_transactions(settings))
    assert offsets == [0, 1, 3]  # 2: the first transaction's commit marker; 4: the second's
    answers = asyncio.run(_ask(settings, [(2, 2), (4, 4), (1, 2), (2, 3), (0, 0)]))
    assert answers == [None, None, 1, 3, 0]
