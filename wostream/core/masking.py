"""Remove a subscriber's masked fields from its copy of a body, before it leaves the service.

Masks are a security control, so matching errs towards removing too much: keys match trimmed and
case-insensitively (a producer's `contacttel ` is still a phone number), every occurrence of a key given
twice goes, arrays are descended whether or not the path says `[]`, `[]` on an object still descends into
it, and values sent as JSON text are looked into (`walk`, shared with enrichment). Masked fields are removed,
not blanked, so nothing about their value (not even emptiness) leaves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from wostream.core.catalogue import norm
from wostream.core.keys import Keys
from wostream.core.walk import walk

_SEGMENT = re.compile(r"[^.\[\]]+(\[\])?")

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
    """`value` with `path` removed below it (inside JSON text too: `walk`); the same object when nothing was
    removed."""
    return walk(value, lambda obj: _mask_object(obj, path, keys), keys)


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
