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
