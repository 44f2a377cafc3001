"""Subscriptions: the operator's YAML file, and the records of the compacted config topic.

A subscription decides which events leave the service for whom, so a mistake must be loud, not lenient:
the whole file is checked and every problem listed at once (an operator fixes a file in one pass), unknown
and duplicated keys are errors (a typo must not silently widen or narrow a scope), and each message names
the file, the entry (0-based index, and baseCode when known) and the key — never a secret.

The YAML is read with every scalar kept as the text the operator wrote (`organIds: [0671024]` stays
"0671024" instead of becoming an octal integer); numbers and booleans are parsed here where a key needs them.
The config-topic value is the same shape as a YAML entry with `secretHash` only, validated by the same code.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import yaml

from wostream.config.errors import ConfigError
from wostream.core.credentials import ALGORITHM, hash_secret, looks_like_hash
from wostream.core.models import WILDCARD, RetryPolicy, Subscription

BASE_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
CHANGE_IDS = frozenset(str(n) for n in range(1, 11))
_MASK_PATH_RE = re.compile(r"[^.\[\]]+(\[\])?(\.[^.\[\]]+(\[\])?)*")
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TRUE, _FALSE = frozenset({"true", "True", "TRUE"}), frozenset({"false", "False", "FALSE"})

_ENTRY_KEYS = (
    "baseCode",
    "name",
    "secret",
    "secretHash",
    "dataAreas",
    "changeIds",
    "scope",
    "mask",
    "enabled",
    "paused",
    "retry",
)
_SCOPE_KEYS = ("organIds", "communityIds")
_RETRY_KEYS = ("attempts", "initial", "max")


# ---------------------------------------------------------------- YAML file


def parse_subscriptions(text: str, env: Mapping[str, str], source: str = "<file>") -> list[Subscription]:
    """Validate a whole subscriptions file and return its subscriptions with clear secrets hashed.

    `${VAR}` in `secret` is expanded from `env` (injected, so tests and the CLI decide where it comes from).
    Raises ConfigError listing every problem; nothing is hashed unless the whole file is valid.
    """
    errors: list[str] = []
    data = _load_yaml(text, source, errors)
    entries = [] if data is _UNREADABLE else _subscriber_list(data, source, errors)
    drafts: list[tuple[Subscription, str | None]] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(entries):
        report = _Report(f"{source}: subscribers[{index}]", errors)
        parsed = _check_entry(raw, report, env, wire=False)
        _check_unique(raw, index, first_index, report)
        if parsed is not None:
            drafts.append(parsed)
    if errors:
        raise ConfigError(errors)
    # Hashing is slow (by design), so it waits until the whole file is known to be valid.
    return [sub if clear is None else replace(sub, secret_hash=hash_secret(clear)) for sub, clear in drafts]


def _check_unique(raw: Any, index: int, first_index: dict[str, int], report: _Report) -> None:
    """Two entries for one baseCode would be two records with one key: the later would silently win."""
    code = raw.get("baseCode") if isinstance(raw, dict) else None
    if not isinstance(code, str) or not BASE_CODE_RE.fullmatch(code):
        return
    if code in first_index:
        report.add("baseCode", f"{_show(code)} is already used by subscribers[{first_index[code]}]")
    else:
        first_index[code] = index


_UNREADABLE = object()


class _Loader(yaml.BaseLoader):
    """BaseLoader keeps every scalar a string; this one also records duplicated mapping keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    self.duplicates.append((key_node.start_mark.line + 1, key_node.value))
                seen.add(key_node.value)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def _load_yaml(text: str, source: str, errors: list[str]) -> Any:
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        # Only the problem and position: the snippet YAML would quote may be a line holding a secret.
        mark = exc.problem_mark
        where = "" if mark is None else f" (line {mark.line + 1}, column {mark.column + 1})"
        what = ", ".join(part for part in (exc.context, exc.problem) if part)
        errors.append(f"{source}: invalid YAML: {what}{where}")
        return _UNREADABLE
    except yaml.YAMLError:
        errors.append(f"{source}: invalid YAML")
        return _UNREADABLE
    finally:
        loader.dispose()
    errors.extend(f"{source}: line {line}: duplicate key {_show(key)}" for line, key in loader.duplicates)
    return data


def _subscriber_list(data: Any, source: str, errors: list[str]) -> list[Any]:
    if not isinstance(data, dict):
        errors.append(f'{source}: the top level must be a mapping with a "subscribers" list')
        return []
    report = _Report(source, errors)
    report.unknown_keys(data, ("subscribers",), "")
    if "subscribers" not in data:
        report.add("subscribers", "required")
        return []
    entries = data["subscribers"]
    if not isinstance(entries, list):
        report.add("subscribers", "must be a list of subscriber entries")
        return []
    return entries


# ---------------------------------------------------------------- one entry (YAML or topic record)


@dataclass
class _Report:
    """Collects messages for one entry, prefixed with where they come from."""

    prefix: str
    errors: list[str]

    def add(self, key: str, problem: str) -> None:
        self.errors.append(f"{self.prefix}: {key}: {problem}")

    def unknown_keys(self, raw: dict[Any, Any], allowed: Sequence[str], parent: str) -> None:
        for key in raw:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                suggestion = f" (did you mean {_show(hint[0])}?)" if hint else ""
                self.add(parent + str(key), "unknown key" + suggestion)


def _check_entry(
    raw: Any, report: _Report, env: Mapping[str, str], *, wire: bool
) -> tuple[Subscription, str | None] | None:
    """Validate one entry: (subscription, clear secret still to hash, or None), or None after errors."""
    if not isinstance(raw, dict):
        report.errors.append(f"{report.prefix}: must be a mapping")
        return None
    base_code = _base_code(raw.get("baseCode"), report)
    if base_code is not None:
        report.prefix += f" ({base_code})"
    start = len(report.errors)
    report.unknown_keys(raw, [k for k in _ENTRY_KEYS if not (wire and k == "secret")], "")
    name = raw.get("name", base_code or "")
    if not isinstance(name, str):
        report.add("name", "must be a string")
    secret, secret_hash = _wire_secret_hash(raw, report) if wire else _secrets(raw, report, env)
    data_areas = _id_set(raw, "dataAreas", report, _check_data_area, required=True, non_empty=True)
    change_ids = _id_set(raw, "changeIds", report, _check_change_id, required=True, non_empty=True)
    organ_ids, community_ids = _scope(raw, report)
    mask = _mask(raw.get("mask", []), report)
    enabled = _flag(raw.get("enabled", True), "enabled", report)
    paused = _flag(raw.get("paused", False), "paused", report)
    retry = _retry(raw["retry"], report) if "retry" in raw else None
    if base_code is None or len(report.errors) > start:
        return None
    assert data_areas is not None and change_ids is not None and mask is not None
    assert organ_ids is not None and community_ids is not None and enabled is not None and paused is not None
    return Subscription(
        base_code,
        name,
        secret_hash or "",
        data_areas,
        change_ids,
        organ_ids,
        community_ids,
        mask,
        enabled,
        retry,
        paused,
    ), secret


def _base_code(value: Any, report: _Report) -> str | None:
    if value is None:
        report.add("baseCode", "required")
        return None
    if not isinstance(value, str) or not BASE_CODE_RE.fullmatch(value):
        report.add(
            "baseCode",
            f"{_show(value)} must be 1-64 characters of A-Z a-z 0-9 _ - "
            "(it names the topic wo.push.<baseCode>)",
        )
        return None
    return value


def _secrets(raw: dict[Any, Any], report: _Report, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Exactly one of a clear `secret` (expanded, hashed later) or a `secretHash` (checked, never shown)."""
    if "secret" in raw and "secretHash" in raw:
        report.add("secret", "give either secret or secretHash, not both")
        return None, None
    if "secretHash" in raw:
        return _wire_secret_hash(raw, report)
    if "secret" not in raw:
        report.add("secret", "required (or secretHash)")
        return None, None
    value = raw["secret"]
    if not isinstance(value, str):
        report.add("secret", "must be a string")
        return None, None
    missing = [name for name in _ENV_RE.findall(value) if name not in env]
    for name in dict.fromkeys(missing):
        report.add("secret", f"environment variable {name} is not set")
    secret = _ENV_RE.sub(lambda m: env.get(m.group(1), ""), value)
    if not missing and not secret:
        report.add("secret", "must not be empty")
    return (secret or None), None


def _wire_secret_hash(raw: dict[Any, Any], report: _Report) -> tuple[None, str | None]:
    """A ready hash: checked for shape, never echoed (a clear secret pasted here must not reach a log)."""
    if "secretHash" not in raw:
        report.add("secretHash", "required")
        return None, None
    value = raw["secretHash"]
    if not looks_like_hash(value):
        report.add("secretHash", f"is not a hash made by wostream ({ALGORITHM}$<iterations>$<salt>$<hash>)")
        return None, None
    return None, str(value)


def _id_set(
    raw: dict[Any, Any],
    key: str,
    report: _Report,
    check: Callable[[str], str | None],
    *,
    required: bool,
    non_empty: bool,
    parent: str = "",
) -> frozenset[str] | None:
    """A list of codes or ids, or ["*"]; YAML integers are accepted and kept as the text written."""
    path = parent + key
    if key not in raw:
        if required:
            report.add(path, "required")
            return None
        return frozenset()
    value = raw[key]
    if not isinstance(value, list) or (non_empty and not value):
        report.add(path, "must be a non-empty list" if non_empty else "must be a list")
        return None
    items: list[str] = []
    for item in value:
        text = _scalar_text(item)
        problem = f"{_show(item)} is not a string" if text is None else check(text)
        if problem is not None:
            report.add(path, problem)
        else:
            items.append(str(text))
    if WILDCARD in items and len(set(items)) > 1:
        report.add(path, f'"{WILDCARD}" must be the only item')
    return frozenset(items) if len(items) == len(value) else None


def _check_change_id(text: str) -> str | None:
    if text in CHANGE_IDS or text == WILDCARD:
        return None
    return f'{_show(text)} is not an event kind (1..10 or "*")'


def _non_blank(what: str) -> Callable[[str], str | None]:
    return lambda text: None if text and text.strip() == text else f"{_show(text)} is not {what}"


_check_data_area, _check_id = _non_blank("a data-area code"), _non_blank("an id")


def _scope(raw: dict[Any, Any], report: _Report) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    if "scope" not in raw:
        report.add("scope", 'required (organIds: ["*"] means all organisations)')
        return None, None
    scope = raw["scope"]
    if not isinstance(scope, dict):
        report.add("scope", "must be a mapping with organIds and/or communityIds")
        return None, None
    report.unknown_keys(scope, _SCOPE_KEYS, "scope.")
    ids = [
        _id_set(scope, key, report, _check_id, required=False, non_empty=False, parent="scope.")
        for key in _SCOPE_KEYS
    ]
    return ids[0], ids[1]


def _mask(value: Any, report: _Report) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        report.add("mask", "must be a list of field paths")
        return None
    ok = True
    for item in value:
        if not isinstance(item, str) or not _MASK_PATH_RE.fullmatch(item):
            report.add(
                "mask",
                f'{_show(item)} is not a field path (names joined by ".", a list marked "[]", '
                "e.g. currentUser[].userTel)",
            )
            ok = False
    return tuple(dict.fromkeys(value)) if ok else None


def _flag(value: Any, key: str, report: _Report) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and (value in _TRUE or value in _FALSE):
        return value in _TRUE
    report.add(key, f"{_show(value)} must be true or false")
    return None


def _retry(value: Any, report: _Report) -> RetryPolicy | None:
    """All three keys or none: a partial policy would silently mix in defaults nobody chose."""
    if not isinstance(value, dict):
        report.add("retry", "must be a mapping with attempts, initial and max")
        return None
    start = len(report.errors)
    report.unknown_keys(value, _RETRY_KEYS, "retry.")
    for key in _RETRY_KEYS:
        if key not in value:
            report.add(f"retry.{key}", "required")
    attempts = _attempts(value["attempts"], report) if "attempts" in value else None
    initial = _duration(value["initial"], "retry.initial", report) if "initial" in value else None
    longest = _duration(value["max"], "retry.max", report) if "max" in value else None
    if initial is not None and longest is not None and initial > longest:
        report.add("retry", f"initial ({initial:g}s) must not exceed max ({longest:g}s)")
    if len(report.errors) > start or attempts is None or initial is None or longest is None:
        return None
    return RetryPolicy(attempts=attempts, initial=initial, max=longest)


def _attempts(value: Any, report: _Report) -> int | None:
    text = _scalar_text(value)
    if text is None or not text.isascii() or not text.isdigit() or int(text) < 1:
        report.add("retry.attempts", f"{_show(value)} must be a whole number ≥ 1")
        return None
    return int(text)


def _duration(value: Any, path: str, report: _Report) -> float | None:
    """Seconds from `500ms`, `1s`, `5m`, `1h` or a bare number of seconds; must be positive."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds: float | None = float(value)
    else:
        match = _DURATION_RE.fullmatch(value) if isinstance(value, str) else None
        seconds = None if match is None else float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds is None or not seconds > 0 or seconds == float("inf"):
        report.add(path, f"{_show(value)} is not a duration (e.g. 500ms, 1s, 5m, 1h or a number of seconds)")
        return None
    return seconds


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _show(value: Any) -> str:
    """A value as it should appear in a message: JSON for scalars, a type word for the rest."""
    if value is None or isinstance(value, str | int | float | bool):
        return json.dumps(value, ensure_ascii=False)
    return "a mapping" if isinstance(value, dict) else "a list" if isinstance(value, list) else "a value"


# ---------------------------------------------------------------- the same entry, from a config-topic record


def validate_wire_entry(raw: Any, prefix: str) -> Subscription:
    """A config-topic value (a YAML entry with `secretHash` only), through the same checks as the file.

    A hand-written or corrupt record cannot open a wider scope than the file format could express.
    Raises ConfigError naming `prefix` and the key.
    """
    report = _Report(prefix, [])
    parsed = _check_entry(raw, report, {}, wire=True)
    if report.errors or parsed is None:
        raise ConfigError(report.errors)
    return parsed[0]


def show(value: Any) -> str:
    """A value as it appears in a message: JSON for scalars, a type word for the rest."""
    return _show(value)


def public_view(sub: Subscription) -> dict[str, Any]:
    """Everything an operator page may show: the subscription without its secret hash."""
    view: dict[str, Any] = {
        "baseCode": sub.base_code,
        "name": sub.name,
        "dataAreas": sorted(sub.data_areas),
        "changeIds": sorted(sub.change_ids, key=lambda c: (c != WILDCARD, int(c) if c.isdigit() else 0, c)),
        "scope": {"organIds": sorted(sub.organ_ids), "communityIds": sorted(sub.community_ids)},
        "mask": list(sub.mask),
        "enabled": sub.enabled,
        "paused": sub.paused,
    }
    if sub.retry is not None:
        view["retry"] = {"attempts": sub.retry.attempts, "initial": sub.retry.initial, "max": sub.retry.max}
    return view
