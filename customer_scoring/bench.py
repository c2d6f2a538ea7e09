"""Benchmark: generate a scale once, time a full build in a child process, record its peak memory, and append the
figures with the machine and versions to benchmarks/RESULTS.md.

    customer-scoring bench --contacts 1000000          # 10M orders, 20M events
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

END_DATE = dt.date(2026, 6, 30)


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB"


def versions() -> str:
    names = ("dbt-core", "dbt-duckdb", "duckdb")
    return ", ".join(f"{n} {metadata.version(n)}" for n in names) + f", Python {platform.python_version()}"


def timed_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run a child; return wall seconds, its own peak RSS in GiB, and the completed process.

    The peak is that child's alone (os.wait4), not RUSAGE_CHILDREN's maximum over every child so far, which would
    hide a small step run after the full build."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(args, stdout=out, stderr=err, text=True,
                                 env=None if env is None else {**os.environ, **env})
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        proc = subprocess.CompletedProcess(args, child.returncode, out.read(), err.read())
    return wall, usage.ru_maxrss / 2**20, proc


def node_timings(work_dir: Path, top: int = 8) -> tuple[list[tuple[str, float]], dict[str, float]]:
    """The slowest nodes, and the summed execution time per resource type (model, test, unit_test, seed)."""
    path = work_dir / "target" / "run_results.json"
    if not path.exists():
        return [], {}
    results = json.loads(path.read_text())["results"]
    rows = [(r["unique_id"].split(".", 2)[-1], r["execution_time"]) for r in results]
    by_type: dict[str, float] = {}
    for r in results:
        kind = r["unique_id"].split(".", 1)[0]
        by_type[kind] = by_type.get(kind, 0.0) + r["execution_time"]
    return sorted(rows, key=lambda r: -r[1])[:top], by_type


def main(a) -> int:
    data = Path(a.data_dir).resolve()
    raw = data / "raw"
    gen_seconds = gen_peak = None
    if a.regenerate or not (raw / "_manifest.json").exists():
        gen_seconds, gen_peak, proc = timed_child([
            sys.executable, "-m", "customer_scoring", "generate", "--out", str(raw), "--contacts", str(a.contacts),
            "--end-date", END_DATE.isoformat(), "--seed", "42",
        ])
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return 1
    manifest = json.loads((raw / "_manifest.json").read_text())
    if manifest["contacts"] != a.contacts:
        print(f"{raw} holds {manifest['contacts']} contacts, not {a.contacts}: use --regenerate", file=sys.stderr)
        return 1
    work = data / "work"
    # A child process per build: its peak RSS is the build's alone (dbt, DuckDB and the publication copy).
    wall, peak, proc = timed_child([
        sys.executable, "-m", "customer_scoring", "build", "--as-of", END_DATE.isoformat(), "--raw", str(raw),
        "--work-dir", str(work), "--publish-dir", str(data / "publish"), "--threads", str(a.threads),
    ])
    if proc.returncode:
        print(proc.stderr[-5000:], file=sys.stderr)
        return 1
    # dbt logs to stdout too: read the run's record from the runner's log instead.
    result = json.loads((work / "logs" / "runs.jsonl").read_text().splitlines()[-1])
    steps = {s["name"]: s["seconds"] for s in result["steps"]}
    rows = manifest["rows"]
    slowest, by_type = node_timings(work)
    lines = [
        f"## {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC: full build, {a.contacts:,} contacts",
        "",
        f"- command: `customer-scoring bench --contacts {a.contacts} --threads {a.threads}`",
        f"- machine: {machine()}; {versions()}",
        f"- rows: " + ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items())),
    ]
    if gen_seconds is not None:
        lines.append(f"- generation: {gen_seconds:.1f} s, peak RSS {gen_peak:.2f} GiB")
    lines += [
        f"- **full build: {wall:.1f} s wall, peak RSS {peak:.2f} GiB** (freshness {steps.get('freshness', 0):.1f} s, "
        f"dbt build with data and unit tests {steps.get('dbt build', 0):.1f} s, publish {steps.get('publish', 0):.1f} s)",
        "- node time summed over threads: " + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(by_type.items())),
        "- slowest nodes: " + ", ".join(f"{n} {t:.1f} s" for n, t in slowest),
        "",
    ]
    text = "\n".join(lines) + "\n"
    results = Path(a.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    if not results.exists():
        results.write_text("# Benchmark results\n\nAppended by `customer-scoring bench`; newest last.\n\n")
    with open(results, "a") as fh:
        fh.write(text)
    print(text)
    return 0
