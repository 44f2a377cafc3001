"""Subscriptions: the operator's YAML file, and the records of the compacted config topic.

A subscription decides which events leave the service for whom, so a mistake must be loud, not lenient:
the whole file is checked and every problem listed at once (an operator fixes a file in one pass), unknown
and duplicated keys are errors (a typo must not silently widen or narrow a scope), and each message names
the file, the entry (0-based index, and baseCode when known) and the key — never a secret.

The YAML is read with every scalar kept as the text the operator wrote (`organIds: [0671024]` stays
"0671024" instead of becoming an octal integer). Each entry is checked by the schema of `subscription_entry`;
a config-topic value is a YAML entry with `secretHash` only, as JSON, checked by the same schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import ValidationError

from wostream.config.errors import ConfigError
from wostream.config.schema import BASE_CODE_RE, Strict, error_lines, says, show
from wostream.config.subscription_entry import Draft, WireEntry, entry_model
from wostream.core.credentials import hash_secret
from wostream.core.models import WILDCARD, Subscription

__all__ = [
    "BASE_CODE_RE",
    "Draft",
    "hash_secret",
    "parse_drafts",
    "parse_subscriptions",
    "public_view",
    "show",
    "validate_wire_entry",
]

_M = TypeVar("_M", bound=Strict)


class _SubscribersFile(Strict):
    subscribers: Annotated[list[Any], says("must be a list of subscriber entries")]


# ---------------------------------------------------------------- YAML file


def parse_subscriptions(text: str, env: Mapping[str, str], source: str = "<file>") -> list[Subscription]:
    """Validate a whole subscriptions file and return its subscriptions with clear secrets hashed.

    `${VAR}` in `secret` is expanded from `env` (injected, so tests and the CLI decide where it comes from).
    Raises ConfigError listing every problem; nothing is hashed unless the whole file is valid.
    """
    drafts = parse_drafts(text, env, source)
    # Hashing is slow (by design), so it waits until the whole file is known to be valid.
    return [sub if clear is None else replace(sub, secret_hash=hash_secret(clear)) for sub, clear in drafts]


def parse_drafts(text: str, env: Mapping[str, str], source: str = "<file>") -> list[Draft]:
    """Validate a whole subscriptions file: its subscriptions with clear secrets not hashed yet (the publisher
    keeps the hash already stored for a secret that did not change). Raises ConfigError listing every problem.
    """
    errors: list[str] = []
    drafts: list[Draft] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(_subscriber_list(_load_yaml(text, source, errors), source, errors)):
        prefix = _entry_prefix(f"{source}: subscribers[{index}]", raw)
        entry = _validate(entry_model(raw), raw, prefix, errors, env)
        _check_unique(raw, index, first_index, prefix, errors)
        if entry is not None:
            drafts.append(entry.draft())
    if errors:
        raise ConfigError(errors)
    return drafts


def _subscriber_list(data: Any, source: str, errors: list[str]) -> list[Any]:
    """The entries to check; an unknown top-level key alone does not stop them from being checked too."""
    if data is _UNREADABLE:
        return []
    if not isinstance(data, dict):
        errors.append(f'{source}: the top level must be a mapping with a "subscribers" list')
        return []
    top = _validate(_SubscribersFile, data, source, errors)
    entries = data.get("subscribers") if top is None else top.subscribers
    return entries if isinstance(entries, list) else []


def _check_unique(raw: Any, index: int, first_index: dict[str, int], prefix: str, errors: list[str]) -> None:
    """Two entries for one baseCode would be two records with one key: the later would silently win.

    Across entries, so outside the entry's schema; listed after the entry's own problems.
    """
    code = _base_code(raw)
    if code is None:
        return
    if code in first_index:
        errors.append(f"{prefix}: baseCode: {show(code)} is already used by subscribers[{first_index[code]}]")
    else:
        first_index[code] = index


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


_UNREADABLE = object()  # what `_load_yaml` returns for a file that is not YAML


def _load_yaml(text: str, source: str, errors: list[str]) -> Any:
    """The document, its scalars as text, with a line in `errors` for each duplicated key (YAML would keep the
    last silently); _UNREADABLE, with the reason in `errors`, for a file that is not one YAML document."""
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
    errors.extend(f"{source}: line {line}: duplicate key {show(key)}" for line, key in loader.duplicates)
    return data


# ---------------------------------------------------------------- one entry (YAML or topic record)


def _base_code(raw: Any) -> str | None:
    """The entry's baseCode if it is a valid one: it names the entry in messages and must be unique."""
    code = raw.get("baseCode") if isinstance(raw, dict) else None
    return code if isinstance(code, str) and BASE_CODE_RE.fullmatch(code) else None


def _entry_prefix(prefix: str, raw: Any) -> str:
    """Messages name the entry by its baseCode as soon as that is known to be valid."""
    code = _base_code(raw)
    return prefix if code is None else f"{prefix} ({code})"


def _validate(
    model: type[_M], raw: Any, prefix: str, errors: list[str], env: Mapping[str, str] | None = None
) -> _M | None:
    """`raw` as `model`, or None with every problem appended to `errors`, each line starting with `prefix`."""
    try:
        return model.model_validate(raw, context=env)
    except ValidationError as exc:
        errors.extend(f"{prefix}: {line}" for line in error_lines(exc, model))
        return None


def validate_wire_entry(raw: Any, prefix: str) -> Subscription:
    """A config-topic value (a YAML entry with `secretHash` only), through the same checks as the file.

    A hand-written or corrupt record cannot open a wider scope than the file format could express.
    Raises ConfigError naming `prefix` and the key.
    """
    errors: list[str] = []
    entry = _validate(WireEntry, raw, _entry_prefix(prefix, raw), errors)
    if entry is None:
        raise ConfigError(errors)
    return entry.draft()[0]


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
    if sub.partitions is not None:
        view["partitions"] = sub.partitions
    return view
