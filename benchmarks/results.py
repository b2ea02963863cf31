"""Where every benchmark records what it measured: JSON for machines, Markdown for people."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def record(output: str | Path, results: Any, table: str) -> None:
    """Prints ``table`` and writes ``<output>.json`` and ``<output>.md``."""
    print(table)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(results, indent=2))
    output.with_suffix(".md").write_text(table + "\n")
