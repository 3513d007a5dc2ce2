"""Device selection: the one module that imports CuPy.

Everything else receives an array module ``xp`` (numpy or cupy) from here.
Under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) a GPU device is
simulated: ``xp`` is numpy and the CUDA kernels run on the CPU.
"""

import contextlib
import re

import numba
import numpy as np

_GPU_HINT = ("Install the GPU extra (pip install 'skw2v[gpu]', which brings CuPy and "
             "numba-cuda) on a machine with an NVIDIA GPU and CUDA driver, or use device='cpu'.")


def _import_cupy(device="gpu"):
    try:
        import cupy
    except ImportError as err:  # also covers broken CUDA installs raising ImportError
        raise ImportError(f"device={device!r} needs CuPy, which is not installed. "
                          f"{_GPU_HINT}") from err
    return cupy


def parse_device(device):
    """Split a device string into ``(kind, index)``; raise ValueError if malformed."""
    if device in ("cpu", "auto"):
        return device, None
    if device == "gpu":
        return "gpu", 0
    match = re.fullmatch(r"cuda:([0-9]+)", str(device))  # not \d: no Unicode digits
    if match:
        return "gpu", int(match.group(1))
    raise ValueError(f"Unknown device {device!r}; use 'cpu', 'gpu', 'cuda:N' or 'auto'.")


def gpu_available():
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        cupy = _import_cupy()
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, no device, or a broken install: all mean "no GPU"
        return False


def require_numba_cuda(device="gpu"):
    """Raise ImportError with what to install unless numba-cuda (the kernels' compiler) is there."""
    import importlib.util

    if not cuda_simulated() and importlib.util.find_spec("numba_cuda") is None:
        raise ImportError(f"device={device!r} with solver='hogwild' needs numba-cuda, which is "
                          f"not installed. {_GPU_HINT}")


def cuda_simulated():
    """True when numba's CUDA simulator stands in for a GPU (``NUMBA_ENABLE_CUDASIM=1``)."""
    return bool(numba.config.ENABLE_CUDASIM)


def resolve_device(device):
    """Return ``(xp, device_index)`` for a device string; ``device_index`` is None on the CPU.

    ``"auto"`` picks the GPU when usable and the CPU otherwise; ``"gpu"`` or
    ``"cuda:N"`` without CuPy or a device raise with what to install. Under
    the CUDA simulator a GPU device is ``(numpy, N)``.
    """
    kind, index = parse_device(device)
    if kind == "auto":
        kind, index = ("gpu", 0) if gpu_available() else ("cpu", None)
    if kind == "cpu":
        return np, None
    if cuda_simulated():
        return np, index
    cupy = _import_cupy(device)
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:
        raise RuntimeError(f"device={device!r}: no usable CUDA device ({err}). {_GPU_HINT}") from err
    if n_devices == 0:
        raise RuntimeError(f"device={device!r}: CuPy sees no CUDA device. {_GPU_HINT}")
    if index >= n_devices:
        raise ValueError(f"device={device!r}: only {n_devices} CUDA device(s) are visible.")
    return cupy, index


def device_scope(xp, index, numba_cuda=False):
    """Make CUDA device ``index`` current for CuPy (and numba-cuda's kernels); nothing on numpy."""
    stack = contextlib.ExitStack()
    if xp is not np:
        stack.enter_context(xp.cuda.Device(index))
        if numba_cuda:
            from numba import cuda

            stack.enter_context(cuda.gpus[index])
    return stack


def to_numpy(array):
    """Bring a numpy or CuPy array to host memory as numpy."""
    return array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) else np.asarray(array)
