"""The error every configuration check raises: all problems at once, one readable line each."""

from __future__ import annotations

from collections.abc import Sequence


class ConfigError(ValueError):
    """Configuration that must not be applied; `errors` lists every problem, one readable line each."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))
