"""Benchmark (`make bench`; `python -m tests.bench --quick` for small sizes): ratios measured in one run, since
these machines are noisy. Prints a table and writes var/bench.json. Sections (issue 11):

a. one phase run (tasks.day_run.run_day) over N assignments, ≈15% overdue, on SQLite and PostgreSQL, beside the
   bare SQL baseline of the same work (tests/bench/bare.py); seconds and peak memory, each in a fresh process;
b. delivery (tasks.mail.smtp.send_messages) beside a bare aiosmtplib loop over as many connections;
c. task runs per phase run at two sizes, and Prefect's overhead over the same steps called directly;
d. the seed campaign simulated at 12 and at 12,000 communities: seconds per simulated day, peak memory.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.data import ITEMS, ROOT, fresh_database, populate


@dataclass(frozen=True)
class Sizes:
    assignments: list[int]
    messages: int
    prefect: list[int]
    simulation: list[tuple[int, str, str]]  # communities, first day, last day
    timeout: float  # seconds a simulation may take


FULL = Sizes(
    [10_000, 100_000, 1_000_000],
    300,
    [100, 10_000],
    [(12, "2021-12-01", "2022-12-31"), (12_000, "2021-12-01", "2021-12-31")],
    300,
)
QUICK = Sizes([10_000], 200, [100, 1_000], [(12, "2021-12-01", "2021-12-31"), (1_200, "2021-12-01", "2021-12-05")], 300)
PHASE_TIMEOUT = 300.0, 600.0  # seconds a phase measurement may take: at least, and at 1M assignments


def phase_timeout(assignments: int) -> float:
    """Linear in the assignments above a floor: 300 s up to 500,000, 600 s at 1M (120× the goal, so a slow
    run still gives its time, and the bench stays within an hour)."""
    least, at_million = PHASE_TIMEOUT
    return max(least, at_million * assignments / 1_000_000)


GOALS = {"seconds_1m": 5.0, "peak_mb_1m": 600.0, "bare_ratio": 3.0, "delivery": 0.7, "overhead": 0.5}


def probe(kind: str, args: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One measurement in a fresh Python process: its own peak memory; {'timeout': s} if it ran too long."""
    command = [sys.executable, "-m", "tests.bench.probe", kind, json.dumps(args)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False)
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout.decode() if isinstance(expired.stdout, bytes) else expired.stdout or ""
        days = [json.loads(line) for line in out.splitlines() if line.startswith('{"day"')]
        if not days:
            return {"timeout": timeout}
        return {"timeout": timeout, "days": len(days), "per_day": days[-1]["elapsed"] / len(days)} | {
            "peak_mb": days[-1]["peak_mb"]
        }
    if done.returncode != 0:
        causes = [line for line in done.stderr.splitlines() if re.match(r"[\w.]+(Error|Exception): ", line)]
        return {"error": (causes or [f"exit {done.returncode}"])[-1][:300]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def phase_runs(
    sizes: list[int], backends: list[str], folder: Path, earlier: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each backend and size. A run whose time, scaled linearly from a smaller size (in this run or an earlier
    partial one), would exceed its timeout (phase_timeout) is not started: its row says so and gives that
    lower bound."""
    rows = []
    for backend in backends:
        known = [r for r in earlier if r["backend"] == backend and "error" not in r["phase-run"]]
        for size in sizes:
            communities = size // ITEMS
            row: dict[str, Any] = {"backend": backend, "assignments": size, "communities": communities}
            bound, timeout = _lower_bound(known, size), phase_timeout(size)
            for kind in ("phase-bare", "phase-run"):
                if kind == "phase-run" and bound > timeout:
                    row[kind] = {"skipped": f"at least {bound:.0f} s (linear from a smaller size)", "at_least": bound}
                    continue
                with fresh_database(backend, folder) as database:
                    row["data"] = populate(database, communities)
                    row[kind] = probe(kind, {"url": database.url, "backend": backend}, timeout)
                print(f"  a. {backend} {size:>9,} {kind}: {row[kind]}", file=sys.stderr, flush=True)
            bare, run = row["phase-bare"].get("seconds"), row["phase-run"].get("seconds")
            row["ratio"] = run / bare if run and bare else None
            rows.append(row)
            known.append(row)
    return rows


def _lower_bound(known: list[dict[str, Any]], size: int) -> float:
    """The largest time a smaller size's run took (or at least took), scaled linearly to `size`."""
    bounds = [0.0]
    for row in known:
        run = row["phase-run"]
        seconds = run.get("seconds") or run.get("timeout") or run.get("at_least")
        if seconds and row["assignments"] < size:
            bounds.append(seconds * size / row["assignments"])
    return max(bounds)


def simulations(runs: list[tuple[int, str, str]], timeout: float) -> list[dict[str, Any]]:
    rows = []
    for communities, first, last in runs:
        result = probe("simulation", {"communities": communities, "first": first, "last": last}, timeout)
        print(f"  d. {communities:,} communities {first} → {last}: {result}", file=sys.stderr, flush=True)
        rows.append({"communities": communities, "from": first, "to": last} | result)
    return rows


def _fmt(value: Any, spec: str = ".2f") -> str:
    return format(value, spec) if isinstance(value, int | float) else "—"


def _cell(result: dict[str, Any], key: str, spec: str = ".2f") -> str:
    """A measured value, or why there is none: >N s (timed out), >N s* (not started: linear lower bound)."""
    if "timeout" in result and key in result:  # a simulation cut short: its days so far
        return _fmt(result[key], spec) + "~"
    if "at_least" in result or "timeout" in result:
        mark = f">{result['at_least']:.0f}s*" if "at_least" in result else f">{result['timeout']:.0f}s"
        return mark if key == "seconds" else "—"
    if "error" in result:
        return "error"
    return _fmt(result.get(key), spec)


def table(results: dict[str, Any]) -> str:
    lines = []
    if "phase_runs" in results:
        lines += [
            "a. one phase run (run_day) vs bare SQL",
            "   backend   assignments   run s  bare s  ratio  run MB  bare MB  notices (run/bare)",
        ]
    for r in results.get("phase_runs", []):
        run, bare = r["phase-run"], r["phase-bare"]
        lines.append(
            f"   {r['backend']:<9} {r['assignments']:>11,} {_cell(run, 'seconds'):>7} {_cell(bare, 'seconds'):>7}"
            f" {_fmt(r['ratio']):>6} {_cell(run, 'peak_mb', '.0f'):>7} {_cell(bare, 'peak_mb', '.0f'):>8}"
            f" {_cell(run, 'notices', 'd'):>8}/{_cell(bare, 'notices', 'd')}"
        )
    if d := results.get("delivery"):
        lines += [
            "b. delivery to a local aiosmtpd sink",
            f"   send_messages {d['send_messages_per_s']:.0f}/s, bare aiosmtplib loop {d['bare_loop_per_s']:.0f}/s,"
            f" ratio {d['ratio']:.2f} ({d['messages']} e-mails, {d['connections']} connections)",
        ]
    if "prefect" in results:
        lines.append("c. Prefect: task runs per phase run, flow run vs the same steps called directly")
    for p in results.get("prefect", []):
        lines.append(
            f"   {p['communities']:>6,} communities: {p['task_runs']} task runs, flow {p['flow_seconds']:.2f} s,"
            f" direct {p['direct_seconds']:.2f} s, overhead {p['overhead_seconds']:.2f} s"
            + (f" (medians of {p['rounds']} rounds)" if p.get("rounds", 1) > 1 else "")
        )
    if "simulation" in results:
        lines.append("d. seed campaign simulated")
    for s in results.get("simulation", []):
        lines.append(
            f"   {s['communities']:>6,} communities {s['from']} → {s['to']}"
            + (f" (timed out after {s['days']} days)" if "timeout" in s else "")
            + f": {_cell(s, 'per_day', '.3f')} s/day,"
            f" peak {_cell(s, 'peak_mb', '.0f')} MB, {_cell(s, 'assignments', 'd')} assignments"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, to develop the benchmark")
    parser.add_argument("--only", default="abcd", help="sections to run, e.g. 'ab'")
    parser.add_argument("--assignments", help="sizes of section a, e.g. 10000,100000 (default: all)")
    parser.add_argument("--backends", default="sqlite,postgres", help="databases of section a")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench.json")
    options = parser.parse_args()
    sizes = QUICK if options.quick else FULL
    results: dict[str, Any] = {"quick": options.quick, "goals": GOALS}
    earlier: dict[str, Any] = {}
    if (
        options.only != "abcd" or options.assignments or "," not in options.backends
    ) and options.out.exists():  # a partial run updates its part
        earlier = json.loads(options.out.read_text(encoding="utf-8"))
        results = earlier | results
    with tempfile.TemporaryDirectory(prefix="greencomm-bench-") as temp:
        folder = Path(temp)
        if "a" in options.only:
            wanted = [int(n) for n in options.assignments.split(",")] if options.assignments else sizes.assignments
            backends = options.backends.split(",")
            fresh = phase_runs(wanted, backends, folder, earlier.get("phase_runs", []))
            kept = [
                r
                for r in earlier.get("phase_runs", [])
                if r["assignments"] not in wanted or r["backend"] not in backends
            ]
            results["phase_runs"] = sorted(kept + fresh, key=lambda r: (r["backend"] != "sqlite", r["assignments"]))
        if "b" in options.only:
            from tests.bench.delivery import measure_delivery

            results["delivery"] = measure_delivery(sizes.messages, str(folder / "sink"))
        if "c" in options.only:
            from tests.bench.prefect_runs import measure_prefect

            results["prefect"] = measure_prefect(sizes.prefect, folder)
        if "d" in options.only:
            results["simulation"] = simulations(sizes.simulation, sizes.timeout)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(table(results))
    print(f"written to {options.out}")


if __name__ == "__main__":
    main()
