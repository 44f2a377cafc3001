"""Id-map files (our id -> a subscriber's own id) and the records of the compacted id-map topic.

Enrichment fills a subscriber's `e…Id` fields from these maps (docs/contract.md section 2), one map per
(baseCode, kind). Files can be large (every house of every project), so CSV is read as a stream: nothing
holds more than one row, and `validate_idmap_file` checks a whole file in one pass before the CLI publishes
anything, so a bad row near the end cannot leave half a file applied.

CSV (UTF-8, an Excel BOM is tolerated; the header is required, columns in any order)::

    baseCode,kind,id,eId
    HRZDWYWHXT,community,139912543382896,XQ-0001
    HRZDWYWHXT,house,408325,          <- an empty eId removes the mapping (a tombstone)

YAML, grouped by subscriber then kind (ids are read as text, so unquoted digits keep leading zeros)::

    idmaps:
      HRZDWYWHXT:
        community:
          139912543382896: XQ-0001
        house:
          408325: ~                   # null removes the mapping

`kind` is one of community, house, customer, employee (`IdKind`). Cells are stripped of surrounding blanks.
A YAML file is parsed whole (use CSV for big maps). Repeated keys in one CSV are not detected (that would
need memory proportional to the file): as on the compacted topic, the last row wins.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from wostream.config.errors import ConfigError
from wostream.config.schema import BASE_CODE_RE
from wostream.core.models import IdKind

CSV_COLUMNS = ("baseCode", "kind", "id", "eId")
MAX_REPORTED_ERRORS = 100  # a file with a wrong column would otherwise produce one message per row
_KINDS = {kind.value: kind for kind in IdKind}
_NULL_TAG = "tag:yaml.org,2002:null"


class IdMapError(ConfigError):
    """An id-map file or record that must not be applied; `errors` name the file and line."""


@dataclass(frozen=True)
class IdMapEntry:
    """One mapping; `their_id` None means "remove this mapping"."""

    base_code: str
    kind: IdKind
    our_id: str
    their_id: str | None


# ---------------------------------------------------------------- files


def iter_idmap_file(path: Path) -> Iterator[IdMapEntry]:
    """Yield the entries of a CSV or YAML id-map file, streaming CSV row by row.

    Raises IdMapError at the first invalid row; run `validate_idmap_file` first to list every problem.
    """
    for item in _scan(path):
        if isinstance(item, str):
            raise IdMapError([item])
        yield item


def validate_idmap_file(path: Path) -> tuple[int, list[str]]:
    """One pass over the file: (number of valid entries, error messages — at most MAX_REPORTED_ERRORS + 1)."""
    count, hidden = 0, 0
    errors: list[str] = []
    for item in _scan(path):
        if not isinstance(item, str):
            count += 1
        elif len(errors) < MAX_REPORTED_ERRORS:
            errors.append(item)
        else:
            hidden += 1
    if hidden:
        errors.append(f"{path}: … and {hidden} more errors")
    return count, errors


def _scan(path: Path) -> Iterator[IdMapEntry | str]:
    """Entries and error messages in file order: one reader serves both streaming and validation."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            yield from _scan_csv(path)
        elif suffix in (".yaml", ".yml"):
            yield from _scan_yaml(path)
        else:
            yield f"{path}: unknown id-map format {suffix or '(no suffix)'} (expected .csv, .yaml or .yml)"
    except OSError as exc:
        yield f"{path}: cannot read ({exc.strerror or type(exc).__name__})"
    except UnicodeDecodeError:
        yield f"{path}: not UTF-8 text"


def _scan_csv(path: Path) -> Iterator[IdMapEntry | str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            yield from _csv_rows(path, reader)
        except csv.Error as exc:
            yield f"{path}: line {reader.line_num}: malformed CSV ({exc})"


def _csv_rows(path: Path, reader: Any) -> Iterator[IdMapEntry | str]:
    header = [cell.strip() for cell in next(reader, [])]
    if sorted(header) != sorted(CSV_COLUMNS):
        expected, got = ",".join(CSV_COLUMNS), ",".join(header)
        yield f"{path}: line 1: the header must name the columns {expected} (got {got})"
        return
    code, kind, our, their = (header.index(name) for name in CSV_COLUMNS)
    for row in reader:
        item: IdMapEntry | str
        if len(row) == len(CSV_COLUMNS):
            item = entry(row[code].strip(), row[kind].strip(), row[our].strip(), row[their].strip())
        elif not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        else:
            item = f"expected {len(CSV_COLUMNS)} fields, got {len(row)}"
        # The message is built only for a bad row: this loop runs once per row of a possibly huge file.
        yield item if not isinstance(item, str) else f"{path}: line {reader.line_num}: {item}"


def entry(base_code: str, kind: str, our_id: str, their_id: str | None) -> IdMapEntry | str:
    """Validate one mapping; its problems come back as one message (one per row) so a scan can go on.

    Plain checks, not a pydantic model: this runs for every row of files with millions of rows, and a model
    whose types word their own errors made a whole-file check about three times slower.
    """
    id_kind = _KINDS.get(kind)
    if id_kind is not None and our_id and BASE_CODE_RE.fullmatch(base_code):
        return IdMapEntry(base_code, id_kind, our_id, their_id or None)
    problems = []
    if not BASE_CODE_RE.fullmatch(base_code):
        problems.append(f'baseCode: "{base_code}" is not a baseCode (1-64 of A-Z a-z 0-9 _ -)')
    if id_kind is None:
        problems.append(f'kind: "{kind}" is not one of {", ".join(_KINDS)}')
    if not our_id:
        problems.append("id: required")
    return "; ".join(problems)


def _scan_yaml(path: Path) -> Iterator[IdMapEntry | str]:
    """Walk the composed node tree, not Python values: nodes keep line numbers and the text as written."""
    with path.open(encoding="utf-8-sig") as handle:
        try:
            root = yaml.compose(handle, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            line = "?" if exc.problem_mark is None else exc.problem_mark.line + 1
            what = ", ".join(part for part in (exc.context, exc.problem) if part)
            yield f"{path}: line {line}: invalid YAML: {what}"
            return
    top = _mapping(path, root, "the top level", "a mapping with one key, idmaps")
    if isinstance(top, str):
        yield top
        return
    for key, node in top:
        if key.value == "idmaps":
            yield from _walk_groups(path, node)
        else:
            yield f'{path}: line {_line(key)}: unknown key "{key.value}" (expected idmaps)'
    if not any(key.value == "idmaps" for key, _ in top):
        yield f"{path}: idmaps: required"


def _walk_groups(path: Path, groups: yaml.Node) -> Iterator[IdMapEntry | str]:
    by_code = _mapping(path, groups, "idmaps", "a mapping of baseCode to kinds")
    if isinstance(by_code, str):
        yield by_code
        return
    for code, kinds in by_code:
        by_kind = _mapping(path, kinds, code.value, "a mapping of kind to ids")
        if isinstance(by_kind, str):
            yield by_kind
            continue
        for kind, ids in by_kind:
            yield from _walk_ids(path, code.value, kind, ids)


def _walk_ids(path: Path, code: str, kind: yaml.ScalarNode, ids: yaml.Node) -> Iterator[IdMapEntry | str]:
    by_id = _mapping(path, ids, f"{code}.{kind.value}", "a mapping of our id to their id")
    if isinstance(by_id, str):
        yield by_id
        return
    for our_id, their_id in by_id:
        if not isinstance(their_id, yaml.ScalarNode):
            yield f"{path}: line {_line(their_id)}: eId: must be a single id or null"
            continue
        value = None if their_id.tag == _NULL_TAG else their_id.value.strip()
        item = entry(code.strip(), kind.value.strip(), our_id.value.strip(), value)
        yield item if not isinstance(item, str) else f"{path}: line {_line(our_id)}: {item}"


def _mapping(
    path: Path, node: yaml.Node | None, what: str, expected: str
) -> list[tuple[yaml.ScalarNode, yaml.Node]] | str:
    """The (key, value) pairs of a mapping node with scalar keys, or one error message."""
    if not isinstance(node, yaml.MappingNode):
        line = "" if node is None else f"line {_line(node)}: "
        return f"{path}: {line}{what}: must be {expected}"
    pairs: list[tuple[yaml.ScalarNode, yaml.Node]] = []
    seen: dict[str, int] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            return f"{path}: line {_line(key)}: {what}: keys must be plain text"
        if key.value in seen:
            first = seen[key.value]
            return f'{path}: line {_line(key)}: {what}: duplicate key "{key.value}" (first on line {first})'
        seen[key.value] = _line(key)
        pairs.append((key, value))
    return pairs


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1
