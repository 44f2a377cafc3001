"""The integrator's guides (docs/integrators.md and its Chinese twin) quote the programs of docs/snippets/
verbatim, and every code block they show is one of them: tests/integration/test_integrator_snippets.py builds
and runs those files against a real stack, so what the guides show cannot drift from what was tested."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = [ROOT / "docs" / "integrators.md", ROOT / "docs" / "integrators.zh-CN.md"]
SNIPPETS = ROOT / "docs" / "snippets"
RUNNER = ROOT / "tests" / "integration" / "test_integrator_snippets.py"
# a quoted snippet: its marker, then one fenced block
QUOTE = re.compile(r"^<!-- snippet: (docs/snippets/[\w.-]+) -->\n```(\w+)\n(.*?)^```$", re.M | re.S)
FENCE = re.compile(r"^```", re.M)
LANGUAGE = {".java": "java", ".cpp": "cpp", ".py": "python", ".sh": "sh"}


def quotes(guide: Path) -> list[tuple[str, str, str]]:
    return QUOTE.findall(guide.read_text(encoding="utf-8"))


@pytest.mark.parametrize("guide", GUIDES, ids=lambda g: g.name)
def test_every_code_block_of_the_guide_is_a_snippet_file_quoted_verbatim(guide: Path) -> None:
    found = quotes(guide)
    assert found, f"{guide.name} quotes no snippet"
    fences = len(FENCE.findall(guide.read_text(encoding="utf-8")))
    assert fences == 2 * len(found), f"{guide.name}: a code block that is not a tested snippet"
    for path, language, code in found:
        assert code == (ROOT / path).read_text(encoding="utf-8"), f"{guide.name} quotes {path} as it is"
        assert language == LANGUAGE[Path(path).suffix], f"{path} is highlighted as {language}"


def test_both_guides_quote_every_snippet_once_in_the_same_order() -> None:
    english, chinese = ([path for path, _, _ in quotes(guide)] for guide in GUIDES)
    assert english == chinese
    assert len(set(english)) == len(english)
    assert sorted(english) == sorted(f"docs/snippets/{f.name}" for f in SNIPPETS.iterdir())


def test_every_snippet_is_run_by_the_integration_test() -> None:
    runner = RUNNER.read_text(encoding="utf-8")
    assert all(f'"{f.name}"' in runner for f in SNIPPETS.iterdir())
