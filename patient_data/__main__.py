"""Writes synthetic patient spans as CSV.

Examples:
  # The bundled default data (what is committed under data/):
  python -m patient_data --rows 10000 --spans 1
  # Three spans of 2,000 rows into another folder, with the truth beside them:
  python -m patient_data --rows 2000 --spans 3 --data-root /tmp/patients --truth-root /tmp/truth
"""

from __future__ import annotations

import argparse

from patient_data.generator import write_span

DEFAULT_SEED = 2026


def main(argv: list[str] | None = None) -> int:
    from pipeline.defaults import BUNDLED_DATA_ROOT, BUNDLED_TRUTH_ROOT

    parser = argparse.ArgumentParser(
        prog="python -m patient_data",
        description=__doc__.split("\n\n")[0],
        epilog="\n".join(__doc__.split("\n")[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=10_000, help="rows per span (default 10000)")
    parser.add_argument("--spans", type=int, default=1, help="how many spans, from 1 (default 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--data-root", default=str(BUNDLED_DATA_ROOT))
    parser.add_argument("--truth-root", default=str(BUNDLED_TRUTH_ROOT))
    args = parser.parse_args(argv)
    if args.rows < 1 or args.spans < 1:
        parser.error("--rows and --spans must be at least 1")
    for span in range(1, args.spans + 1):
        generated = write_span(args.data_root, span, args.rows, args.seed, args.truth_root)
        print(
            f"span {span}: {len(generated.records)} rows -> {args.data_root}/span-{span}/ "
            f"(disease prevalence {generated.records.disease_risk.mean():.1%})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
