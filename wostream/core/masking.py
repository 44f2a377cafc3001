"""Remove a subscriber's masked fields from its copy of a body, before it leaves the service.

Masks are a security control, so matching errs towards removing too much: keys match trimmed and
case-insensitively (a producer's `contacttel ` is still a phone number), arrays are descended whether
or not the path says `[]`, and `[]` on an object still descends into it. Masked fields are removed,
not blanked, so nothing about their value (not even emptiness) leaves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import simplejson

from wostream.core.catalogue import norm
from wostream.core.keys import Keys

_SEGMENT = re.compile(r"[^.\[\]]+(\[\])?")
MAX_JSON_TEXT = 1 << 20  # a string value is looked into as JSON up to this size (bounded by the event anyway)

Path = tuple[str, ...]  # normalised key names, root first


def validate_mask_path(path: str) -> str | None:
    """Why `path` is not a valid mask path (for config validation), or None when it is.

    Grammar: names separated by `.`, each optionally followed by `[]` (array entries), e.g.
    `contactTel`, `currentUser[].userTel`, `a.b`.
    """
    if not isinstance(path, str):
        return f"mask path must be a string, got {type(path).__name__}"
    if not path.strip():
        return "mask path is empty"
    for segment in path.split("."):
        if not segment.strip():
            return f"mask path {path!r} has an empty segment"
        if not _SEGMENT.fullmatch(segment) or not segment.removesuffix("[]").strip():
            return f"mask path {path!r}: segment {segment!r} must be a name, optionally followed by []"
    return None


@lru_cache(maxsize=4096)
def compile_paths(paths: tuple[str, ...]) -> tuple[Path, ...]:
    """Normalised paths. Lenient on purpose: a malformed path still masks what it plausibly names."""
    out: list[Path] = []
    for path in paths:
        names = tuple(norm(seg.replace("[]", "")) for seg in str(path).split("."))
        names = tuple(name for name in names if name)
        if names:
            out.append(names)
    return tuple(out)


def _mask_value(value: Any, path: Path, keys: Keys) -> Any:
    """`value` with `path` removed below it; the same object when nothing was removed."""
    if isinstance(value, dict):
        return _mask_object(value, path, keys)
    if isinstance(value, list):
        new = [_mask_value(item, path, keys) for item in value]
        return value if all(a is b for a, b in zip(new, value, strict=True)) else new
    if isinstance(value, str):
        return _mask_json_text(value, path)
    return value


def _mask_json_text(text: str, path: Path) -> str:
    """A value the producer sent as a JSON string (`"[{\"userTel\": ...}]"`) is masked inside too, and stays a
    string: unchanged if nothing was removed, else the masked JSON written back."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")) or len(text) > MAX_JSON_TEXT:
        return text
    try:
        inner = simplejson.loads(text, use_decimal=True)
    except (ValueError, RecursionError):
        return text
    if not isinstance(inner, dict | list):
        return text
    masked = _mask_value(inner, path, Keys())
    if masked is inner:
        return text
    written: str = simplejson.dumps(masked, ensure_ascii=False, use_decimal=True)
    return written


def _mask_object(obj: dict[str, Any], path: Path, keys: Keys) -> dict[str, Any]:
    """Every key spelling the path's head is followed (a body may hold `contactTel` and `contacttel`)."""
    head, rest = path[0], path[1:]
    matches: list[str] | None = keys.groups(obj).get(head)
    if not matches:
        return obj
    copy: dict[str, Any] | None = None
    for key in matches:
        if not rest:
            copy = dict(obj) if copy is None else copy
            del copy[key]
            continue
        new = _mask_value(obj[key], rest, keys)
        if new is not obj[key]:
            copy = dict(obj) if copy is None else copy
            copy[key] = new
    return obj if copy is None else copy


def mask(body: dict[str, Any], paths: Sequence[str], keys: Keys | None = None) -> dict[str, Any]:
    """A new body without the fields `paths` name; the input is never mutated. `keys`: the event's key
    groups (from intake), shared by every subscriber's copy."""
    keys = Keys() if keys is None else keys
    out = body
    for path in compile_paths(tuple(paths)):
        out = _mask_object(out, path, keys)
    return dict(out) if out is body else out
