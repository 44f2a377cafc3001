"""Every module of the product and of the workshop can be read in one sitting: at most 300 lines, and no class
over 150 (the house rule; a module that grows past it is split by concept, not by line count)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p for d in ("wostream", "workshop") for p in (ROOT / d).rglob("*.py"))
MAX_MODULE, MAX_CLASS = 300, 150


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_classes_fit_in_one_sitting(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            assert node.end_lineno is not None
            lines = node.end_lineno - node.lineno + 1
            assert lines <= MAX_CLASS, f"class {node.name} has {lines} lines"
