"""The entry point of `faust -A wostream.app worker` (and `wostream worker`): the one global app.

Nothing else imports it; tests and tools build their own with `wostream.worker.app.create_app(settings)`.
"""

from __future__ import annotations

from pydantic_settings import SettingsError

from wostream.config.settings import settings_problems
from wostream.worker.app import create_app

try:
    app = create_app()
except (ValueError, SettingsError) as exc:  # wrong settings: the lines that say which, not a traceback
    problems = settings_problems(exc)
    if problems is None:
        raise
    raise SystemExit("\n".join(f"wostream: settings: {line}" for line in problems)) from None
