"""Cold start: import time, the first fit with an empty numba cache, the first fit with a warm one.

Each measurement runs in a fresh child process. "cold" children get a new,
empty ``NUMBA_CACHE_DIR`` (what a fresh install sees: every kernel compiles);
"warm" children reuse the directory a cold child filled (every later run).
The fit is ``CBOWVectorizer(n_jobs=2).fit`` on the offline planted-analogy
corpus (``make_analogy_corpus``, 20,000 sentences), timed apart from
generating it; the cold child also records every numba compilation
(numba's ``numba:compile`` events) with its duration. ``skw2v demo`` is
timed the same way, cold and warm. Peer: ``import gensim.models``.

    python benchmarks/bench_coldstart.py --repeats 3
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

FIT_CHILD = """
import json, time
t0 = time.perf_counter()
from skw2v import CBOWVectorizer
t1 = time.perf_counter()
from numba.core import event
compiles = []
class Recorder(event.Listener):
    def on_start(self, ev):
        ev.data["t0"] = time.perf_counter()
    def on_end(self, ev):
        f = ev.data["dispatcher"].py_func
        compiles.append([f.__module__ + "." + f.__name__, time.perf_counter() - ev.data["t0"]])
event.register("numba:compile", Recorder())
from skw2v.datasets import make_analogy_corpus
docs, _ = make_analogy_corpus(20_000, random_state=0)
t2 = time.perf_counter()
CBOWVectorizer(n_jobs=2, random_state=0).fit(docs)
t3 = time.perf_counter()
print("RESULT " + json.dumps({"import_s": t1 - t0, "fit_s": t3 - t2, "compiles": compiles}))
"""

IMPORT_CHILD = """
import json, time
t0 = time.perf_counter()
import {module}
print("RESULT " + json.dumps({{"import_s": time.perf_counter() - t0}}))
"""


def child(args, cache_dir, timeout=900):
    """Run ``python *args`` with ``NUMBA_CACHE_DIR=cache_dir``; return (seconds, stdout, stderr)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                         timeout=timeout, check=True)
    return time.perf_counter() - t, out.stdout, out.stderr


def run(code, cache_dir):
    """A child running ``code``: its RESULT dict and its stderr."""
    _, stdout, stderr = child(["-c", code], cache_dir)
    line = [x for x in stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):]), stderr


def run_demo(cache_dir):
    """Wall seconds of ``skw2v demo`` in a child."""
    return child(["-m", "skw2v", "demo"], cache_dir)[0]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    rows, compile_rows = {}, None
    for rep in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="skw2v-numba-cache-") as cache:
            cold, stderr = run(FIT_CHILD, cache)
            warm, _ = run(FIT_CHILD, cache)
            print(f"[coldstart] {rep}: import {cold['import_s']:.2f} s, cold fit "
                  f"{cold['fit_s']:.2f} s, warm fit {warm['fit_s']:.2f} s; notice: "
                  f"{stderr.strip().splitlines()[:1]}", file=sys.stderr)
            compile_rows = compile_rows or cold["compiles"]
            for key, value in [("import skw2v s", cold["import_s"]),
                               ("import skw2v s (warm cache)", warm["import_s"]),
                               ("first fit s, empty numba cache", cold["fit_s"]),
                               ("first fit s, warm numba cache", warm["fit_s"])]:
                rows.setdefault(key, []).append(value)
        with tempfile.TemporaryDirectory(prefix="skw2v-numba-cache-") as cache:
            rows.setdefault("skw2v demo s, empty numba cache", []).append(run_demo(cache))
            rows.setdefault("skw2v demo s, warm numba cache", []).append(run_demo(cache))
        peer, _ = run(IMPORT_CHILD.format(module="gensim.models"), tempfile.gettempdir())
        rows.setdefault("import gensim.models s (peer)", []).append(peer["import_s"])

    lines = C.header("Cold start: imports, first fit with an empty and a warm numba cache")
    lines += [f"Fresh child processes, medians of {args.repeats}; the fit: CBOWVectorizer(n_jobs=2) "
              "on make_analogy_corpus(20,000 sentences), generation not timed.", ""]
    lines += C.table(["measurement", "median s", "runs s"],
                     [[k, f"{C.median(v):.2f}", ", ".join(f"{x:.2f}" for x in v)]
                      for k, v in rows.items()])
    lines += ["", "numba compilations in the first cold fit (one version of each function):", ""]
    own = [[name, f"{s:.2f}"] for name, s in compile_rows if name.startswith("skw2v")]
    numba_own = sum(s for name, s in compile_rows if not name.startswith("skw2v"))
    lines += C.table(["function", "compile s"],
                     own + [["numba's own helpers (np.empty and the like), together",
                             f"{numba_own:.2f}"]])
    print("\n".join(lines))


if __name__ == "__main__":
    main()
