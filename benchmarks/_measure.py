"""What every benchmark measures, measured one way: wall and CPU seconds, memory high-water
marks, interleaved rounds of fresh processes, and a table of ratios against a reference.

CPU seconds are user + system time of all the process's threads (``getrusage``): on a shared,
noisy machine the CPU ratio between contenders is the figure that stays stable; wall time
says what a user waits. Each contender runs in a fresh interpreter (``run_child``) so its
memory high-water mark and its one-off costs (imports, caches) are its own, and rounds are
interleaved (every contender once per round) so a busy spell hits all alike.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def max_rss_mb() -> float:
    """This process's resident-memory high-water mark, MB.

    Linux's ``ru_maxrss`` carries the parent's RSS over fork + exec, so a child started by a
    large parent would report the parent's size; ``VmHWM`` belongs to the process's own
    address space. ``ru_maxrss`` is the fallback off Linux.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def clock(run: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    """``run(*args)`` timed: ``(result, wall seconds, CPU seconds of this process)``.

    A full garbage collection first, so one left over from loading does not fall into the
    timed call by chance (as timeit and pyperf do).
    """
    gc.collect()
    cpu, wall = _cpu(), time.perf_counter()
    result = run(*args)
    return result, time.perf_counter() - wall, _cpu() - cpu


def child(script: str | Path, args: Sequence[str], timeout: float) -> dict:
    """Run ``python script *args`` in a fresh interpreter; its last stdout line is JSON.

    Returns ``{"error": ...}`` when it fails or times out, never raises.
    """
    command = [sys.executable, str(script), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return {"error": tail[0]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def rounds(
    contenders: Sequence[str], measure_one: Callable[[str], dict], repeat: int, *, label: str = ""
) -> dict[str, dict]:
    """``repeat`` interleaved rounds of ``measure_one(contender)``, which returns at least
    ``seconds`` and ``cpu_seconds`` (and may return ``peak_*`` memory figures and ``answer``).

    Per contender: every round's figures, the best wall and best CPU seconds, the highest
    of each ``peak_*``, and ``answer`` (an error when it changed between rounds).
    """
    results: dict[str, dict] = {c: {"seconds": [], "cpu_seconds": []} for c in contenders}
    for index in range(repeat):
        for name in contenders:
            result = results[name]
            if "error" in result:
                continue
            one = measure_one(name)
            if "error" in one:
                result["error"] = one["error"]
                print(f"  {label} {name}: {one['error']}", flush=True)
                continue
            result["seconds"].append(one["seconds"])
            result["cpu_seconds"].append(one["cpu_seconds"])
            for key in (k for k in one if k.startswith("peak")):
                result[key] = max(result.get(key, 0.0), one[key])
            if "answer" in one and result.setdefault("answer", one["answer"]) != one["answer"]:
                result["error"] = "answer changed between rounds"
            print(
                f"  {label} round {index + 1}/{repeat} {name:<22} {one['seconds']:8.3f} s"
                f"  cpu {one['cpu_seconds']:8.2f} s"
                + (f"  peak {one['peak_mb']:7.0f} MB" if "peak_mb" in one else ""),
                flush=True,
            )
    for result in results.values():
        if result["seconds"]:
            result["best"] = min(result["seconds"])
            result["median"] = statistics.median(result["seconds"])
            result["cpu_best"] = min(result["cpu_seconds"])
    return results


def ratio_table(results: dict[str, dict], reference: str, *, title: str = "") -> str:
    """A plain-text table: best wall, best CPU, and each as a multiple of ``reference``'s."""
    ref = results.get(reference, {})
    lines = [title] if title else []
    lines.append(
        f"{'contender':<24}{'best s':>10}{'cpu s':>10}{'wall x':>9}{'cpu x':>9}{'peak MB':>10}"
    )
    for name, result in results.items():
        if "error" in result or "best" not in result:
            lines.append(f"{name:<24}  {result.get('error', 'not measured')}")
            continue
        wall_x = result["best"] / ref["best"] if ref.get("best") else float("nan")
        cpu_x = result["cpu_best"] / ref["cpu_best"] if ref.get("cpu_best") else float("nan")
        peak = f"{result['peak_mb']:10.0f}" if "peak_mb" in result else f"{'':>10}"
        lines.append(
            f"{name:<24}{result['best']:10.3f}{result['cpu_best']:10.2f}"
            f"{wall_x:9.2f}{cpu_x:9.2f}{peak}"
        )
    return "\n".join(lines)


class TreeWatch:
    """Peak memory of a process and all its descendants, summed, sampled every ``every``
    seconds in a thread (the workers and kernels of ``cx report`` included).

    ``peak_mb`` sums PSS (proportional set size: a page shared by n processes counts 1/n
    in each, so the sum is the memory the tree really holds; forked workers share their
    parent's pages); ``peak_rss_mb`` sums RSS, which counts shared pages once per process.
    PSS falls back to RSS where the kernel does not report it.
    """

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self.pid, self.every = pid, every
        self.peak_mb = self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            pss = rss = 0
            try:
                for process in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        memory = process.memory_full_info()
                        rss += memory.rss
                        pss += getattr(memory, "pss", memory.rss)
            except psutil.NoSuchProcess:
                return
            self.peak_mb = max(self.peak_mb, pss / 2**20)
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 2**20)
            self._stop.wait(self.every)

    def __enter__(self) -> TreeWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_tree(command: Sequence[str], *, timeout: float, env: dict | None = None) -> dict:
    """Run ``command`` and its whole process tree: wall seconds, CPU seconds of the tree
    (user + system of every waited-for descendant) and the peak summed PSS and RSS
    (:class:`TreeWatch`)."""
    before = _cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    with TreeWatch(process.pid) as watch:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            return {"error": f"timed out after {timeout:.0f} s", "output": output}
    result = {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": _cpu(resource.RUSAGE_CHILDREN) - before,
        "peak_mb": watch.peak_mb,
        "peak_rss_mb": watch.peak_rss_mb,
        "output": output,
    }
    if process.returncode != 0:
        result["error"] = f"exit {process.returncode}: {output.strip().splitlines()[-1:]}"
    return result


def machine() -> dict:
    """The facts a reader needs to weigh the figures: cores, memory, load, versions."""
    import polars

    with open("/proc/meminfo") as meminfo:
        memory_kib = next(int(ln.split()[1]) for ln in meminfo if ln.startswith("MemTotal"))
    facts = {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "polars": polars.__version__,
    }
    try:
        import duckdb

        facts["duckdb"] = duckdb.__version__
    except ImportError:
        pass
    return facts
