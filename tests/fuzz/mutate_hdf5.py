#!/usr/bin/python3
"""Seeded mutation of harmsim's own HDF5 files into a fuzz corpus.

    tests/fuzz/mutate_hdf5.py --originals DIR --binary HARMSIM [--out OUT_DIR] [--count 300] [--seed 1]

First writes, with HARMSIM, the originals into DIR (kept while HARMSIM is the
same build: a harmsim of another schema version rewrites them): the
results file of a tiny run (results.h5), the two shards of a tiny sweep
(shard1.h5, shard2.h5), the whole sweep (sweep.h5) and the two shards merged
(merged.h5), with the scenario and sweep files that made them. Then, with
--out, writes --count mutated copies, each one original with one mutation:

* bytes: truncated (anywhere, in the superblock, at nothing), bits flipped,
  a run of bytes overwritten, two blocks swapped;
* wrong schema (with h5py): an attribute, dataset or group removed; an
  attribute or dataset of the wrong type, shape or sign; a dataset whose
  dataspace claims 2^40 elements it does not hold; a group where a dataset
  belongs and the other way round; a link that loops or leads outside the
  file; `complete` = 0, `file_kind` of another kind;
* wrong version: `schema_version` 0, the next, -1 or 999; `harmsim_version` and
  `git_commit` of another program.

Each output's name says which original and which mutation
(`m0042_shard2_bitflip.h5`). The same seed gives the same corpus.
"""
import argparse
import os
import pathlib
import random
import shutil
import subprocess
import sys

import h5py
import numpy as np

TINY_SCENARIO = """name = "tiny"
[simulation]
days = 2
warmup_days = 0
replicates = 2
seed = 7
[population]
workers = 20
buyers = 40
exploiters = 2
venues = 1
areas = 3
isolated_areas = 1
peripheral_areas = 1
"""
TINY_SWEEP = """base = "tiny.toml"
replicates = 2
[grid]
"encounter.rate_per_day" = [1.0, 2.0]
"""
ORIGINALS = ("results.h5", "shard1.h5", "shard2.h5", "sweep.h5", "merged.h5")


def write_originals(directory: pathlib.Path, binary: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # Which build wrote them: originals of an older schema would be refused at
    # the version check, and afl would fuzz little more than that (it did, for
    # an hour, in November 2026).
    built = os.stat(binary)
    stamp = f"{os.path.realpath(binary)} {built.st_size} {built.st_mtime_ns}\n"
    stamp_file = directory / "written_by"
    if all((directory / name).exists() for name in ORIGINALS) and stamp_file.exists() \
            and stamp_file.read_text() == stamp:
        return
    stamp_file.unlink(missing_ok=True)
    (directory / "tiny.toml").write_text(TINY_SCENARIO)
    (directory / "tiny_sweep.toml").write_text(TINY_SWEEP)
    for name in ORIGINALS:
        (directory / name).unlink(missing_ok=True)
    commands = [
        ["run", "-q", "-j", "1", "-o", "results.h5", "tiny.toml"],
        ["sweep", "-q", "-j", "1", "--shard", "1/2", "-o", "shard1.h5", "tiny_sweep.toml"],
        ["sweep", "-q", "-j", "1", "--shard", "2/2", "-o", "shard2.h5", "tiny_sweep.toml"],
        ["sweep", "-q", "-j", "1", "-o", "sweep.h5", "tiny_sweep.toml"],
        ["merge", "-q", "merged.h5", "shard1.h5", "shard2.h5"],
    ]
    for args in commands:
        subprocess.run([binary, *args], cwd=directory, check=True, stdout=subprocess.DEVNULL)
    stamp_file.write_text(stamp)


# --- byte-level mutations --------------------------------------------------------


def truncate(data: bytes, rng: random.Random) -> bytes:
    choice = rng.random()
    if choice < 0.1:
        return b""
    if choice < 0.3:
        return data[: rng.randrange(0, 96)]  # inside the superblock
    return data[: rng.randrange(0, len(data))]


def bitflip(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4, 8, 32])):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def overwrite(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    i = rng.randrange(len(b))
    n = rng.choice([1, 4, 8, 16, 64, 512])
    fill = rng.choice([b"\x00", b"\xff", None])
    for j in range(i, min(len(b), i + n)):
        b[j] = fill[0] if fill else rng.randrange(256)
    return bytes(b)


def swap_blocks(data: bytes, rng: random.Random) -> bytes:
    n = rng.choice([8, 64, 512])
    if len(data) < 2 * n:
        return data[::-1]
    i, j = sorted(rng.sample(range(0, len(data) - n), 2))
    if j - i < n:
        return data
    b = bytearray(data)
    b[i : i + n], b[j : j + n] = data[j : j + n], data[i : i + n]
    return bytes(b)


BYTE_MUTATIONS = {"truncate": truncate, "bitflip": bitflip, "overwrite": overwrite, "swap": swap_blocks}


# --- structural mutations (h5py) --------------------------------------------------


def objects(f: h5py.File):
    """Every group and dataset below the root, by path, in a stable order."""
    found = []
    f.visit(found.append)
    return sorted(found)


def attributes(f: h5py.File):
    """(object path, attribute name) of every attribute, the root's included."""
    found = [("/", name) for name in f.attrs]
    for path in objects(f):
        found.extend((path, name) for name in f[path].attrs)
    return sorted(found)


def wrong_value(value, rng: random.Random):
    candidates = [
        "text", "", "1", -1, 0, 2, 2**62, -(2**62), 1.5, float("nan"),
        np.array([1, 2, 3], dtype=np.int64), np.array(["a", "b"], dtype=h5py.string_dtype()),
        np.zeros((2, 2)), np.uint64(2**64 - 1),
    ]
    return rng.choice(candidates)


def replace_attribute(f, rng):
    path, name = rng.choice(attributes(f))
    value = wrong_value(f[path].attrs[name], rng)
    del f[path].attrs[name]
    f[path].attrs[name] = value


def remove_attribute(f, rng):
    path, name = rng.choice(attributes(f))
    del f[path].attrs[name]


def remove_object(f, rng):
    del f[rng.choice(objects(f))]


def datasets(f):
    return [p for p in objects(f) if isinstance(f[p], h5py.Dataset)]


def groups(f):
    return [p for p in objects(f) if isinstance(f[p], h5py.Group)]


def replace_dataset(f, rng):
    path = rng.choice(datasets(f))
    old = f[path]
    shape = old.shape
    del f[path]
    kind = rng.randrange(7)
    if kind == 0:  # strings where numbers were, or numbers where strings were
        f[path] = np.array(["x"] * max(1, int(np.prod(shape) or 1)), dtype=h5py.string_dtype())
    elif kind == 1:
        f[path] = np.arange(max(1, int(np.prod(shape) or 1)), dtype=np.int8)
    elif kind == 2:  # one more dimension
        f[path] = np.zeros(tuple(shape) + (2,), dtype=np.float64)
    elif kind == 3:  # no elements
        f[path] = np.zeros((0,) + tuple(shape[1:]), dtype=np.float64)
    elif kind == 4:  # more rows than the header says
        f[path] = np.ones((shape[0] + 3,) + tuple(shape[1:]) if shape else (3,), dtype=np.float64)
    elif kind == 5:  # an empty dataspace (H5S_NULL)
        f.create_dataset(path, data=h5py.Empty("f8"))
    else:  # a scalar
        f[path] = 1.0


def huge_dataspace(f, rng):
    """A dataset that claims 2^40 elements and stores none: a reader that trusts
    the shape allocates terabytes."""
    path = rng.choice(datasets(f))
    old = f[path]
    dtype = old.dtype
    rank = max(1, len(old.shape))
    del f[path]
    shape = (2**40,) + (1,) * (rank - 1)
    f.create_dataset(path, shape=shape, dtype=dtype, chunks=(1,) * rank)


def swap_kinds(f, rng):
    """A group where a dataset belongs, or a dataset where a group belongs."""
    if rng.random() < 0.5 and datasets(f):
        path = rng.choice(datasets(f))
        del f[path]
        f.create_group(path)
    else:
        path = rng.choice(groups(f))
        del f[path]
        f[path] = np.zeros(3)


def bad_link(f, rng):
    path = rng.choice(objects(f))
    del f[path]
    kind = rng.randrange(3)
    if kind == 0:
        f[path] = h5py.SoftLink(path)  # loops
    elif kind == 1:
        f[path] = h5py.ExternalLink("/nonexistent/elsewhere.h5", "/x")
    else:
        parent = path.rsplit("/", 1)[0] or "/"
        f[path] = f[parent]  # a hard link to its own parent: a cycle


def not_complete(f, rng):
    f.attrs["complete"] = rng.choice([0, 2, -1])


def other_kind(f, rng):
    f.attrs["file_kind"] = rng.choice(["sweep", "sweep-shard", "results", "", "posterior"])


def schema_version(f, rng):
    current = int(f.attrs["schema_version"]) if "schema_version" in f.attrs else 1
    f.attrs["schema_version"] = np.int64(rng.choice([0, current + 1, -1, 999]))


def other_program(f, rng):
    f.attrs["harmsim_version"] = rng.choice(["0.0.1", "9.9.9", ""])
    f.attrs["git_commit"] = rng.choice(["000000000000", "unknown", "x" * 200])


def shard_numbers(f, rng):
    f.attrs["shard_index"] = np.int64(rng.choice([0, -1, 3, 2**62]))
    f.attrs["shard_count"] = np.int64(rng.choice([0, -1, 1, 2**62]))


STRUCTURAL_MUTATIONS = {
    "attr_wrong": replace_attribute, "attr_removed": remove_attribute, "object_removed": remove_object,
    "dataset_wrong": replace_dataset, "huge_dataspace": huge_dataspace, "group_dataset_swapped": swap_kinds,
    "bad_link": bad_link, "not_complete": not_complete, "other_kind": other_kind,
    "schema_version": schema_version, "other_program": other_program, "shard_numbers": shard_numbers,
}


def mutate_structure(source: pathlib.Path, target: pathlib.Path, name: str, rng: random.Random) -> None:
    shutil.copyfile(source, target)
    with h5py.File(target, "r+") as f:
        STRUCTURAL_MUTATIONS[name](f, rng)


def write_corpus(originals: pathlib.Path, out: pathlib.Path, count: int, seed: int) -> list[pathlib.Path]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    names = sorted(list(BYTE_MUTATIONS) + list(STRUCTURAL_MUTATIONS))
    written = []
    for n in range(count):
        original = ORIGINALS[n % len(ORIGINALS)]
        mutation = names[(n // len(ORIGINALS)) % len(names)] if n < len(names) * len(ORIGINALS) else rng.choice(names)
        target = out / f"m{n:04d}_{original[:-3]}_{mutation}.h5"
        source = originals / original
        if mutation in BYTE_MUTATIONS:
            target.write_bytes(BYTE_MUTATIONS[mutation](source.read_bytes(), rng))
        else:
            try:
                mutate_structure(source, target, mutation, rng)
            except (KeyError, ValueError, TypeError, OSError, IndexError):
                # Not applicable to this file (no such object, h5py refused):
                # a bit flip instead, so the corpus keeps its size.
                target.write_bytes(bitflip(source.read_bytes(), rng))
        written.append(target)
    return written


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--originals", required=True, type=pathlib.Path)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--out", type=pathlib.Path)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    write_originals(args.originals, os.path.abspath(args.binary))
    if args.out is not None:
        write_corpus(args.originals, args.out, args.count, args.seed)


if __name__ == "__main__":
    sys.exit(main())
