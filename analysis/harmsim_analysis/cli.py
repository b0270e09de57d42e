"""``harmsim-report results.h5 -o report.html`` and ``harmsim-report sensitivity SWEEP...``.

``harmsim report ARGS`` (sim/app/main.cpp) runs ``analysis/harmsim-report
ARGS``, and ``python3 -m harmsim_analysis ARGS`` does the same: a first
argument ``sensitivity`` selects the sensitivity analysis of sweep files
(:func:`sensitivity_main`), ``report`` (or anything else) the report.
"""
from __future__ import annotations

import argparse
import os
import sys

PROG = "harmsim-report"


#: Set by the harmsim-report script: a failure ends the process at once.
#: The HDF5 library can crash while it closes a damaged file (when the
#: objects that hold it are freed, after the message is out), which would
#: add a second line; nothing is left to do once the message is printed.
EXIT_AT_ONCE = False


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    if EXIT_AT_ONCE:
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(2)
    return 2


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "sensitivity":
        return sensitivity_main(argv[1:])
    if argv and argv[0] == "report":
        argv = argv[1:]
    return report_main(argv)


def report_main(argv) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        epilog="Also: harmsim-report sensitivity SWEEP... (PRCC and tornado plots of sweep files; "
        "harmsim-report sensitivity --help).",
        description="Write a self-contained HTML report (tables, plots, scenario definitions) "
        "of a harmsim results file.",
    )
    parser.add_argument("results", help="results file written by 'harmsim run' (results.h5)")
    parser.add_argument("-o", "--output", default="report.html", help="HTML file to write (default: report.html)")
    parser.add_argument("--baseline", help="scenario to compare against (default: the first one in the file)")
    parser.add_argument("--rank-by", metavar="METRIC", default=None,
                        help="harm by which the policies are ranked, with the probability that each is best "
                        "(default: violence_buyer)")
    parser.add_argument("--sweep", metavar="SWEEP", action="append", default=[],
                        help="a sweep file (harmsim sweep, one per scenario, same design) for the sensitivity "
                        "section: PRCC and tornado plots; repeat it for each scenario")
    args = parser.parse_args(argv)

    # Refuse bad input before importing matplotlib, so the message comes at once.
    from . import io as _io

    busy = _being_written(args.results)
    if busy:
        return _fail(busy)
    try:
        _io.info(args.results)
    except FileNotFoundError:
        return _fail(f"{args.results}: no such file")
    except _io.ResultsError as exc:
        return _fail(_naming(args.results, str(exc)))
    except ValueError as exc:
        return _fail(_naming(args.results, str(exc)))
    except (OSError, KeyError, TypeError, IndexError, AttributeError, RuntimeError, MemoryError) as exc:
        return _fail(_damaged(args.results, exc))

    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        return _fail(f"{args.output}: directory {out_dir} does not exist")
    from . import decision as _decision

    if args.rank_by is not None:
        try:
            _decision.ranking_sign(args.rank_by)
        except ValueError as exc:
            return _fail(f"--rank-by {exc}")

    from .report import render_report, write_html

    # Reading: a file that passed the checks above can still be damaged
    # further in (a flipped bit, a dataset of another type or shape, a
    # forged size); that is bad input naming the file, never a traceback.
    for sweep_path in args.sweep:
        problem = _sweep_problem(sweep_path)
        if problem:
            return _fail(problem)
    try:
        text = render_report(args.results, baseline=args.baseline, rank_by=args.rank_by,
                             sweeps=args.sweep or None)
    except (_io.ResultsError, ValueError) as exc:
        return _fail(_naming(args.results, str(exc)))
    except (OSError, KeyError, TypeError, IndexError, AttributeError, RuntimeError, MemoryError) as exc:
        return _fail(_damaged(args.results, exc))
    try:
        written = write_html(text, args.output)
    except OSError as exc:
        return _fail(f"{args.output}: cannot write ({exc.strerror or exc})")
    print(f"{PROG}: wrote {written}")
    return 0


def _sweep_problem(path: str) -> str:
    """A message if ``path`` cannot be read as a finished sweep file, else ""."""
    from . import io as _io
    from . import sweep as _sweep

    try:
        _sweep.sweep_info(path)
    except FileNotFoundError:
        return f"{path}: no such file"
    except (_io.ResultsError, ValueError) as exc:
        return _naming(path, str(exc))
    except (OSError, KeyError, TypeError, IndexError, AttributeError, RuntimeError, MemoryError) as exc:
        return _damaged(path, exc).replace("harmsim results file", "harmsim sweep file")
    return ""


def sensitivity_main(argv) -> int:
    """``sensitivity SWEEP... [-o DIR]``: PRCC table (CSV) and tornado plots (PNG) of sweep files."""
    prog = f"{PROG} sensitivity"
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Which uncertain parameters drive each policy's effect on each key harm: partial rank "
        "correlation coefficients (Marino et al. 2008) over a Latin hypercube sweep, with p-values, and a "
        "tornado plot for each policy and harm. Give one sweep file per scenario, all from the same sweep "
        "definition (same [lhs], seed and points; only `scenario` changed); the effect at a point is the "
        "policy's mean minus the baseline's. With one sweep file, the harm itself is analysed.",
    )
    parser.add_argument("sweeps", nargs="+", metavar="SWEEP", help="sweep files written by 'harmsim sweep'")
    parser.add_argument("--baseline", help="the baseline's scenario (default: 'baseline', else the first file's)")
    parser.add_argument("--metric", action="append", default=None,
                        help="a metric to analyse; repeat for more (default: the key harms the files have)")
    parser.add_argument("-o", "--output", default="sensitivity",
                        help="directory for prcc.csv and the tornado plots (default: ./sensitivity)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level shown in the plots (0.05)")
    args = parser.parse_args(argv)

    def fail(message: str) -> int:
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2

    for path in args.sweeps:
        problem = _sweep_problem(path)
        if problem:
            return fail(problem)
    from . import plots as _plots
    from . import sensitivity_analysis as _sensitivity

    try:
        table = _sensitivity.sensitivity(args.sweeps, baseline=args.baseline, metrics=args.metric)
    except (ValueError, KeyError) as exc:
        return fail(str(exc).strip("'\""))
    try:
        os.makedirs(args.output, exist_ok=True)
        csv = os.path.join(args.output, "prcc.csv")
        table.to_csv(csv, index=False)
        written = [csv]
        for (scenario, metric), _ in table.groupby(["scenario", "metric"], sort=False):
            ax = _plots.plot_tornado(table, scenario, metric, alpha=args.alpha)
            out = os.path.join(args.output, f"tornado_{_safe(scenario)}_{_safe(metric)}.png")
            ax.figure.savefig(out, dpi=100)
            written.append(out)
    except OSError as exc:
        return fail(f"{args.output}: cannot write ({exc.strerror or exc})")
    for (scenario, metric), rows in table.groupby(["scenario", "metric"], sort=False):
        rows = rows.assign(size=rows["prcc"].abs()).sort_values("size", ascending=False)
        ranked = ", ".join(f"{r.parameter} {r.prcc:+.2f}{'*' if r.p_value < args.alpha else ''}"
                           for r in rows.itertuples() if r.prcc == r.prcc)
        what = "effect on" if rows["outcome"].iloc[0] == "effect" else "level of"
        print(f"{scenario}, {what} {metric}: {ranked or '(no varying parameter)'}")
    print(f"(* p < {args.alpha:g}; PRCC over {int(table['n'].max()) if len(table) else 0} points)")
    print(f"{prog}: wrote {len(written)} files to {args.output}")
    return 0


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name))


def _being_written(path: str) -> str:
    """A message if the harmsim that writes `path` (or the NAME of a
    NAME.partial) still holds NAME.lock (docs/output.md), else ""."""
    import fcntl

    name = path[: -len(".partial")] if path.endswith(".partial") else path
    try:
        fd = os.open(name + ".lock", os.O_RDONLY)
    except OSError:
        return ""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return f"{path}: {name} is being written by another harmsim process ({name}.lock is held); wait for it to finish"
    except OSError:
        return ""
    finally:
        os.close(fd)
    return ""


def _naming(path: str, message: str) -> str:
    """`message`, prefixed with the file it is about unless it names it already."""
    return message if path in message else f"{path}: {message}"


def _damaged(path: str, exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return f"{path}: damaged: a dataset claims more values than fit in memory"
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return f"{path}: damaged, or not a harmsim results file: {detail}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
