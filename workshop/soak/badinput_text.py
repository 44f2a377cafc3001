"""Grammar, text: bytes that are not one JSON object of UTF-8 text, or JSON that reads two ways.

All of these are quarantined. Duplicate keys are valid JSON syntax (RFC 8259 only says names SHOULD be
unique), but when the two values of a routing field differ the event means two things: parsers keep the
first or the last or fail, so producer and router may disagree on where it goes. The grammar expects a
quarantine naming the duplicate; only routing fields are duplicated, each time with different values.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable

from workshop.soak.badinput_base import (
    BOM,
    SLOT,
    TICKETS,
    Case,
    Draft,
    bad_case,
    body_fields,
    dumps,
    render,
    set_path,
    splice,
    spliced,
)

Variant = Callable[[random.Random, Draft], bytes]

_TEXTS = (
    b"hello",
    b"changeId=1&serviceOrderId=4503599741262301",
    b"<event><changeId>1</changeId></event>",
    b"ERROR 504 Gateway Time-out",
    b"1,fwwt,4503599741262301,671024",
    "工单已生成".encode(),
    b"undefined",
    b"{changeId: 1}",
)
_SCALARS = (b"1", b"-0", b'"text"', b"true", b"false", b"null", b"1.5", b"[]", b"[1, 2]", b"{}[]")


def _binary(rng: random.Random, d: Draft) -> bytes:
    """Random bytes led by a continuation byte, so never UTF-8."""
    return bytes([rng.randrange(0x80, 0xC0)]) + rng.randbytes(rng.randrange(0, 300))


def _gzipped(rng: random.Random, d: Draft) -> bytes:
    return gzip.compress(render(d.envelope, rng), mtime=0)


def _framed(rng: random.Random, d: Draft) -> bytes:
    """Confluent schema-registry framing (magic byte, schema id) in front of good JSON."""
    return b"\x00" + rng.randbytes(4) + render(d.envelope, rng)


def _python_repr(rng: random.Random, d: Draft) -> bytes:
    return repr(d.envelope).encode("utf-8")


def _commented(rng: random.Random, d: Draft) -> bytes:
    """`//` comments, as in the original document's examples."""
    lines = json.dumps(d.envelope, indent=2, ensure_ascii=False).split("\n")
    at = rng.randrange(1, len(lines))
    lines.insert(at, "  // 转单时间")
    return "\n".join(lines).encode("utf-8")


def _trailing_comma(rng: random.Random, d: Draft) -> bytes:
    text = render(d.envelope, rng)
    return text[:-1] + b",}"


def _missing_comma(rng: random.Random, d: Draft) -> bytes:
    """Drop one comma between members (one inside a string would leave valid JSON: those are skipped)."""
    text = json.dumps(d.envelope, indent=rng.choice((None, 2)), ensure_ascii=False)
    commas = [i for i, c in enumerate(text) if c == ","]
    rng.shuffle(commas)
    for at in commas:
        candidate = text[:at] + text[at + 1 :]
        if not _parses(candidate):
            return candidate.encode("utf-8")
    raise AssertionError("no comma between members")


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _double_encoded(rng: random.Random, d: Draft) -> bytes:
    """The event serialised twice: a JSON string holding the object."""
    return json.dumps(render(d.envelope, rng).decode("utf-8")).encode("utf-8")


def _concatenated(rng: random.Random, d: Draft) -> bytes:
    """Two events in one record (newline-delimited, or a batch array)."""
    one = render(d.envelope, rng)
    return rng.choice((one + b"\n" + one, b"[" + one + b"," + one + b"]", b"[" + one + b"]"))


NOT_JSON: dict[str, Variant] = {
    "binary": _binary,
    "gzip": _gzipped,
    "schema-registry-framed": _framed,
    "text": lambda rng, d: rng.choice(_TEXTS),
    "python-repr": _python_repr,
    "comment": _commented,
    "trailing-comma": _trailing_comma,
    "missing-comma": _missing_comma,
    "empty": lambda rng, d: b"",
    "whitespace": lambda rng, d: rng.choice((b" ", b"\n", b"\t\r\n  ", BOM, BOM + b" \n")),
    "scalar": lambda rng, d: rng.choice(_SCALARS),
    "double-encoded": _double_encoded,
    "concatenated": _concatenated,
}


def not_json(rng: random.Random, d: Draft) -> Case:
    name = rng.choice(sorted(NOT_JSON))
    return bad_case(d, f"not-json:{name}", NOT_JSON[name](rng, d))


def _cut_anywhere(rng: random.Random, d: Draft) -> bytes:
    text = render(d.envelope, rng)
    return text[: rng.randrange(1, len(text))]


def _cut_in_half(rng: random.Random, d: Draft) -> bytes:
    text = render(d.envelope, rng)
    return text[: len(text) // 2]


def _cut_last_brace(rng: random.Random, d: Draft) -> bytes:
    return render(d.envelope, rng)[:-1]


def _cut_in_character(rng: random.Random, d: Draft) -> bytes:
    """Cut inside a multi-byte character (anywhere when the layout escaped them all)."""
    text = render(d.envelope, rng)
    leads = [i for i, b in enumerate(text) if b >= 0xE0]
    return text[: rng.choice(leads) + rng.choice((1, 2))] if leads else text[: rng.randrange(1, len(text))]


def _cut_data_string(rng: random.Random, d: Draft) -> bytes:
    """`data` as a JSON string whose inner text was cut; the envelope itself is whole."""
    inner = json.dumps(d.data, ensure_ascii=False)
    return render({**d.envelope, "data": inner[: rng.randrange(1, len(inner))]}, rng)


TRUNCATED: dict[str, Variant] = {
    "anywhere": _cut_anywhere,
    "half": _cut_in_half,
    "last-brace": _cut_last_brace,
    "in-character": _cut_in_character,
    "data-string": _cut_data_string,
}


def truncated(rng: random.Random, d: Draft) -> Case:
    """A good event cut short: any proper prefix of a JSON object is not JSON (no trailing whitespace)."""
    name = rng.choice(sorted(TRUNCATED))
    return bad_case(d, f"truncated:{name}", TRUNCATED[name](rng, d))


_NOT_UTF8 = (
    b"\xff",
    b"\xfe",
    b"\x80",  # a continuation byte alone
    b"\xc3",  # a lead byte alone
    b"\xe6\x88",  # a CJK character cut short
    b"\xc0\xaf",  # overlong "/"
    b"\xed\xa0\x80",  # a surrogate encoded (CESU-8)
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
)


def _in_value(rng: random.Random, d: Draft) -> bytes:
    path = rng.choice(["dataArea", "eventId", *(f"data.{k}" for k in body_fields(d))])
    return spliced(rng, d, path, b'"ab' + rng.choice(_NOT_UTF8) + b'cd"')


def _in_key(rng: random.Random, d: Draft) -> bytes:
    d.data[SLOT] = "x"
    return splice(render(d.envelope, rng), b'"k' + rng.choice(_NOT_UTF8) + b'"')


def _encoded(rng: random.Random, d: Draft, codec: str) -> bytes:
    text = json.dumps(d.envelope, ensure_ascii=False)
    value = text.encode(codec, "replace")
    return value if not _is_utf8(value) else value + b"\xff"


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


INVALID_UTF8: dict[str, Variant] = {
    "in-value": _in_value,
    "in-key": _in_key,
    "gbk": lambda rng, d: _encoded(rng, d, "gbk"),
    "utf-16": lambda rng, d: _encoded(rng, d, "utf-16"),
    "after-bom": lambda rng, d: BOM + b"\xff" + render(d.envelope, rng),
}


def invalid_utf8(rng: random.Random, d: Draft) -> Case:
    name = rng.choice(sorted(INVALID_UTF8))
    return bad_case(d, f"invalid-utf8:{name}", INVALID_UTF8[name](rng, d))


_NON_FINITE = (b"NaN", b"Infinity", b"-Infinity")


def non_finite(rng: random.Random, d: Draft) -> Case:
    """NaN/Infinity: Python and Jackson write them, JSON does not allow them."""
    token = rng.choice(_NON_FINITE)
    where = rng.choice(("data", "envelope", "data-string"))
    if where == "envelope":
        path = rng.choice(("changeId", "dataArea", "eventId", "score"))
    else:
        path = "data." + rng.choice(["serviceOrderId", "organId", "evalue", *body_fields(d)])
    return bad_case(
        d, f"non-finite:{where}", spliced(rng, d, path, token, data_as_string=where == "data-string")
    )


def _other(rng: random.Random, value: str, pool: tuple[str, ...]) -> str:
    return rng.choice([p for p in pool if p != value])


_DUPLICATE_POOLS: dict[str, tuple[str, ...]] = {
    "changeId": ("1", "2", "3", "4", "5", "6", "7", "9", "10"),
    "dataArea": ("fwwt", "10008", "sbwx"),
    "data.serviceOrderId": TICKETS,
    "data.organId": ("671024", "671025", "680013"),
    "data.communityId": ("139912543382896", "139912543382897"),
}


def _duplicate_values(rng: random.Random, d: Draft, path: str) -> tuple[bytes, bytes]:
    """Two different values for `path`, each acceptable on its own."""
    if path == "data":
        other = {**d.data, "serviceOrderId": _other(rng, d.ticket, TICKETS), "organId": "999999"}
        return dumps(d.data), dumps(other)
    pool = _DUPLICATE_POOLS.get(path, (d.event_id, d.event_id + "-again"))
    first = rng.choice(pool)
    return dumps(first), dumps(_other(rng, first, pool))


DUPLICATED = (
    "changeId",
    "dataArea",
    "data",
    "eventId",
    "data.serviceOrderId",
    "data.organId",
    "data.communityId",
)


def duplicate_key(rng: random.Random, d: Draft) -> Case:
    """The same key twice with different values (or a second, leniently equal spelling of it)."""
    path = rng.choice(DUPLICATED)
    name = path.rsplit(".", 1)[-1]
    second = rng.choice((name, name.lower(), name.upper()))
    first_value, second_value = _duplicate_values(rng, d, path)
    if rng.random() < 0.5:
        first_value, second_value = second_value, first_value
    set_path(d.envelope, path, SLOT)
    text = first_value + b", " + dumps(second) + b": " + second_value
    return bad_case(d, f"duplicate-key:{path}", splice(render(d.envelope, rng), text))
