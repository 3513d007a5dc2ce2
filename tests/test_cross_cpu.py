"""The suite on a second instruction set: the ``cross_cpu`` tests again, as on an older CPU.

CI runs on whatever machine it is given (AMD with AVX2, Intel with AVX-512), and
files of earlier versions hold numbers computed on yet another. The ``cross_cpu``
tests (stored numbers, kernels against their references, seeded reproducibility,
real neighbours) run here a second time in a process that compiles numba's kernels
for a baseline x86-64 CPU and keeps numpy and OpenBLAS off AVX (``tests/older_cpu.py``,
also a command: ``python tests/older_cpu.py -m cross_cpu``).
"""

import os
import platform
import re
import subprocess
import sys

import numba
import numpy as np
import pytest

from older_cpu import numpy_dispatched_features, numpy_features_in_use, older_cpu_env

TESTS = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.cross_cpu
def test_the_instruction_set_is_the_one_the_environment_asks_for():
    """In the older-CPU process this proves the emulation took effect (elsewhere it
    checks that nothing is emulated by accident)."""
    from numba.core import config

    wanted = os.environ.get("NUMBA_CPU_NAME")
    assert config.CPU_NAME == wanted
    disabled = set(os.environ.get("NPY_DISABLE_CPU_FEATURES", "").replace(",", " ").split())
    assert not disabled & set(numpy_features_in_use())

    @numba.njit(cache=False)
    def total(a):
        s = 0.0
        for x in a:
            s += x * 2.0
        return s

    total(np.ones(64))
    asm = next(iter(total.inspect_asm().values()))
    if wanted == "generic" and platform.machine() in ("x86_64", "AMD64"):
        assert not re.search(r"\bymm|\bzmm", asm)  # SSE2 only: no 256/512-bit registers


@pytest.mark.slow
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                    reason="the older instruction set emulated is x86-64's baseline")
def test_cross_cpu_tests_pass_on_an_older_instruction_set(tmp_path):
    env = older_cpu_env(tmp_path / "numba-cache")
    assert env["NPY_DISABLE_CPU_FEATURES"].split() == numpy_dispatched_features()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", TESTS, "-m", "cross_cpu", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200)
    tail = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    passed = re.search(r"(\d+) passed", proc.stdout)
    assert passed and int(passed[1]) >= 20, tail  # the marked tests ran, not none
