"""Run pytest as on an older CPU: numba, numpy and OpenBLAS without AVX2 or AVX-512.

    python tests/older_cpu.py [pytest arguments]       # e.g. -m cross_cpu, or nothing

Results computed on one machine are compared on another in this suite (files of
earlier versions, CI on whatever CPU it is given). Vector width changes float
rounding: a numba kernel compiled for AVX-512 sums in another order than the same
kernel for SSE2, numpy and OpenBLAS pick their loops by CPU at run time. This
emulates an older CPU on the same machine:

- numba compiles for ``NUMBA_CPU_NAME=generic`` (baseline x86-64: SSE2), into a
  cache folder of its own so that the user's cache keeps the native code;
- numpy disables every optimization it dispatches at run time
  (``NPY_DISABLE_CPU_FEATURES``: X86_V3/X86_V4 on numpy 2.4, AVX2/AVX512F/... before);
- OpenBLAS runs its Prescott (SSE3) kernels (``OPENBLAS_CORETYPE``).

``tests/test_cross_cpu.py`` runs the ``cross_cpu`` tests this way inside the suite.
"""

import os
import subprocess
import sys
import tempfile


def _numpy_cpu_tables():
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy 1.x
        from numpy.core import _multiarray_umath as umath
    return umath.__cpu_dispatch__, umath.__cpu_features__


def numpy_dispatched_features():
    """The CPU features numpy dispatches at run time (those it can be told to leave out)."""
    return list(_numpy_cpu_tables()[0])


def numpy_features_in_use():
    """The dispatched features numpy uses in this process (this CPU's, less those disabled)."""
    dispatched, found = _numpy_cpu_tables()
    return [name for name in dispatched if found.get(name)]


def older_cpu_env(cache_dir, base=None):
    """The environment of a process that runs as on a baseline x86-64 CPU."""
    env = dict(os.environ if base is None else base)
    env.update(NUMBA_CPU_NAME="generic", NUMBA_CPU_FEATURES="", NUMBA_CACHE_DIR=str(cache_dir),
               NPY_DISABLE_CPU_FEATURES=" ".join(numpy_dispatched_features()),
               OPENBLAS_CORETYPE="Prescott")
    return env


def main(args):
    with tempfile.TemporaryDirectory(prefix="skw2v-older-cpu-") as cache:
        return subprocess.call([sys.executable, "-m", "pytest", *args], env=older_cpu_env(cache))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
