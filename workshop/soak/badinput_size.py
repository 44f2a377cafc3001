"""Grammar, size: huge records, deep nesting and big numbers, with good cases just inside each limit.

The limits are intake's and the worker's, read from where they are defined, so the grammar moves with them:
intake refuses events over `MAX_EVENT_BYTES` or nested deeper than `MAX_DEPTH`, Python refuses integer
literals over its digit limit, and the worker quarantines a copy larger than `max_record_bytes` (its
records layer, after routing). A large event whose copy still fits, or deep-but-allowed nesting, is good.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable

from workshop.soak.badinput_base import Case, Draft, bad_case, body_fields, good_case, render, spliced
from wostream.config.settings import Settings
from wostream.core.intake import MAX_DEPTH, MAX_EVENT_BYTES

Variant = Callable[[random.Random, Draft], Case]

RECORD_LIMIT: int = Settings.model_fields["max_record_bytes"].default  # largest record the worker writes
DIGIT_LIMIT = sys.get_int_max_str_digits() or 4300  # 0 means unlimited: then the digit cases are moot
_TEXT = "房屋漏水电梯维修物业服务，请尽快处理。 abcdefghij 0123456789"


def _filler(rng: random.Random, size: int) -> str:
    """About `size` bytes of UTF-8 text (a repeated random chunk: cheap at megabytes)."""
    chunk = "".join(rng.choice(_TEXT) for _ in range(512))
    return chunk * (size // len(chunk.encode("utf-8")) + 1)


def _over_record_limit(rng: random.Random, d: Draft) -> Case:
    d.data["remark"] = _filler(rng, rng.randrange(RECORD_LIMIT * 11 // 10, RECORD_LIMIT * 5 // 2))
    return bad_case(d, "huge:over-record-limit", render(d.envelope, rng, data_as_string=rng.random() < 0.3))


def _many_fields(rng: random.Random, d: Draft) -> Case:
    d.data.update({f"extra{i}": f"值{i}" for i in range(rng.randrange(60_000, 90_000))})
    return bad_case(d, "huge:many-fields", render(d.envelope, rng))


def _long_array(rng: random.Random, d: Draft) -> Case:
    item = {"title": "描述", "attrCode": "REMARK", "attrValue": "x" * 40}
    d.data["reqVariables"] = [item] * rng.randrange(15_000, 25_000)
    return bad_case(d, "huge:long-array", render(d.envelope, rng))


def _padded(rng: random.Random, d: Draft, pad: int) -> bytes:
    """Valid JSON with `pad` bytes of whitespace after the opening brace."""
    unit = rng.choice((b" ", b"\n", b" \r\n\t"))
    return b"{" + unit * (pad // len(unit) + 1) + render(d.envelope, rng)[1:]


def _over_intake_limit(rng: random.Random, d: Draft) -> Case:
    return bad_case(d, "huge:over-intake-limit", _padded(rng, d, MAX_EVENT_BYTES + rng.randrange(1, 1 << 20)))


def _whitespace_padded(rng: random.Random, d: Draft) -> Case:
    """Megabytes of whitespace around a small event: the copy is small, so it is delivered."""
    return good_case(
        d, "huge:whitespace-padded", _padded(rng, d, rng.randrange(RECORD_LIMIT, RECORD_LIMIT * 2))
    )


def _below_record_limit(rng: random.Random, d: Draft) -> Case:
    d.data["remark"] = _filler(rng, rng.randrange(RECORD_LIMIT // 4, RECORD_LIMIT * 85 // 100))
    return good_case(d, "huge:below-record-limit", render(d.envelope, rng))


HUGE: tuple[Variant, ...] = (
    _over_record_limit,
    _many_fields,
    _long_array,
    _over_intake_limit,
    _whitespace_padded,
    _below_record_limit,
)


def huge(rng: random.Random, d: Draft) -> Case:
    return rng.choice(HUGE)(rng, d)


def nest(depth: int, opener: bytes = b"[", closer: bytes = b"]") -> bytes:
    return opener * depth + closer * depth


def _very_deep(rng: random.Random) -> int:
    """Far beyond Python's recursion limit: the parser must refuse, not crash."""
    return rng.choice((100_000, rng.randrange(5_000, 100_000)))


def _field(rng: random.Random, d: Draft) -> str:
    return "data." + rng.choice(body_fields(d))


def _deep(rng: random.Random, d: Draft) -> Case:
    """The whole record: arrays (closed or not) or objects, 5 000 to 100 000 deep."""
    depth = _very_deep(rng)
    shape = rng.choice(("unclosed", "closed", "objects"))
    value = {"unclosed": b"[" * depth, "closed": nest(depth), "objects": nest(depth, b'{"a":', b"}")}[shape]
    return bad_case(d, f"deep:{shape}", value.replace(b'{"a":}', b'{"a":1}'))


def _deep_in_data(rng: random.Random, d: Draft) -> Case:
    as_string = rng.random() < 0.5
    value = spliced(rng, d, _field(rng, d), nest(_very_deep(rng)), data_as_string=as_string)
    return bad_case(d, "deep:in-data-string" if as_string else "deep:in-data", value)


def _over_depth_limit(rng: random.Random, d: Draft) -> Case:
    """Within Python's reach, beyond intake's `MAX_DEPTH` (envelope 1, data 2, then the field's nesting).

    As a JSON string, `data` is checked on its own (data 1): one level more is allowed there.
    """
    as_string = rng.random() < 0.3
    depth = MAX_DEPTH - (1 if not as_string else 0) + rng.randrange(0, 200)
    value = spliced(rng, d, _field(rng, d), nest(depth), data_as_string=as_string)
    return bad_case(d, "deep:over-limit-in-data-string" if as_string else "deep:over-limit", value)


def _within_depth_limit(rng: random.Random, d: Draft) -> Case:
    at_limit = rng.random() < 0.5
    depth = MAX_DEPTH - 2 if at_limit else rng.randrange(3, 12)
    kind = "deep:at-limit" if at_limit else "deep:nested"
    return good_case(d, kind, spliced(rng, d, _field(rng, d), nest(depth)))


DEEP: tuple[Variant, ...] = (_deep, _deep_in_data, _over_depth_limit, _within_depth_limit)


def deep(rng: random.Random, d: Draft) -> Case:
    return rng.choice(DEEP)(rng, d)


def _digits(rng: random.Random, count: int) -> bytes:
    return str(rng.randrange(1, 10)).encode() + bytes(rng.choices(b"0123456789", k=count - 1))


def _big_change_id(rng: random.Random, d: Draft) -> Case:
    value = spliced(rng, d, "changeId", _digits(rng, rng.randrange(20, DIGIT_LIMIT)))
    return bad_case(d, "big-number:changeId", value)


def _big_ticket(rng: random.Random, d: Draft) -> Case:
    """An integer serviceOrderId is read as its digits (intake: "a string or integer")."""
    digits = _digits(rng, rng.choice((16, 17, 19, 20, 39, 40, 64)))
    d.ticket = digits.decode()
    return good_case(d, "big-number:data.serviceOrderId", spliced(rng, d, "data.serviceOrderId", digits))


def _big_field(rng: random.Random, d: Draft) -> Case:
    sign = rng.choice((b"", b"-"))
    digits = sign + _digits(rng, rng.choice((20, 100, 1000, DIGIT_LIMIT)))
    return good_case(d, "big-number:data-field", spliced(rng, d, _field(rng, d), digits))


def _big_area(rng: random.Random, d: Draft) -> Case:
    return good_case(
        d, "big-number:dataArea", spliced(rng, d, "dataArea", _digits(rng, rng.randrange(20, 60)))
    )


def _over_digit_limit(rng: random.Random, d: Draft) -> Case:
    path = rng.choice(("changeId", "data.serviceOrderId", _field(rng, d)))
    value = spliced(rng, d, path, _digits(rng, DIGIT_LIMIT + rng.randrange(1, 3000)))
    return bad_case(d, "big-number:digit-limit", value)


_EXPONENTS = (b"1e400", b"-1E-400", b"1e999999999", b"12345678901234567890.123456789e-5", b"0.1e+308")
# Beyond what Python's decimal can represent (exponent over 999 999 999 999 999 999).
_OVERFLOWS = (b"1e99999999999999999999", b"-1E-99999999999999999999", b"7.5e123456789012345678901234567890")


def _exponent(rng: random.Random, d: Draft) -> Case:
    return good_case(d, "big-number:exponent", spliced(rng, d, _field(rng, d), rng.choice(_EXPONENTS)))


def _exponent_overflow(rng: random.Random, d: Draft) -> Case:
    value = spliced(rng, d, _field(rng, d), rng.choice(_OVERFLOWS))
    return bad_case(d, "big-number:exponent-overflow", value)


BIG_NUMBERS: tuple[Variant, ...] = (
    _big_change_id,
    _big_ticket,
    _big_field,
    _big_area,
    _over_digit_limit,
    _exponent,
    _exponent_overflow,
)


def big_number(rng: random.Random, d: Draft) -> Case:
    return rng.choice(BIG_NUMBERS)(rng, d)
