"""The event tables of the ten kinds, as data: shipped in the wheel as `wostream.tables` (pyproject.toml)."""
