"""Delivers each subscriber's topic to its live callback: ordered, isolated, at least once.

One aiokafka consumer (group `<app_id>-deliver`) subscribes to the push topic of every enabled subscriber,
named (a pattern would make it fetch the metadata of every topic of the cluster every few seconds, which with
a thousand subscribers costs more than the delivery); when the subscribers change it follows the new set once
changes settle, so a batch of new subscribers costs one rebalance of this group and none of Faust's agents.
Each assigned partition gets a *lane*: per-ticket chains, one push in flight per ticket. A partition's offset
is committed only up to the last record acknowledged by the subscriber or dead-lettered. An offline
subscriber's partitions are paused (nothing fetched, nothing retried or counted); a slow one only holds its
own lanes.

Faust agents were not used here: their acks happen in a `finally:` whatever the outcome, a sleeping retry
stalls every rebalance, and agents cannot follow topics created after start (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from wostream.broker.clients import new_consumer
from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.worker.delivery.dispatch import Dispatcher, TaskWatcher
from wostream.worker.delivery.lanes import Lane
from wostream.worker.delivery.single import SingleDelivery
from wostream.worker.quiet import until_quiet
from wostream.worker.stats import Stats

log = logging.getLogger(__name__)

SETTLE = 1.0  # seconds without a change of subscribers before the group follows the new set of topics


def _consumer(settings: Settings) -> AIOKafkaConsumer:
    return new_consumer(
        settings,
        group_id=f"{settings.app_id}-deliver",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # the topics are named (not a pattern): their metadata is small, and changes are ours to tell
        metadata_max_age_ms=300_000,
        max_partition_fetch_bytes=1 << 20,
        fetch_max_wait_ms=100,
        session_timeout_ms=int(settings.session_timeout * 1000),
        heartbeat_interval_ms=int(settings.session_timeout * 1000 / 3),
    )


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, delivery: DeliveryGroup) -> None:
        self.delivery = delivery

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        log.info("delivery rebalancing: %d push partitions revoked from this worker", len(revoked))
        await self.delivery.drop_lanes(revoked)
        self.delivery.stats.push_partitions = len(self.delivery.lanes)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.delivery.add_lanes(assigned)  # in one go: records fetched meanwhile would find no lane
        self.delivery.stats.push_partitions = len(self.delivery.lanes)
        # one short line per rebalance, however many partitions (operators count rebalances by it)
        log.info("delivery rebalanced: %d push partitions assigned to this worker", len(assigned))


class DeliveryGroup:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        single: SingleDelivery,
        stats: Stats,
        watcher: TaskWatcher,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.stats = stats
        self.dispatcher = Dispatcher(settings, directory, single, stats, self, watcher)
        self.lanes: dict[TopicPartition, Lane] = {}
        self.by_code: dict[str, dict[TopicPartition, Lane]] = {}  # a subscriber's lanes, for its changes
        self._consumer: AIOKafkaConsumer | None = None
        self._subscribed: frozenset[str] = frozenset()
        self._changed = asyncio.Event()
        self._some = asyncio.Event()  # set while there is at least one topic to consume
        directory.watch(self)

    async def start(self) -> None:
        self._consumer = _consumer(self.settings)
        await self._consumer.start()
        self._follow(self._wanted())

    def _follow(self, wanted: frozenset[str]) -> None:
        assert self._consumer is not None
        self._subscribed = wanted
        if wanted:
            self._consumer.subscribe(topics=sorted(wanted), listener=_Rebalance(self))
            self._some.set()
        else:
            self._consumer.unsubscribe()
            self._some.clear()

    def _wanted(self) -> frozenset[str]:
        """The push topics of every enabled subscriber: what this group consumes."""
        return frozenset(
            self.settings.push_topic(c) for c, s in self.directory.subscriptions.items() if s.enabled
        )

    async def follow_subscriptions(self) -> None:
        """For the worker's life (supervised): when the set of subscribers changes, subscribe to the new set
        of topics once changes have been quiet for `SETTLE` seconds: a thousand new subscribers cost one
        rebalance, not a thousand."""
        while True:
            await until_quiet(self._changed, SETTLE)
            wanted = self._wanted()
            if self._consumer is not None and wanted != self._subscribed:
                log.info("delivery follows %d push topics (was %d)", len(wanted), len(self._subscribed))
                self._follow(wanted)

    async def stop(self) -> None:
        """Bounded drain (after `run` is cancelled): in-flight pushes get REVOKE_GRACE to finish, the rest are
        cancelled (redelivered later), done offsets committed."""
        await self.drop_lanes(list(self.lanes))
        if self._consumer is not None:
            await self._consumer.stop()

    # -- partitions -------------------------------------------------------------------------------------

    def add_lanes(self, tps: list[TopicPartition]) -> None:
        for tp in tps:
            base_code = self.settings.base_code_of(tp.topic)
            if base_code is None or tp in self.lanes:
                continue
            lane = self.dispatcher.open(tp, base_code)
            self.lanes[tp] = lane
            self.by_code.setdefault(base_code, {})[tp] = lane
            self.sync_pause(lane)

    async def drop_lanes(self, tps: list[TopicPartition]) -> None:
        lanes = [self.lanes.pop(tp) for tp in tps if tp in self.lanes]
        for lane in lanes:
            self.by_code.get(lane.base_code, {}).pop(lane.tp, None)
        await self.dispatcher.close(lanes)
        await self._commit(lanes)

    def subscriber_changed(self, base_code: str) -> None:
        sub = self.directory.subscriptions.get(base_code)
        if (self.settings.push_topic(base_code) in self._subscribed) != (sub is not None and sub.enabled):
            self._changed.set()
        for lane in list(self.by_code.get(base_code, {}).values()):
            self.sync_pause(lane)

    def sync_pause(self, lane: Lane) -> None:
        """Fetch for a partition only while its subscriber is online and its lane has room."""
        if self._consumer is None or lane.tp not in self._consumer.assignment():
            return
        want = not self.directory.online(lane.base_code) or lane.load >= self.settings.in_flight_per_partition
        if want and not lane.paused:
            self._consumer.pause(lane.tp)
        elif not want and lane.paused:
            self._consumer.resume(lane.tp)
        lane.paused = want

    # -- fetching and committing --------------------------------------------------------------------------

    async def run(self) -> None:
        """Fetch and commit for the worker's life (supervised); lanes push what is fetched."""
        assert self._consumer is not None
        last_commit = time.monotonic()
        while True:
            await self._some.wait()
            try:
                batches = await self._consumer.getmany(timeout_ms=200, max_records=2000)
            except KafkaError as exc:  # the consumer recovers by itself; never let the loop die
                log.error("fetching push topics failed, retrying: %s", exc)
                await asyncio.sleep(1.0)
                continue
            for tp, records in batches.items():
                lane = self.lanes.get(tp)
                if lane is None:
                    if records and tp in self._consumer.assignment():  # fetched before its lane: again later
                        self._consumer.seek(tp, records[0].offset)
                    continue
                lane.queue.extend(records)
                lane.wake.set()
                self.sync_pause(lane)
            if time.monotonic() - last_commit >= self.settings.commit_interval:
                await self._commit(list(self.lanes.values()))
                last_commit = time.monotonic()

    async def _commit(self, lanes: list[Lane]) -> None:
        if self._consumer is None:
            return
        offsets = {
            lane.tp: OffsetAndMetadata(lane.done, "")
            for lane in lanes
            if lane.done is not None and lane.done != lane.committed
        }
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except Exception as exc:  # a lost commit only means redelivery; say so and go on
            log.warning("commit failed (events may be delivered again): %s", exc)
            return
        for lane in lanes:
            if lane.tp in offsets:  # what was committed: `done` may have moved during the commit
                lane.committed = offsets[lane.tp].offset
