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
stalls every rebalance, and agents cannot follow topics created after start (shared/notes/faust.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.worker.delivery.batches import BatchCourier, PushBatch
from wostream.worker.delivery.courier import Courier, Push
from wostream.worker.delivery.lanes import Lane
from wostream.worker.stats import Stats

log = logging.getLogger(__name__)

REVOKE_GRACE = 2.0  # seconds a revoked partition's in-flight push may take to finish
SETTLE = 1.0  # seconds without a change of subscribers before the group follows the new set of topics


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, delivery: DeliveryEngine) -> None:
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


class DeliveryEngine:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        producer: AIOKafkaProducer,
        push: Push,
        push_batch: PushBatch,
        stats: Stats,
        watch: Callable[[str, asyncio.Task[None]], None],
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.producer = producer
        self.push = push
        self.stats = stats
        self.lanes: dict[TopicPartition, Lane] = {}
        self.by_code: dict[str, dict[TopicPartition, Lane]] = {}  # a subscriber's lanes, for its changes
        self.courier = Courier(settings, directory, producer, push, stats)
        self.batches = BatchCourier(self.courier, push_batch)
        self._consumer: AIOKafkaConsumer | None = None
        self._subscribed: frozenset[str] = frozenset()
        self._changed = asyncio.Event()
        self._some = asyncio.Event()  # set while there is at least one topic to consume
        self.watch = watch
        directory.listeners.append(self._on_directory_change)

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka,
            group_id=f"{self.settings.app_id}-deliver",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # the topics are named (not a pattern): their metadata is small, and changes are ours to tell
            metadata_max_age_ms=300_000,
            max_partition_fetch_bytes=1 << 20,
            fetch_max_wait_ms=100,
            session_timeout_ms=int(self.settings.session_timeout * 1000),
            heartbeat_interval_ms=int(self.settings.session_timeout * 1000 / 3),
        )
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
            await self._changed.wait()
            while True:
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), SETTLE)
                except TimeoutError:
                    break
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
            lane = Lane(tp, base_code)
            name = f"delivery lane {tp.topic}:{tp.partition}"
            lane.task = asyncio.create_task(self._lane_loop(lane), name=name)
            self.watch(name, lane.task)
            self.lanes[tp] = lane
            self.by_code.setdefault(base_code, {})[tp] = lane
            self._sync_pause(lane)

    async def drop_lanes(self, tps: list[TopicPartition]) -> None:
        lanes = [self.lanes.pop(tp) for tp in tps if tp in self.lanes]
        for lane in lanes:
            self.by_code.get(lane.base_code, {}).pop(lane.tp, None)
        tasks = []
        for lane in lanes:
            lane.stopping = True
            if lane.task is not None:
                lane.task.cancel()
                tasks.append(lane.task)
            for ticket, task in lane.tasks.items():
                if ticket not in lane.pushing:
                    task.cancel()
                tasks.append(task)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=REVOKE_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._commit(lanes)

    def _on_directory_change(self, base_code: str) -> None:
        self.courier.subscriber_changed(base_code)
        sub = self.directory.subscriptions.get(base_code)
        if (self.settings.push_topic(base_code) in self._subscribed) != (sub is not None and sub.enabled):
            self._changed.set()
        for lane in list(self.by_code.get(base_code, {}).values()):
            self._sync_pause(lane)

    def _sync_pause(self, lane: Lane) -> None:
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
                self._sync_pause(lane)
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
            if lane.tp in offsets:
                lane.committed = lane.done

    # -- one partition -------------------------------------------------------------------------------------

    async def _lane_loop(self, lane: Lane) -> None:
        """Dispatch the partition's records, in offset order: to one chain per ticket, or, for a subscriber
        that takes batches, as consecutive batches (one in flight; chains already running finish first)."""
        while not lane.stopping:
            if self._batching(lane.base_code):
                batch = lane.take_batch(self.settings.batch_max, self.settings.batch_bytes)
                if batch:
                    await self.batches.deliver(lane, batch)
                    lane.finish_batch(batch)
                    self._sync_pause(lane)
                    continue
            taken = lane.take(self.settings.tickets_in_flight)
            if taken is None:
                lane.wake.clear()
                await lane.wake.wait()
                continue
            ticket, new = taken
            if new:
                lane.tasks[ticket] = asyncio.create_task(self._chain_loop(lane, ticket))

    def _batching(self, base_code: str) -> bool:
        callback = self.directory.callback_for(base_code)
        return callback is not None and callback.batch

    async def _chain_loop(self, lane: Lane, ticket: str) -> None:
        """One ticket's records, one at a time: per-ticket order, retries included."""
        while True:
            record = lane.chains[ticket][0]
            try:
                await self.courier.deliver(lane, record)
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception:  # a bug must not silently stall the ticket: say so, try the record again
                log.exception("delivering %s:%d:%d failed unexpectedly", *lane.tp, record.offset)
                self.stats.failed(lane.base_code, "internal error (see the worker log)")
                await asyncio.sleep(1.0)
                continue
            empty = lane.finish(ticket)
            lane.wake.set()
            self._sync_pause(lane)
            if empty:
                del lane.tasks[ticket]
                return
