"""``harmsim-report results.h5 -o report.html``."""
from __future__ import annotations

import argparse
import os
import sys

PROG = "harmsim-report"


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write a self-contained HTML report (tables, plots, scenario definitions) "
        "of a harmsim results file.",
    )
    parser.add_argument("results", help="results file written by 'harmsim run' (results.h5)")
    parser.add_argument("-o", "--output", default="report.html", help="HTML file to write (default: report.html)")
    parser.add_argument("--baseline", help="scenario to compare against (default: the first one in the file)")
    args = parser.parse_args(argv)

    # Refuse bad input before importing matplotlib, so the message comes at once.
    from . import io as _io

    try:
        _io.info(args.results)
    except FileNotFoundError:
        return _fail(f"{args.results}: no such file")
    except _io.ResultsError as exc:
        return _fail(str(exc))
    except ValueError as exc:
        return _fail(str(exc))

    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        return _fail(f"{args.output}: directory {out_dir} does not exist")

    from .report import write_report

    try:
        written = write_report(args.results, args.output, baseline=args.baseline)
    except (_io.ResultsError, ValueError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{args.output}: cannot write ({exc.strerror or exc})")
    print(f"{PROG}: wrote {written}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
