"""cmake/GitCommit.cmake: the commit a build stamps into harmsim (and so into
every results file, and into the check a resumed run makes).

A rebuilt program must never claim an earlier build's commit: the stamp
follows the commit, marks uncommitted changes (edits of tracked files and
new files git does not ignore, whatever their names) with the tree they
make, comes back when the changes are undone, and leaves git's own index
and object store alone. Each test runs the script on a scratch repository, with git's
environment variables cleared (a test run from a git hook must not touch
the outer repository).
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "cmake" / "GitCommit.cmake"

pytestmark = pytest.mark.skipif(shutil.which("git") is None or shutil.which("cmake") is None,
                                reason="needs git and cmake")


ENV = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def git(repo: pathlib.Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, check=True, capture_output=True,
                          text=True, env=ENV).stdout.strip()


def stamp(repo: pathlib.Path, out: pathlib.Path) -> str:
    subprocess.run(["cmake", f"-DSOURCE_DIR={repo}", f"-DOUTPUT={out}", "-P", str(SCRIPT)], check=True,
                   capture_output=True, env=ENV)
    m = re.search(r'return "([^"]*)";', out.read_text())
    assert m, out.read_text()
    return m.group(1)


@pytest.fixture()
def repo(tmp_path: pathlib.Path) -> pathlib.Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    git(r, "config", "user.email", "test@example.org")
    git(r, "config", "user.name", "test")
    (r / ".gitignore").write_text("/build/\n")
    (r / "model.cpp").write_text("int rate = 1;\n")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "first")
    return r


def test_a_clean_tree_is_its_commit(repo: pathlib.Path, tmp_path: pathlib.Path) -> None:
    assert stamp(repo, tmp_path / "c.cpp") == git(repo, "rev-parse", "--short=12", "HEAD")


def test_a_new_commit_changes_the_stamp(repo: pathlib.Path, tmp_path: pathlib.Path) -> None:
    first = stamp(repo, tmp_path / "c.cpp")
    (repo / "model.cpp").write_text("int rate = 2;\n")
    git(repo, "commit", "-q", "-am", "second")
    second = stamp(repo, tmp_path / "c.cpp")
    assert second != first
    assert second == git(repo, "rev-parse", "--short=12", "HEAD")


def test_edits_and_new_files_are_marked_and_told_apart(repo: pathlib.Path, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "c.cpp"
    clean = stamp(repo, out)
    (repo / "model.cpp").write_text("int rate = 2;\n")
    edited = stamp(repo, out)
    assert re.fullmatch(re.escape(clean) + r"-dirty-[0-9a-f]{8}", edited)
    (repo / "model.cpp").write_text("int rate = 3;\n")
    other_edit = stamp(repo, out)
    assert other_edit.startswith(clean + "-dirty-") and other_edit != edited
    # A new file that git would track is a change; one it ignores is not.
    (repo / "model.cpp").write_text("int rate = 1;\n")
    (repo / "build").mkdir()
    (repo / "build" / "object.o").write_text("ignored")
    assert stamp(repo, out) == clean
    (repo / "policy.cpp").write_text("int stings = 1;\n")
    with_new_file = stamp(repo, out)
    assert with_new_file.startswith(clean + "-dirty-")
    (repo / "policy.cpp").unlink()
    assert stamp(repo, out) == clean


def test_an_edit_in_the_second_of_the_last_index_write_is_a_change(repo: pathlib.Path,
                                                                   tmp_path: pathlib.Path) -> None:
    # Git trusts an entry's cached file times only when they are older than
    # the index file; an edit of the same size in the second the index was
    # last written is re-read ("racily clean"). Made deterministic here: the
    # file and the index share an old time, and ctime is not compared (in a
    # real race, it falls in that same second). A stamp taken through a copy
    # of the index dated at copying saw no change (a test above failed so,
    # once, on a loaded machine).
    git(repo, "config", "core.trustctime", "false")
    clean = stamp(repo, tmp_path / "c.cpp")
    model, index = repo / "model.cpp", repo / ".git" / "index"
    past = (1_700_000_000, 1_700_000_000)
    os.utime(model, past)
    git(repo, "update-index", "--refresh")
    os.utime(index, past)
    model.write_text("int rate = 7;\n")
    os.utime(model, past)
    assert stamp(repo, tmp_path / "c.cpp").startswith(clean + "-dirty-")
    # git itself sees the change (its status may rewrite the index, so it is asked last)
    assert git(repo, "status", "--porcelain") == "M model.cpp"


def test_any_file_name_is_a_change_and_git_s_index_is_left_alone(repo: pathlib.Path, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "c.cpp"
    clean = stamp(repo, out)
    index = repo / ".git" / "index"
    before = (index.stat().st_mtime_ns, index.read_bytes())
    seen = {clean}
    for name in ('semi;colon.txt', 'quote "and" back\\slash.txt', "résumé.txt", "tab\tname.txt"):
        (repo / name).write_text("new\n")
        marked = stamp(repo, out)
        assert marked.startswith(clean + "-dirty-") and marked not in seen, name
        seen.add(marked)
        (repo / name).unlink()
    (repo / "dangling").symlink_to(tmp_path / "nowhere")
    assert stamp(repo, out).startswith(clean + "-dirty-")
    (repo / "dangling").unlink()
    assert stamp(repo, out) == clean
    assert (index.stat().st_mtime_ns, index.read_bytes()) == before


def objects(repo: pathlib.Path) -> set[str]:
    store = repo / ".git" / "objects"
    return {str(p.relative_to(store)) for p in store.rglob("*") if p.is_file()}


def test_uncommitted_files_are_not_written_into_the_repository_s_objects(repo: pathlib.Path,
                                                                          tmp_path: pathlib.Path) -> None:
    # The stamp hashes the tree the edits make; the blobs and trees that takes
    # go to a scratch store, not into .git/objects (where they would pile up
    # at every build until git gc).
    out = tmp_path / "c.cpp"
    clean = stamp(repo, out)
    before = objects(repo)
    (repo / "model.cpp").write_text("int rate = 2;\n")
    (repo / "sub").mkdir()
    (repo / "sub" / "policy.cpp").write_text("int stings = 1;\n")
    edited = stamp(repo, out)
    assert edited.startswith(clean + "-dirty-")
    assert objects(repo) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("c.cpp")) == ["c.cpp"]
    # The stamp is the tree git itself would write for those files.
    git(repo, "add", "-A")
    assert edited == clean + "-dirty-" + git(repo, "write-tree")[:8]


def test_an_unchanged_stamp_leaves_the_file_alone(repo: pathlib.Path, tmp_path: pathlib.Path) -> None:
    # So that a build with nothing new recompiles nothing.
    out = tmp_path / "c.cpp"
    stamp(repo, out)
    before = out.stat().st_mtime_ns
    out.touch()
    touched = out.stat().st_mtime_ns
    stamp(repo, out)
    assert out.stat().st_mtime_ns == touched >= before


def test_outside_git_it_is_unknown(tmp_path: pathlib.Path) -> None:
    plain = tmp_path / "archive"
    plain.mkdir()
    (plain / "model.cpp").write_text("int rate = 1;\n")
    assert stamp(plain, tmp_path / "c.cpp") == "unknown"
