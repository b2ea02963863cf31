"""Small file helpers for executors, through TFX's filesystem layer (local paths or gs://)."""

from __future__ import annotations

from tfx.dsl.io import fileio


def write_text(path: str, text: str) -> None:
    """Writes ``text`` to ``path``, replacing what was there."""
    with fileio.open(path, "w") as f:
        f.write(text)
