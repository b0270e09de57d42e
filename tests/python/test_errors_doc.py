"""Every example of docs/errors.md is what the current harmsim prints.

The doc's examples are fenced blocks whose first line starts with `harmsim: `
or `$ `. Each is run in a copy of tests/errors_doc/ (which holds their input
files; the copy sits at the same depth, beside a link to scenarios/, so that
nothing is ever written into the checkout) and its exit code and output must
match the doc exactly:

* a `$ harmsim ARGS` line is run as it stands; the lines after it, up to the
  next `$ ` line, are its output;
* a plain `harmsim: FILE...` line is the output of `harmsim validate FILE`
  (`harmsim sweep FILE` in the section "Sweep-file errors", `harmsim targets
  FILE` in "Targets-file errors", `harmsim calibrate FILE` in
  "Calibration-file errors"), and FILE must be in tests/errors_doc/.

The exit code is the one in the nearest heading that says "(exit code N)".
The expected lines are compared with stderr when the exit code is not 0, with
stdout when it is 0, and the other stream must be empty. A ```toml block just
before an example is that example's input: it must equal the file's text.

An example whose output varies from run to run or cannot be produced here
(process ids, sweep ids, free memory, signals, full disks) carries the marker
`<!-- not checked: REASON -->` on the line before its fence; every other
example is checked, so an example without its input file fails.
"""
from __future__ import annotations

import os
import pathlib
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "errors.md"
INPUTS = ROOT / "tests" / "errors_doc"
# Absolute: the examples run in another directory.
BINARY = os.path.abspath(os.environ.get("HARMSIM_BINARY", str(ROOT / "build" / "release" / "harmsim")))
TIME_BOUND_S = 20

UNCHECKED = re.compile(r"^<!-- not checked: \S.* -->$")
EXIT_CODE = re.compile(r"\(exit code (\d+)\)")
PLAIN_LINE = re.compile(r"^harmsim: ([^:\s]+)(?::|$)")
# The command behind a plain `harmsim: FILE...` line, by section (## heading).
PLAIN_COMMANDS = {"Sweep-file errors": "sweep", "Targets-file errors": "targets", "Calibration-file errors": "calibrate"}
DEFAULT_PLAIN_COMMAND = "validate"
# Sections that must hold at least one checked example (so a parser that finds
# nothing cannot pass).
MUST_CHECK = ("Scenario-file errors", "Sweep-file errors", "Targets-file errors", "Calibration-file errors",
              "Command-line usage errors", "Successful validation")


@dataclass
class Example:
    doc_line: int  # 1-based line in docs/errors.md of the command or message
    section: str  # the ## heading, without "(exit code N)"
    args: list[str]  # after `harmsim`
    expected: list[str]
    exit_code: int | None
    toml: str | None = None  # the ```toml block shown as this example's input
    problems: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"errors.md:{self.doc_line}:{' '.join(self.args)[:60]}"


def _section_name(heading: str) -> str:
    return EXIT_CODE.sub("", heading.lstrip("#").strip()).strip()


def parse_doc(text: str) -> tuple[list[Example], int]:
    """The checked examples of the doc, and how many blocks are marked as not checked."""
    lines = text.splitlines()
    examples: list[Example] = []
    unchecked = 0
    section = ""
    codes = {2: None, 3: None}  # exit code of the current ## and ### heading
    pending_toml: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^(#{2,3}) ", line)
        if heading:
            level = len(heading.group(1))
            code = EXIT_CODE.search(line)
            codes[level] = int(code.group(1)) if code else None
            if level == 2:
                section = _section_name(line)
                codes[3] = None
            pending_toml = None
            i += 1
            continue
        if not line.startswith("```"):
            i += 1
            continue
        info = line[3:].strip()
        start = i + 1
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        body = lines[start:end]
        i = end + 1
        if info == "toml":
            pending_toml = "\n".join(body) + "\n"
            continue
        first = next((b for b in body if b.strip()), "")
        if not (first.startswith("harmsim: ") or first.startswith("$ ")):
            pending_toml = None
            continue
        previous = next((lines[k] for k in range(start - 2, -1, -1) if lines[k].strip()), "")
        if UNCHECKED.match(previous.strip()):
            unchecked += 1
            pending_toml = None
            continue
        exit_code = codes[3] if codes[3] is not None else codes[2]
        block: list[Example] = []
        if first.startswith("$ "):
            current = None
            for offset, b in enumerate(body):
                if b.startswith("$ "):
                    words = shlex.split(b[2:], comments=True)
                    current = Example(start + offset + 1, section, words[1:], [], exit_code)
                    if words[:1] != ["harmsim"]:
                        current.problems.append(f"a command that is not harmsim: {b!r}")
                    block.append(current)
                elif current is not None:
                    current.expected.append(b)
            for ex in block:
                while ex.expected and not ex.expected[-1].strip():
                    ex.expected.pop()
                if ex.exit_code is None:
                    ex.problems.append("no heading above it says (exit code N)")
        else:
            command = PLAIN_COMMANDS.get(section, DEFAULT_PLAIN_COMMAND)
            for offset, b in enumerate(body):
                if not b.strip():
                    continue
                ex = Example(start + offset + 1, section, [], [b], exit_code)
                m = PLAIN_LINE.match(b)
                if not m:
                    ex.problems.append(f"a line that is neither `harmsim: FILE...` nor `$ harmsim ...`: {b!r}")
                else:
                    ex.args = [command, m.group(1)]
                    if not os.path.lexists(INPUTS / m.group(1)):
                        ex.problems.append(f"no input file tests/errors_doc/{m.group(1)}; add it, or mark the "
                                           "block <!-- not checked: REASON -->")
                if ex.exit_code is None:
                    ex.problems.append("no heading above it says (exit code N)")
                block.append(ex)
        if pending_toml is not None and block:
            block[0].toml = pending_toml
        pending_toml = None
        examples.extend(block)
    return examples, unchecked


EXAMPLES, UNCHECKED_BLOCKS = parse_doc(DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def binary():
    if not os.path.exists(BINARY):
        pytest.fail(f"harmsim binary not found at {BINARY}; build it first (scripts/test sets HARMSIM_BINARY)")
    return BINARY


@pytest.fixture
def workdir(tmp_path):
    """A copy of tests/errors_doc/ (links followed) two levels below a link to scenarios/."""
    tree = tmp_path / "tree"
    shutil.copytree(INPUTS, tree / "tests" / "errors_doc", symlinks=False)
    (tree / "scenarios").symlink_to(ROOT / "scenarios")
    return tree / "tests" / "errors_doc"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_matches_current_harmsim(example, binary, workdir):
    assert not example.problems, f"docs/errors.md line {example.doc_line}: " + "; ".join(example.problems)
    if example.toml is not None:
        name = next((a for a in example.args[1:] if a.endswith(".toml")), None)
        assert name is not None, f"docs/errors.md line {example.doc_line}: a ```toml block before a command " \
                                 "that names no .toml file"
        assert (INPUTS / name).read_text(encoding="utf-8") == example.toml, \
            f"tests/errors_doc/{name} is not the TOML shown before docs/errors.md line {example.doc_line}"
    p = subprocess.run([binary, *example.args], cwd=workdir, capture_output=True, timeout=TIME_BOUND_S)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    shown, other = (out, err) if p.returncode == 0 else (err, out)
    expected = "\n".join(example.expected) + "\n"
    where = f"docs/errors.md line {example.doc_line}: harmsim {' '.join(example.args)}"
    assert p.returncode == example.exit_code, f"{where}: exit {p.returncode}, documented {example.exit_code}\n{err}"
    assert shown == expected, f"{where}: the doc shows\n{expected}but harmsim printed\n{shown}"
    assert other == "", f"{where}: unexpected output on the other stream:\n{other}"
    written = sorted({p.name for p in workdir.iterdir()} - {p.name for p in INPUTS.iterdir()})
    assert not written, f"{where}: wrote {written} (an error example should write nothing)"


def test_every_checked_section_has_examples():
    sections = {e.section for e in EXAMPLES}
    missing = [s for s in MUST_CHECK if s not in sections]
    assert not missing, f"no checked example found in: {missing} (did the headings or the marker change?)"


def test_every_input_file_belongs_to_an_example():
    """A file of tests/errors_doc/ that no example uses is a leftover (or its example lost its name)."""
    used = set()
    for e in EXAMPLES:
        used.update(a.split("/")[0] for a in e.args[1:])
    for sweep in INPUTS.glob("s_*.toml"):  # the base files the sweep files vary
        m = re.search(r'^base = "([^"/]+)"', sweep.read_text(encoding="utf-8"), re.M)
        if m:
            used.add(m.group(1))
    for calibration in INPUTS.glob("c_*.toml"):  # the targets files the calibration files fit
        m = re.search(r'^targets = "([^"/]+)"', calibration.read_text(encoding="utf-8"), re.M)
        if m:
            used.add(m.group(1))
    unused = sorted(p.name for p in INPUTS.iterdir() if p.name not in used)
    assert not unused, f"tests/errors_doc/ files that no example of docs/errors.md uses: {unused}"


def regenerate(binary: str = BINARY) -> int:
    """Rewrites the expected output of every checked example with what harmsim
    prints now (exit codes and inputs are left for a person to check: the
    test still compares them). Returns how many examples changed."""
    import tempfile
    lines = DOC.read_text(encoding="utf-8").split("\n")
    changed = 0
    with tempfile.TemporaryDirectory() as tmp:
        tree = pathlib.Path(tmp) / "tree"
        shutil.copytree(INPUTS, tree / "tests" / "errors_doc", symlinks=False)
        (tree / "scenarios").symlink_to(ROOT / "scenarios")
        workdir = tree / "tests" / "errors_doc"
        # From the bottom up, so that earlier line numbers stay valid.
        for ex in sorted(EXAMPLES, key=lambda e: e.doc_line, reverse=True):
            if ex.problems:
                continue
            p = subprocess.run([binary, *ex.args], cwd=workdir, capture_output=True, timeout=TIME_BOUND_S)
            shown = (p.stdout if p.returncode == 0 else p.stderr).decode("utf-8", "replace").rstrip("\n").split("\n")
            if lines[ex.doc_line - 1].startswith("$ "):
                first, count = ex.doc_line, len(ex.expected)  # the lines after the command
            else:
                first, count = ex.doc_line - 1, 1  # the message line itself
            if lines[first:first + count] != shown:
                lines[first:first + count] = shown
                changed += 1
    DOC.write_text("\n".join(lines), encoding="utf-8")
    return changed


if __name__ == "__main__":
    import sys
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: HARMSIM_BINARY=build/release/harmsim /usr/bin/python3 tests/python/test_errors_doc.py "
                 "--regenerate")
    print(f"docs/errors.md: {regenerate()} examples rewritten")
