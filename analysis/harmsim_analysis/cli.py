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

    from .report import render_report, write_html

    # Reading: a file that passed the checks above can still be damaged
    # further in (a flipped bit, a dataset of another type or shape, a
    # forged size); that is bad input naming the file, never a traceback.
    try:
        text = render_report(args.results, baseline=args.baseline)
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
