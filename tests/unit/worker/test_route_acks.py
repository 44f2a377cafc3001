"""The route worker's consumer counts only the route pipeline's acknowledgements: a message Faust's stream
skips (and acknowledges) around a rebalance was never routed, and must not move the committed offset."""

from __future__ import annotations

from faust.types import TP
from faust.types.tuples import ConsumerMessage

from wostream.config.settings import Settings
from wostream.worker.app import create_app
from wostream.worker.route.acks import RouteConsumer


def _message(offset: int) -> ConsumerMessage:
    return ConsumerMessage("wo.events", 0, offset, 0.0, 0, None, b"T1", b"{}", None)


async def test_faust_acknowledging_a_skipped_message_commits_nothing_and_the_pipeline_hand_on_does() -> None:
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1"))
    app.topics.add(app.topic("wo.events"))  # what the route agent subscribes when it starts
    await app.topics._update_indices()  # type: ignore[attr-defined]  # what its start does
    consumer = app.consumer
    assert isinstance(consumer, RouteConsumer)
    tp = TP("wo.events", 0)

    skipped, routed = _message(5), _message(6)
    assert skipped.ack(consumer) is False  # what the stream does with a skipped message
    assert (skipped.acked, consumer.skipped) == (False, 1)

    assert consumer.hand_on(routed) is True
    assert routed.acked
    # the committable offset needs offset 5 handed on too: 6 alone is not contiguous from the start
    assert consumer.hand_on(skipped) is True
    assert consumer._new_offset(tp) == 7
