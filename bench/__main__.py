"""Run benchmarks: `python -m bench [name ...] [--quick]`; every figure is printed beside its baseline."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path

from bench import Figure, cpu_speed, machine


def available() -> list[str]:
    """Names of the benchmark modules in this package."""
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def render(name: str, figures: list[Figure]) -> str:
    """A Markdown table of one benchmark's figures."""
    lines = [
        f"### {name}",
        "",
        "| measurement | rate | baseline | × baseline | target | met |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for f in figures:
        baseline = f"{f.baseline:,.0f} {f.unit} ({f.baseline_name})" if f.baseline else "—"
        speedup = f"{f.speedup:,.1f}×" if f.speedup else "—"
        target = f"{f.target:,.0f}" if f.target else "—"
        met = "—" if f.target is None else ("yes" if f.value >= f.target else "no")
        lines.append(f"| {f.name} | {f.value:,.0f} {f.unit} | {baseline} | {speedup} | {target} | {met} |")
        if f.note:
            lines.append(f"| ↳ {f.note} | | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(available())})"
    )
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke test")
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    print(f"Machine: {machine()}")
    print(f"CPU speed: {cpu_speed()}")
    print(f"Date: {time.strftime('%Y-%m-%d %H:%M %Z')}")
    failed = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        load_before = os.getloadavg()[0]
        try:
            figures = module.run(quick=args.quick)
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            print(f"\n### {name}\n\nfailed: {exc!r}")
            failed += 1
            continue
        print()
        print(render(name, figures))
        # Other work on the machine skews every rate; the load average says how much there was.
        print(
            f"\n({name}: {time.perf_counter() - started:.0f} s; "
            f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
