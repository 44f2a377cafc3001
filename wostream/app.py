"""The entry point of `faust -A wostream.app worker` (and `wostream worker`): the one global app.

Nothing else imports it; tests and tools build their own with `wostream.worker.app.create_app(settings)`.
"""

from __future__ import annotations

from wostream.worker.app import create_app

app = create_app()
