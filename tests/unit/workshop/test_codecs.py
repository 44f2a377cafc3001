"""The codec benchmark's fidelity check: it must tell a parser that keeps a producer's body from one that
does not, or its verdicts mean nothing."""

from __future__ import annotations

import json

import orjson

from workshop.bench.codecs import candidates, faithful, stdlib


def test_todays_parser_and_the_stdlib_one_keep_every_case() -> None:
    assert faithful(candidates()["simplejson (today)"]) == []
    assert faithful(stdlib) == []


def test_parsers_that_lose_a_body_are_told_apart() -> None:
    assert faithful(orjson.loads) == [
        "a key given twice",
        "decimals as written",
        "a 30-digit id",
        "a lone surrogate",
    ]
    assert faithful(json.loads) == ["a key given twice", "decimals as written"]
