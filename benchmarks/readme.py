"""Copies the latest result tables into benchmarks/README.md, so that it quotes what the
benchmarks last recorded rather than figures typed by hand.

A block in the README between

    <!-- results: pipeline_scaling -->
    <!-- end results -->

is replaced by ``results/pipeline_scaling.md`` (the table and the line naming the machine).
The full suite does this after its last step; ``--quick`` results never go in the README.

  uv run python -m benchmarks.readme          # after running benchmarks one by one
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

README = Path("benchmarks/README.md")
RESULTS = Path("benchmarks/results")

_BLOCK = re.compile(
    r"(?P<start><!-- results: (?P<name>[a-z0-9_]+) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<end><!-- end results -->)",
    re.DOTALL,
)


class MissingResults(Exception):
    """The README names a result that was never recorded."""


def fill(text: str, results_dir: Path) -> tuple[str, list[str]]:
    """``text`` with every results block replaced by its recorded table, and the names
    filled in. Raises MissingResults naming a block whose ``<name>.md`` does not exist."""
    names: list[str] = []

    def replace(match: re.Match) -> str:
        name = match["name"]
        source = results_dir / f"{name}.md"
        if not source.is_file():
            raise MissingResults(f"benchmarks/README.md quotes {name!r}, but {source} is missing")
        names.append(name)
        table = source.read_text().strip()
        return f"{match['start']}\n{table}\n\n{match['end']}"

    return _BLOCK.sub(replace, text), names


def update(readme: Path = README, results_dir: Path = RESULTS) -> list[str]:
    """Rewrites ``readme`` in place; returns the names of the tables it now quotes."""
    text, names = fill(readme.read_text(), results_dir)
    readme.write_text(text)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", default=str(README))
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)
    try:
        names = update(Path(args.readme), Path(args.results))
    except MissingResults as error:
        print(f"error: {error}")
        return 1
    print(f"{args.readme}: {len(names)} tables from {args.results}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
