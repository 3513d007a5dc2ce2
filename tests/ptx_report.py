"""Compile the GPU kernel to PTX for sm_90 without a GPU and report on it (JSON on stdout).

    NUMBA_ENABLE_CUDASIM=0 python tests/ptx_report.py 1 4 8     # values per lane

For each ``per_lane``: the PTX's first lines, every line with float64
arithmetic, and what ``ptxas -arch=sm_90 -v`` says (registers, stack,
spills) when ptxas is found (the nvidia-cuda-nvcc-cu12 wheel ships it).
Used by tests/test_cuda.py; also handy when tuning the kernel.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types

SIGNATURE = ("void(int32[::1], int32[::1], int32[::1], int32[::1], int32[::1], int32[::1], "
             "float32[:, ::1], float32[:, ::1], float32[::1], int32[::1], uint8[::1], int64, "
             "int64, uint64, uint64, float32, float32, float32, float32[::1], int32[::1])")


def _no_device_needed():
    """Device functions ask the current device for its compute capability while compiling;
    without a driver, answer for the target we compile for."""
    from numba.cuda import dispatcher

    dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=(9, 0))


def ptxas():
    try:
        import nvidia.cuda_nvcc as nvcc
    except ImportError:
        return shutil.which("ptxas")
    path = os.path.join(list(nvcc.__path__)[0], "bin", "ptxas")
    return path if os.path.exists(path) else shutil.which("ptxas")


def assemble(ptx, tool):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "k.ptx")
        with open(src, "w") as f:
            f.write(ptx)
        out = subprocess.run([tool, "-arch=sm_90", "-v", src, "-o", os.path.join(tmp, "k.cubin")],
                             capture_output=True, text=True, check=True).stderr
    number = lambda pattern: int(re.search(pattern, out).group(1))  # noqa: E731
    return {"registers": number(r"Used (\d+) registers"),
            "stack": number(r"(\d+) bytes stack frame"),
            "spill_stores": number(r"(\d+) bytes spill stores"), "log": out[-2000:]}


def report(per_lane, tool):
    from numba import cuda

    from skw2v._engines.cuda_kernel import _kernel_source

    ptx, _ = cuda.compile_ptx(_kernel_source(per_lane), SIGNATURE, cc=(9, 0), fastmath=True)
    return {"head": "\n".join(ptx.splitlines()[:20]),
            "f64_lines": [line.strip() for line in ptx.splitlines() if ".f64" in line],
            "ptxas": assemble(ptx, tool) if tool else None}


def main(argv):
    _no_device_needed()
    tool = ptxas()
    print(json.dumps({n: report(int(n), tool) for n in argv}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
