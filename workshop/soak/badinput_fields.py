"""Grammar, fields: well-formed JSON with a field of the wrong type, missing, or holding a lone surrogate.

Whether such an event is good follows docs/contract.md section 6 and intake's documented rules: only what
routing needs is strict (`changeId`, `data`, a data area, `serviceOrderId`); anything else in the body is
forwarded as received, and with the tests' catch-all subscriber (organIds "*") `organId`/`communityId` are
not needed.
An unusable `dataArea` counts as absent (null and "" documented in intake's tests); with no other source
of a data area the event is quarantined. A *wrong-typed* `dataArea` beside a body that names another area
is expected to be quarantined too (kind `wrong-type:dataArea-with-fallback`): it is not absent, it is broken.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from workshop.soak.badinput_base import (
    Case,
    Draft,
    bad_case,
    body_fields,
    drop_area_fallbacks,
    ensure_area_fallback,
    good_case,
    remove,
    render,
    set_path,
    spliced,
)
from wostream.core.catalogue import find_key, kind

Maker = Callable[[random.Random, Draft], Case]

# JSON values where a string is expected (docs/contract.md section 2: "All scalar values are strings").
NOT_STRINGS: tuple[Any, ...] = (
    None,
    True,
    False,
    1.5,
    -0.0,
    [],
    ["fwwt"],
    {},
    {"value": "1"},
    [{"a": [None]}],
)
_BAD_CHANGE_IDS: tuple[Any, ...] = (None, True, False, 1.0, 2.5, [], ["1"], {"id": "1"})
_BAD_DATA: tuple[Any, ...] = (
    None,
    True,
    5,
    1.5,
    [],
    [{"serviceOrderId": "1"}],
    "hello",
    "[1]",
    '"x"',
    "",
    "null",
)
_BAD_IDS: tuple[Any, ...] = (
    None,
    True,
    4503599741262301.0,
    [],
    ["4503599741262301"],
    {"id": "4503599741262301"},
)
_BAD_AREAS: tuple[Any, ...] = (True, False, 1.5, [], ["fwwt"], {"code": "fwwt"})


def _wrong(rng: random.Random, d: Draft, path: str, values: tuple[Any, ...]) -> bytes:
    set_path(d.envelope, path, rng.choice(values))
    return render(d.envelope, rng)


def _wrong_change_id(rng: random.Random, d: Draft) -> Case:
    return bad_case(d, "wrong-type:changeId", _wrong(rng, d, "changeId", _BAD_CHANGE_IDS))


def _wrong_data(rng: random.Random, d: Draft) -> Case:
    return bad_case(d, "wrong-type:data", _wrong(rng, d, "data", _BAD_DATA))


def _wrong_area(rng: random.Random, d: Draft) -> Case:
    drop_area_fallbacks(d)
    return bad_case(d, "wrong-type:dataArea", _wrong(rng, d, "dataArea", (None, *_BAD_AREAS)))


def _wrong_area_with_fallback(rng: random.Random, d: Draft) -> Case:
    ensure_area_fallback(d)
    return bad_case(d, "wrong-type:dataArea-with-fallback", _wrong(rng, d, "dataArea", _BAD_AREAS))


def _wrong_ticket(rng: random.Random, d: Draft) -> Case:
    return bad_case(d, "wrong-type:data.serviceOrderId", _wrong(rng, d, "data.serviceOrderId", _BAD_IDS))


def _wrong_template_code(rng: random.Random, d: Draft) -> Case:
    """`templateCode` is the only data area left, and it is unusable."""
    d.envelope.pop("dataArea", None)
    remove(d.data, "serviceTypeCode")
    remove(d.data, "templateCode")
    return bad_case(d, "wrong-type:data.templateCode", _wrong(rng, d, "data.templateCode", NOT_STRINGS))


def _wrong_event_id(rng: random.Random, d: Draft) -> Case:
    """An unusable producer id is not a reason to lose the event: it gets a content hash instead."""
    value = _wrong(rng, d, "eventId", NOT_STRINGS)
    return replace(good_case(d, "wrong-type:eventId", value), event_id=None)


def _wrong_optional(rng: random.Random, d: Draft) -> Case:
    """Optional envelope fields and the scope ids: not needed by the catch-all subscriber."""
    path = rng.choice(("occurredAt", "baseCode", "data.organId", "data.communityId"))
    return good_case(d, f"wrong-type:{path}", _wrong(rng, d, path, NOT_STRINGS))


def _wrong_body_field(rng: random.Random, d: Draft) -> Case:
    """Lenient in: a body field of any type is forwarded as received (enrichment and masking must cope)."""
    name = rng.choice(body_fields(d))
    return good_case(d, f"wrong-type:data.{name}", _wrong(rng, d, f"data.{name}", NOT_STRINGS))


WRONG_TYPES: tuple[Maker, ...] = (
    _wrong_change_id,
    _wrong_data,
    _wrong_area,
    _wrong_area_with_fallback,
    _wrong_ticket,
    _wrong_template_code,
    _wrong_event_id,
    _wrong_optional,
    _wrong_body_field,
)


def wrong_type(rng: random.Random, d: Draft) -> Case:
    return rng.choice(WRONG_TYPES)(rng, d)


def _missing_envelope(rng: random.Random, d: Draft) -> Case:
    name = rng.choice(("changeId", "data", "dataArea", "eventId", "baseCode"))
    good = name in ("eventId", "baseCode") or (name == "dataArea" and rng.random() < 0.5)
    if name == "dataArea" and good:
        ensure_area_fallback(d)
    elif name == "dataArea":
        drop_area_fallbacks(d)
    remove(d.envelope, name)
    case = good_case(d, f"missing:{name}", render(d.envelope, rng))
    if name == "eventId":
        return replace(case, event_id=None)
    return case if good else bad_case(d, case.kind, case.value)


def _missing_ticket(rng: random.Random, d: Draft) -> Case:
    if rng.random() < 0.25:
        d.envelope["data"] = {}
    else:
        remove(d.data, "serviceOrderId")
    return bad_case(d, "missing:data.serviceOrderId", render(d.envelope, rng))


def _missing_template_code(rng: random.Random, d: Draft) -> Case:
    """No data area at all once the body's `templateCode` goes (dataArea and serviceTypeCode already gone)."""
    d.envelope.pop("dataArea", None)
    drop_area_fallbacks(d)
    return bad_case(d, "missing:data.templateCode", render(d.envelope, rng))


def _missing_required(rng: random.Random, d: Draft) -> Case:
    """A field the kind's table marks Y (docs/contract.md section 5): lenient in, so still routed."""
    event_kind = kind(d.change_id)
    required = [] if event_kind is None else event_kind.required
    present = [(name, find_key(d.data, name)) for name in required if name != "serviceOrderId"]
    name, _ = rng.choice([(n, k) for n, k in present if k is not None])
    remove(d.data, name)
    return good_case(d, f"missing:data.{name}", render(d.envelope, rng))


MISSING: tuple[Maker, ...] = (_missing_envelope, _missing_ticket, _missing_template_code, _missing_required)


def missing(rng: random.Random, d: Draft) -> Case:
    return rng.choice(MISSING)(rng, d)


_SURROGATES = (b"\\ud800", b"\\udfff", b"\\udbffA", b"x\\ude00y")  # JSON escapes of unpaired surrogates


def _quoted(rng: random.Random, prefix: str = "") -> bytes:
    return b'"' + prefix.encode() + rng.choice(_SURROGATES) + b'"'


def lone_surrogate(rng: random.Random, d: Draft) -> Case:
    """Valid UTF-8 bytes, valid JSON syntax, text that is not Unicode: fatal only where routing reads it."""
    where = rng.choice(("body", "body-key", "eventId", "serviceOrderId", "changeId", "dataArea"))
    if where == "body":
        name = rng.choice(body_fields(d))
        return good_case(d, "lone-surrogate:data-value", spliced(rng, d, f"data.{name}", _quoted(rng, "x")))
    if where == "body-key":
        d.data["@@key@@"] = "x"
        value = render(d.envelope, rng).replace(b'"@@key@@"', _quoted(rng, "k"))
        return good_case(d, "lone-surrogate:data-key", value)
    if where == "eventId":
        return replace(
            good_case(d, "lone-surrogate:eventId", spliced(rng, d, "eventId", _quoted(rng))), event_id=None
        )
    if where == "dataArea":
        drop_area_fallbacks(d)
        return bad_case(d, "lone-surrogate:dataArea", spliced(rng, d, "dataArea", _quoted(rng, "fwwt")))
    path = "data.serviceOrderId" if where == "serviceOrderId" else "changeId"
    prefix = d.ticket if where == "serviceOrderId" else "1"
    return bad_case(d, f"lone-surrogate:{path}", spliced(rng, d, path, _quoted(rng, prefix)))
