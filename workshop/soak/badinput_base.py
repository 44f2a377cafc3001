"""Building blocks of the bad-input grammar: good drafts from the spec's examples, rendering and splicing.

Every case starts as a good raw event (a *draft*, built from the contract's repaired examples) and gets one
defect, so a quarantine reason can be checked against the one thing the case was built to get wrong.
Values JSON cannot carry from a dict (NaN, duplicate keys, invalid UTF-8, bare escapes) are spliced into the
rendered bytes at a placeholder, so the rest of the event stays exactly what the renderer wrote.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from workshop.paths import EXAMPLES
from wostream.core.catalogue import norm

UNSUPPORTED = "8"  # changeId 8: accepted, counted, pushed to nobody (docs/contract.md section 3)
# Several tickets, organisations and communities, so that a scoped subscriber could tell them apart; the
# catch-all subscriber of the tests gets them all.
TICKETS = tuple(str(4503599741262301 + 19 * n) for n in range(24))
ORGANS = ("671024", "671025", "680013")
COMMUNITIES = ("139912543382896", "139912543382897", "139912543401234")
AREA_FALLBACKS = ("templateCode", "serviceTypeCode")  # where intake looks for a data area after dataArea
SLOT = "@@badinput-slot@@"  # placeholder value, replaced in the rendered bytes by `splice`
_TOKEN = json.dumps(SLOT).encode()
BOM = b"\xef\xbb\xbf"
# Producers differ in layout and escaping; none of it may change the outcome.
_STYLES: tuple[dict[str, Any], ...] = (
    {"separators": (",", ":"), "ensure_ascii": False},
    {"ensure_ascii": False},
    {"indent": 2, "ensure_ascii": False},
    {"indent": 4, "ensure_ascii": True},
    {"separators": (",", ":"), "ensure_ascii": True},
)


@dataclass(frozen=True)
class Case:
    """One raw Kafka record and what must become of it.

    `good`: routed to every entitled subscriber (False: quarantined with a reason naming the defect).
    `unsupported`: a good changeId 8 event, accepted and counted but pushed to nobody, so no copy is due.
    `event_id`: the unique `eventId` a good case carries, to find its copies (None when the case's defect is
    an unusable `eventId`, or for bad cases).
    """

    value: bytes | None  # None: a tombstone
    key: bytes | None
    kind: str  # "category" or "category:detail"
    good: bool
    event_id: str | None = None
    unsupported: bool = False

    @property
    def category(self) -> str:
        return self.kind.split(":", 1)[0]


@dataclass
class Draft:
    """A good raw event under construction; makers mutate `envelope` freely (each draft is fresh)."""

    envelope: dict[str, Any]
    change_id: str
    ticket: str
    event_id: str

    @property
    def data(self) -> dict[str, Any]:
        body: dict[str, Any] = self.envelope["data"]
        return body


@cache
def _example_texts() -> tuple[tuple[str, str], ...]:
    """(changeId, text) of each repaired example, read once: drafts are parsed fresh from the text."""
    folder = EXAMPLES
    texts = sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )
    return tuple((str(json.loads(text)["changeId"]), text) for _, text in texts)


def draft(rng: random.Random, event_id: str, any_kind: bool = True) -> Draft:
    """A good event from a random example, with its own ticket, scope ids and `eventId`.

    `any_kind=False` leaves out changeId 8: intake reports a malformed changeId 8 event as unsupported, not as
    quarantined (by design, see tests/unit/core/test_routing.py), so defects are only built on other kinds.
    """
    choices = [text for change_id, text in _example_texts() if any_kind or change_id != UNSUPPORTED]
    envelope: dict[str, Any] = json.loads(rng.choice(choices))
    body = envelope["data"]
    ticket = rng.choice(TICKETS)
    body["serviceOrderId"] = ticket
    body["organId"] = rng.choice(ORGANS)
    if "communityId" in body:
        body["communityId"] = rng.choice(COMMUNITIES)
    envelope = {"eventId": event_id, **envelope}
    return Draft(envelope, str(envelope["changeId"]), ticket, event_id)


def render(envelope: dict[str, Any], rng: random.Random, data_as_string: bool = False) -> bytes:
    """The event as a producer would write it, in a random layout; `data` optionally as a JSON string."""
    style = rng.choice(_STYLES)
    if data_as_string:
        envelope = {**envelope, "data": json.dumps(envelope["data"], ensure_ascii=False)}
    return json.dumps(envelope, **style).encode("utf-8")


def splice(rendered: bytes, replacement: bytes) -> bytes:
    """`rendered` with the placeholder value (quotes included) replaced by raw bytes."""
    if rendered.count(_TOKEN) != 1:
        raise AssertionError(f"expected one placeholder, found {rendered.count(_TOKEN)}")
    return rendered.replace(_TOKEN, replacement)


def set_path(envelope: dict[str, Any], path: str, value: Any) -> None:
    """Set `path` ("changeId", "data.organId") to `value`, keeping the key's place when it exists."""
    *parents, name = path.split(".")
    target = envelope
    for part in parents:
        target = target[part]
    target[name] = value


def spliced(rng: random.Random, d: Draft, path: str, raw: bytes, data_as_string: bool = False) -> bytes:
    """The draft rendered with the raw JSON text `raw` as the value at `path`.

    With `data_as_string`, `path` must be inside data: the raw text lands in the inner JSON text, which the
    envelope then carries (escaped) as a string.
    """
    set_path(d.envelope, path, SLOT)
    if not data_as_string:
        return splice(render(d.envelope, rng), raw)
    inner = json.dumps(d.data, ensure_ascii=False).replace(_TOKEN.decode(), raw.decode("utf-8"), 1)
    return render({**d.envelope, "data": inner}, rng)


def remove(mapping: dict[str, Any], name: str) -> None:
    """Remove every key that spells `name` leniently (intake would find any of them)."""
    for key in [k for k in mapping if norm(k) == norm(name)]:
        del mapping[key]


def drop_area_fallbacks(d: Draft) -> None:
    """Leave `dataArea` as the event's only possible data area."""
    for name in AREA_FALLBACKS:
        remove(d.data, name)


def ensure_area_fallback(d: Draft) -> None:
    """Make sure the body names a data area (`templateCode`) intake can fall back to."""
    if not any(norm(k) == norm("templateCode") for k in d.data):
        d.data["templateCode"] = "fwwt"


def rename(mapping: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """A copy of `mapping` with key `old` spelled `new`, in the same place."""
    return {(new if k == old else k): v for k, v in mapping.items()}


def routing_key(name: str) -> bool:
    """Whether intake reads this body field for routing (its type and presence matter)."""
    return norm(name) in {norm(n) for n in ("serviceOrderId", "organId", "communityId", *AREA_FALLBACKS)}


def body_fields(d: Draft) -> list[str]:
    """The body's fields that routing does not read: their defects must not cost the event."""
    return [k for k in d.data if not routing_key(k)]


def good_case(d: Draft, kind: str, value: bytes) -> Case:
    """A case that must be routed, keyed by its ticket and found by the draft's `eventId` (adjust the rest
    with `dataclasses.replace`)."""
    return Case(value, d.ticket.encode(), kind, True, d.event_id, d.change_id == UNSUPPORTED)


def bad_case(d: Draft, kind: str, value: bytes | None, key: bytes | None = None) -> Case:
    """A case that must be quarantined; keyed by its ticket unless the case says otherwise."""
    return Case(value=value, key=d.ticket.encode() if key is None else key, kind=kind, good=False)


def dumps(value: Any) -> bytes:
    """A JSON value as UTF-8 bytes, non-ASCII kept (for splicing)."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")
