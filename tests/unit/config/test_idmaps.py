"""Id-map files (CSV streamed, YAML grouped), their validation messages, and the id-map topic wire format."""

from __future__ import annotations

import itertools
import textwrap
import tracemalloc
import types
from pathlib import Path

import pytest

from wostream.config.errors import ConfigError
from wostream.config.idmaps import (
    MAX_REPORTED_ERRORS,
    IdMapEntry,
    IdMapError,
    iter_idmap_file,
    validate_idmap_file,
)
from wostream.core.models import IdKind

DEMO = Path(__file__).resolve().parents[3] / "tables" / "demo"
HRZ = "HRZDWYWHXT"
EXPECTED_EXAMPLE = [
    IdMapEntry(HRZ, IdKind.COMMUNITY, "139912543382896", "HW-HAIWEN-01"),
    IdMapEntry(HRZ, IdKind.HOUSE, "408325", "HW-B2-U1-10001"),
    IdMapEntry(HRZ, IdKind.CUSTOMER, "110640113", "CUST-0007781"),
    IdMapEntry(HRZ, IdKind.EMPLOYEE, "94781", "EMP-00042"),
]
KIND_LIST = "community, house, customer, employee"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding=encoding)
    return path


@pytest.mark.parametrize("name", ["idmaps.csv", "idmaps.yaml"])
def test_example_files_hold_the_same_maps(name: str) -> None:
    path = DEMO / name
    assert list(iter_idmap_file(path)) == EXPECTED_EXAMPLE
    assert validate_idmap_file(path) == (4, [])


# ---------------------------------------------------------------- CSV


def test_csv_columns_in_any_order_bom_blanks_and_tombstones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.csv",
        """\
        kind,eId,baseCode,id
        house, H-1 ,HRZDWYWHXT, 408325

        customer,,HRZDWYWHXT,110640113
        employee,"E,2",DEMOB,94781
        """,
        encoding="utf-8-sig",
    )
    assert list(iter_idmap_file(path)) == [
        IdMapEntry(HRZ, IdKind.HOUSE, "408325", "H-1"),
        IdMapEntry(HRZ, IdKind.CUSTOMER, "110640113", None),  # empty eId: remove the mapping
        IdMapEntry("DEMOB", IdKind.EMPLOYEE, "94781", "E,2"),
    ]


def test_csv_every_bad_row_is_listed_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        """\
        baseCode,kind,id,eId
        HRZDWYWHXT,community,139912543382896,C1
        HRZDWYWHXT,room,1,R1
        HR Z,house,,H1
        HRZDWYWHXT,house,408325
        HRZDWYWHXT,customer,110640113,C1,extra
        HRZDWYWHXT,employee,94781,E1
        """,
    )
    p = str(path)
    assert validate_idmap_file(path) == (
        2,
        [
            f'{p}: line 3: kind: "room" is not one of {KIND_LIST}',
            f'{p}: line 4: baseCode: "HR Z" is not a baseCode (1-64 of A-Z a-z 0-9 _ -); id: required',
            f"{p}: line 5: expected 4 fields, got 3",
            f"{p}: line 6: expected 4 fields, got 5",
        ],
    )
    stream = iter_idmap_file(path)
    assert next(stream) == IdMapEntry(HRZ, IdKind.COMMUNITY, "139912543382896", "C1")
    with pytest.raises(IdMapError) as info:
        next(stream)
    assert info.value.errors == [f'{p}: line 3: kind: "room" is not one of {KIND_LIST}']
    assert isinstance(info.value, ConfigError)  # one `except` in the CLI catches both kinds of bad file


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the header must name the columns baseCode,kind,id,eId (got )"),
        (
            "baseCode,kind,id\nA,house,1\n",
            "line 1: the header must name the columns baseCode,kind,id,eId (got baseCode,kind,id)",
        ),
        (
            "HRZDWYWHXT,house,408325,H1\n",
            "line 1: the header must name the columns baseCode,kind,id,eId (got HRZDWYWHXT,house,408325,H1)",
        ),
        ('baseCode,kind,id,eId\nA,house,"1\n', "line 2: malformed CSV (unexpected end of data)"),
        ('"baseCode,kind,id,eId\n', "line 1: malformed CSV (unexpected end of data)"),
        (
            "baseCode,baseCode,id,eId\n",
            "line 1: the header must name the columns baseCode,kind,id,eId (got baseCode,baseCode,id,eId)",
        ),
    ],
)
def test_csv_file_level_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    assert validate_idmap_file(path)[1] == [f"{path}: {message}"]


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(b"baseCode,kind,id,eId\nA,house,1,\xff\xfe\n")
    assert validate_idmap_file(path) == (0, [f"{path}: not UTF-8 text"])


def test_reported_errors_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("baseCode,kind,id,eId\n" + "A,room,1,x\n" * 150, encoding="utf-8")
    count, errors = validate_idmap_file(path)
    assert count == 0 and len(errors) == MAX_REPORTED_ERRORS + 1
    assert errors[-1] == f"{path}: … and 50 more errors"


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    assert validate_idmap_file(tmp_path / "m.json") == (
        0,
        [f"{tmp_path / 'm.json'}: unknown id-map format .json (expected .csv, .yaml or .yml)"],
    )
    missing = tmp_path / "missing.csv"
    assert validate_idmap_file(missing) == (0, [f"{missing}: cannot read (No such file or directory)"])
    with pytest.raises(IdMapError):
        list(iter_idmap_file(missing))


def test_a_large_csv_is_streamed(tmp_path: Path) -> None:
    rows = 200_000
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("baseCode,kind,id,eId\n")
        for n in range(rows):
            handle.write(f"{HRZ},house,{1_000_000 + n},EH-{n}\n")
    stream = iter_idmap_file(path)
    assert isinstance(stream, types.GeneratorType)
    tracemalloc.start()  # traced from the first row on: a reader that loaded the file would show it here
    try:
        head = sum(1 for _ in itertools.islice(stream, 20_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000 < path.stat().st_size
    assert head + sum(1 for _ in stream) == rows
    assert validate_idmap_file(path) == (rows, [])


# ---------------------------------------------------------------- YAML


def test_yaml_keeps_ids_as_written_and_null_is_a_tombstone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.yml",
        """\
        idmaps:
          HRZDWYWHXT:
            house:
              0408325: H-1
              408326: ~
              408327:
            community: {139912543382896: 12}
        """,
    )
    assert list(iter_idmap_file(path)) == [
        IdMapEntry(HRZ, IdKind.HOUSE, "0408325", "H-1"),
        IdMapEntry(HRZ, IdKind.HOUSE, "408326", None),
        IdMapEntry(HRZ, IdKind.HOUSE, "408327", None),
        IdMapEntry(HRZ, IdKind.COMMUNITY, "139912543382896", "12"),
    ]


def test_yaml_every_error_is_listed_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """\
        idmaps:
          HRZDWYWHXT:
            house:
              "408325": H-1
              "408325": H-2
            room:
              "1": R-1
            customer: [a, b]
            employee:
              "94781": [E-1]
              "": E-2
          HR Z:
            community:
              "1": C-1
          DEMOB: just text
        extra: 1
        """,
    )
    p = str(path)
    assert validate_idmap_file(path) == (
        0,
        [
            f'{p}: line 5: HRZDWYWHXT.house: duplicate key "408325" (first on line 4)',
            f'{p}: line 7: kind: "room" is not one of {KIND_LIST}',
            f"{p}: line 8: HRZDWYWHXT.customer: must be a mapping of our id to their id",
            f"{p}: line 10: eId: must be a single id or null",
            f"{p}: line 11: id: required",
            f'{p}: line 14: baseCode: "HR Z" is not a baseCode (1-64 of A-Z a-z 0-9 _ -)',
            f"{p}: line 15: DEMOB: must be a mapping of kind to ids",
            f'{p}: line 16: unknown key "extra" (expected idmaps)',
        ],
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the top level: must be a mapping with one key, idmaps"),
        ("- a\n", "line 1: the top level: must be a mapping with one key, idmaps"),
        ("other: {}\n", 'line 1: unknown key "other" (expected idmaps)'),
        ("idmaps: [1]\n", "line 1: idmaps: must be a mapping of baseCode to kinds"),
        (
            "idmaps: {a: [\n",
            "line 2: invalid YAML: while parsing a flow node, expected the node content, "
            "but found '<stream end>'",
        ),
    ],
)
def test_yaml_file_level_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    assert validate_idmap_file(path)[1][0] == f"{path}: {message}"


def test_yaml_without_idmaps_key(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "other: {}\n")
    assert validate_idmap_file(path)[1] == [
        f'{path}: line 1: unknown key "other" (expected idmaps)',
        f"{path}: idmaps: required",
    ]
