"""Helpers shared by the benchmark scripts: machine/commit header, RSS, tables."""

import functools
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:  # run from a checkout without installing skw2v
    sys.path.insert(0, ROOT)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

RESULT_PREFIX = "RESULT_JSON "


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def n_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def mem_total_gib():
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (ValueError, OSError, AttributeError):
        return float("nan")


@functools.lru_cache(maxsize=None)
def git_commit():
    """Short HEAD hash, with '+dirty' when skw2v/ has uncommitted or untracked changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "skw2v"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return head + ("+dirty(skw2v/)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions():
    out = {"python": platform.python_version()}
    for name in ("numpy", "numba", "sklearn", "gensim", "skw2v"):
        try:
            mod = __import__(name)
            out[name] = getattr(mod, "__version__", "?")
        except Exception:  # noqa: BLE001 - report whatever is importable
            out[name] = "n/a"
    return out


def header(title):
    """Markdown lines: machine, commit, versions, exact command."""
    cmd = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])
    v = versions()
    return [
        f"### {title}",
        "",
        f"- commit: `{git_commit()}`",
        f"- machine: {cpu_model()}, {n_cores()} cores, {mem_total_gib():.0f} GiB RAM, no GPU used",
        "- versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- command: `python {cmd}`",
        "",
    ]


def peak_rss_mib():
    """Peak resident set size of this process so far, in MiB.

    Linux's VmHWM (the high-water mark of this process image). Not ru_maxrss:
    on Linux a child's ru_maxrss starts at the parent's RSS at fork time and
    survives execve, so a big parent would inflate every child's figure.
    Falls back to ru_maxrss where /proc is missing.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def emit(result):
    """Child -> parent: one JSON line on stdout."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_child(argv, timeout):
    """Run ``python argv...`` in a fresh process; return its RESULT_JSON dict (or an error dict)."""
    cmd = [sys.executable] + argv
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout}s"}
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, spec=",.0f", missing="—"):
    if value is None:
        return missing
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def table(columns, rows):
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines
