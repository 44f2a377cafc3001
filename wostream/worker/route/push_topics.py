"""The topics the route flow writes copies to: each subscriber's push topic exists before a copy goes to
it, and the producer knows them all before the first event for everyone arrives."""

from __future__ import annotations

import asyncio

from wostream.broker.producer import Producer
from wostream.broker.topics import TopicKeeper, core_topics, subscriber_topics
from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.worker.quiet import until_quiet

SETTLE = 1.0  # seconds without a change of subscribers before the producer loads their topics' metadata


class PushTopics:
    def __init__(self, settings: Settings, directory: Directory, producer: Producer) -> None:
        self.settings = settings
        self.directory = directory
        self.producer = producer
        self.keeper = TopicKeeper(settings)
        self._changed = asyncio.Event()
        directory.watch(self)

    def subscriber_changed(self, base_code: str) -> None:
        self._changed.set()

    async def ensure(self, topic: str) -> None:
        """Cheap once known (the pipeline asks for every copy it writes); the publisher normally made it."""
        base_code = self.settings.base_code_of(topic)
        if base_code is None or topic in self.keeper.known:
            return
        sub = self.directory.subscriptions.get(base_code)
        await self.keeper.ensure(subscriber_topics(self.settings, base_code, sub.partitions if sub else None))

    async def warm(self) -> None:
        """For the worker's life (supervised): once subscribers stop changing for a second, load the metadata
        of every subscriber's topics in one request. Left to itself the producer asks for each topic it has
        not written to yet, and each request carries every topic it knows: a thousand new subscribers would
        cost a million topic descriptions on the first event for all of them."""
        while True:
            await until_quiet(self._changed, SETTLE)
            topics = {spec.name for spec in core_topics(self.settings)}
            # push topics only: a dead topic is written rarely, and every topic named here is decoded again on
            # each refresh
            topics |= {self.settings.push_topic(code) for code in list(self.directory.subscriptions)}
            await self.producer.set_topics(sorted(topics))
