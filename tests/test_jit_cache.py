"""numba kernels compile once: import compiles nothing, a second process loads from disk."""

import subprocess
import sys

import pytest

PROBE = """
import json, skw2v._engines.hogwild_kernel as k
compiled_at_import = len(k.train_chunk.signatures)
from skw2v import CBOWVectorizer
CBOWVectorizer(vector_size=5, epochs=1, min_count=1, n_jobs=1).fit([["a", "b", "c"]] * 5)
print(json.dumps({"at_import": compiled_at_import,
                  "hits": sum(k.train_chunk.stats.cache_hits.values()),
                  "misses": sum(k.train_chunk.stats.cache_misses.values())}))
"""


def run_probe():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True, timeout=300)
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_import_compiles_nothing_and_second_process_hits_the_cache():
    first = run_probe()          # may compile (cold cache) and writes the cache
    second = run_probe()
    assert first["at_import"] == 0 and second["at_import"] == 0
    assert second["misses"] == 0 and second["hits"] >= 1


COLD_FIT = """
import time
t0 = time.perf_counter()
from skw2v import CBOWVectorizer
t1 = time.perf_counter()
CBOWVectorizer(vector_size=8, epochs=1, min_count=1, n_jobs=2).fit([["a", "b", "c"]] * 5)
t2 = time.perf_counter()
print(f"import {t1 - t0:.2f} s, first fit {t2 - t1:.2f} s")
"""


@pytest.mark.slow
def test_a_cold_cache_compiles_once_and_says_so_in_one_line(tmp_path):
    """With an empty NUMBA_CACHE_DIR the first fit announces compiling; the next one is quiet."""
    import os

    from skw2v._jit import MESSAGE

    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", COLD_FIT], capture_output=True, text=True,
                           check=True, timeout=600, env=env) for _ in range(2)]
    cold, warm = (run.stderr.splitlines() for run in runs)
    assert cold.count(MESSAGE) == 1, cold
    assert MESSAGE not in warm, warm
    assert any(tmp_path.rglob("*.nbi")), "the kernels were not written to the cache"


def test_compile_notice_speaks_once_and_only_for_skw2v_cpu_functions(caplog, monkeypatch):
    """A fresh listener: silent for other code, one WARNING at the first skw2v compilation."""
    import logging

    import numba
    from numba.core import event

    from skw2v import _jit
    from skw2v._jit import MESSAGE, _CompileNotice
    from skw2v._schedule import linear_alpha

    monkeypatch.setattr(_jit.NOTICE, "told", True)  # the process-wide one stays quiet here
    notice = _CompileNotice()
    with caplog.at_level(logging.WARNING, logger="skw2v"), \
            event.install_listener("numba:compile", notice):
        numba.njit(lambda x: x + 1)(1)            # not skw2v's: no notice
        assert not notice.told
        numba.njit(linear_alpha)(0.025, 1e-7, 1e-4, 10)  # a fresh skw2v function: compiles
        numba.njit(linear_alpha)(0.025, 1e-7, 1e-4, 20)  # and again: already said
    assert notice.told
    assert [r.getMessage() for r in caplog.records].count(MESSAGE) == 1
