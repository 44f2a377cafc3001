"""wostream: pushes work-order workflow events from Kafka to subscribed systems over ZeroC Ice / Glacier2."""

__version__ = "0.1.0"
