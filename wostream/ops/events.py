"""Raw events from files to the raw topic: what `wostream send` reads and how it keys them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from wostream.config.settings import Settings
from wostream.ops.publish import publish_records


class InputError(ValueError):
    """Bad input for a CLI command; `.errors` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class OutgoingEvent:
    key: bytes | None
    value: bytes


def _key_of(event: object) -> bytes | None:
    """The ticket id as Kafka key, so one ticket's events stay in order in one partition."""
    if isinstance(event, dict):
        data = event.get("data")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                return None
        if isinstance(data, dict):
            for k, v in data.items():
                if k.strip().lower() == "serviceorderid" and v is not None:
                    return str(v).encode()
    return None


def parse_events(text: str, source: str, raw: bool = False) -> Iterator[OutgoingEvent]:
    """A JSON array of events, one (pretty-printed) event, or JSON lines.

    With `raw`, each non-empty line is sent byte for byte: the way to test the quarantine.
    """
    if raw:
        for line in text.splitlines():
            if line.strip():
                yield OutgoingEvent(None, line.encode())
        return
    items = _whole_document(text)
    if items is None and text.lstrip().startswith("["):
        raise InputError([f"{source}: not a valid JSON array"])
    for item in _json_lines(text, source) if items is None else items:
        yield OutgoingEvent(_key_of(item), json.dumps(item, ensure_ascii=False).encode())


def _json_lines(text: str, source: str) -> list[Any]:
    items, errors = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except ValueError as exc:
            errors.append(f"{source}:{n}: not valid JSON: {exc} (use --raw to send it anyway)")
    if errors:
        raise InputError(errors)
    return items


def _whole_document(text: str) -> list[Any] | None:
    """The file as one JSON document: an array of events or a single event; None if it is not one."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if isinstance(doc, list):
        return doc
    return [doc] if isinstance(doc, dict) else None


async def send_events(settings: Settings, events: Iterable[OutgoingEvent]) -> int:
    return await publish_records(settings, settings.raw_topic, ((e.key, e.value) for e in events))
