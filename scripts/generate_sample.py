#!/usr/bin/env python3
"""Generate the synthetic sample registry (data/departments, data/laws, data/powers).

Seeded and deterministic: running it again writes the same files byte for byte. It owns
only the three folders above and rewrites them whole; ontology, vocabularies and shapes
are left alone. See scripts/sample/ for the parts, and docs/DATA.md for the data model.

    .venv/bin/python scripts/generate_sample.py                       # the shipped 4,236
    .venv/bin/python scripts/generate_sample.py --records 40000 --root /tmp/reg40k
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO)]

from sample import build, scale  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO,
                        help="registry root to write into (default: the repository)")
    parser.add_argument("--records", type=int, default=scale.FULL,
                        help=f"powers in force to generate (default {scale.FULL}); more than "
                             f"{scale.FULL} adds city and county departments")
    parser.add_argument("--seed", type=int, default=build.SEED, help="random seed")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.records != scale.FULL and (root == REPO or REPO in root.parents):
        parser.error(f"--records {args.records} would overwrite the shipped sample; "
                     "give --root DIR outside the repository")
    if root != REPO and (root == REPO / "data" or REPO / "data" in root.parents):
        parser.error("--root inside the repository's data/ folder would nest a registry in it")
    if args.records < 42:
        parser.error("--records must be at least 42 (one power per department)")
    summary = build.run(root, args.records, args.seed)
    print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
