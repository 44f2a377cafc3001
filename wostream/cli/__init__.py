"""The `wostream` command line: `main` with every command registered."""

from wostream.cli import config, events, kafka, processes  # noqa: F401  (they register their commands)
from wostream.cli.main import main

__all__ = ["main"]
