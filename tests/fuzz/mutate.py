#!/usr/bin/python3
"""Seeded mutation of the shipped scenario or sweep files into a fuzz corpus.

    tests/fuzz/mutate.py OUT_DIR [--kind scenario|sweep] [--count 1000] [--seed 1]

Each output file is one shipped file with one to three mutations: byte-level
(delete, insert, flip, truncate, binary garbage), line-level (duplicate,
delete, swap) and value-level (NaN, infinities, huge and negative numbers,
wrong types, typos in keys, deep nesting, a 10 MB line). Scenario files come
from scenarios/**/*.toml; sweep files from scenarios/sweeps/example_*.toml
and the sweep files of tests/errors_doc/, with the base scenario they name
(small_city.toml) copied beside them. The same seed gives the same corpus.
"""
import argparse
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parents[2]
NASTY_VALUES = [
    "nan", "inf", "-inf", "+nan", "-1", "0", "-0.0", "1e308", "-1e308", "9223372036854775807",
    "-9223372036854775808", "99999999999999999999", "1e-320", '"text"', "true", "[]", "[1, 2, 3]",
    "{}", "[[1], [2]]", "1979-05-27T07:32:00Z", "0x7fffffff", '""', "[-1, 65536, 4294967296]",
]


def mutate_once(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    kind = rng.randrange(14)
    if kind == 0 and text:  # delete a span of bytes
        i = rng.randrange(len(text))
        return text[:i] + text[i + rng.randint(1, 40):]
    if kind == 1:  # insert random bytes
        i = rng.randrange(len(text) + 1)
        junk = "".join(chr(rng.randrange(0, 256)) for _ in range(rng.randint(1, 20)))
        return text[:i] + junk + text[i:]
    if kind == 2 and text:  # truncate
        return text[: rng.randrange(len(text))]
    if kind == 3:  # duplicate a line (duplicate keys and tables)
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        return "\n".join(lines)
    if kind == 4 and len(lines) > 1:  # delete a line
        del lines[rng.randrange(len(lines))]
        return "\n".join(lines)
    if kind == 5 and len(lines) > 1:  # swap two lines
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines)
    if kind in (6, 7, 8):  # replace a value with a nasty one
        idx = [i for i, l in enumerate(lines) if "=" in l and not l.lstrip().startswith("#")]
        if idx:
            i = rng.choice(idx)
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {rng.choice(NASTY_VALUES)}"
            return "\n".join(lines)
    if kind == 9:  # typo in a key
        idx = [i for i, l in enumerate(lines) if "=" in l and not l.lstrip().startswith("#")]
        if idx:
            i = rng.choice(idx)
            key, value = lines[i].split("=", 1)
            key = key.strip()
            if len(key) > 2:
                j = rng.randrange(len(key))
                key = key[:j] + key[j + 1:]
            lines[i] = f"{key} ={value}"
            return "\n".join(lines)
    if kind == 10:  # deep nesting
        depth = rng.choice([50, 500, 5000])
        return text + "\ndeep = " + "[" * depth + "1" + "]" * depth + "\n"
    if kind == 11:  # a very long line
        return text + "\nlong = \"" + "x" * rng.choice([10_000, 10_000_000]) + "\"\n"
    if kind == 12:  # binary garbage file
        return "".join(chr(rng.randrange(0, 256)) for _ in range(rng.randint(0, 2000)))
    if kind == 13:  # bit flip
        b = bytearray(text.encode("utf-8", "surrogateescape"))
        if b:
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        return b.decode("utf-8", "surrogateescape")
    return text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--kind", choices=["scenario", "sweep"], default="scenario")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.kind == "scenario":
        seeds = sorted((ROOT / "scenarios").rglob("*.toml"))
    else:
        seeds = sorted((ROOT / "scenarios" / "sweeps").glob("example_*.toml"))
        seeds += sorted((ROOT / "tests" / "errors_doc").glob("s_*.toml"))
        (out / "small_city.toml").write_bytes((ROOT / "scenarios" / "sweeps" / "small_city.toml").read_bytes())
    for n in range(args.count):
        src = rng.choice(seeds)
        text = src.read_text()
        for _ in range(rng.randint(1, 3)):
            text = mutate_once(text, rng)
        (out / f"{'fuzz' if args.kind == 'scenario' else 'sweep'}_{n:04d}.toml").write_bytes(
            text.encode("utf-8", "surrogateescape"))


if __name__ == "__main__":
    main()
