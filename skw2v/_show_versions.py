"""``skw2v.show_versions()`` and ``skw2v info``: what a bug report needs to know.

The data is gathered by :func:`_get_versions_info` into a dict and printed separately.
Gathering never raises and imports nothing heavy: package versions come from the installed
distributions' metadata, the CUDA driver and its devices from the driver library itself
(through ctypes), so a machine without a GPU, a driver, CuPy or numba-cuda gets an answer
too. CuPy is imported (inside a try) only when it is installed, to report whether it works.
"""

import ctypes
import importlib.metadata
import importlib.util
import os
import platform
import sys

from ._version import __version__

__all__ = ["show_versions"]

# distribution names, in the order they are printed; "cupy" is looked up separately
_DEPENDENCIES = ("numpy", "scipy", "scikit-learn", "numba", "llvmlite", "tqdm", "cupy",
                 "numba-cuda", "cuda-bindings")
# CuPy's wheels are named after the CUDA they are built for; tried before a full scan
_CUPY_DISTRIBUTIONS = ("cupy-cuda12x", "cupy-cuda13x", "cupy-cuda11x", "cupy")

# CUdevice_attribute values of cuda.h
_CC_MAJOR, _CC_MINOR = 75, 76


# ------------------------------------------------------------------------ gathering
def _distribution_version(name):
    try:
        return importlib.metadata.version(name)
    except Exception:  # PackageNotFoundError, or broken metadata
        return None


def _module_installed(name):
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:  # sys.modules[name] is None, a broken parent package, ...
        return False


def _cupy_version():
    """``"13.6.0 (cupy-cuda12x)"``, or None when CuPy is not installed."""
    if not _module_installed("cupy"):
        return None
    for name in _CUPY_DISTRIBUTIONS:
        version = _distribution_version(name)
        if version is not None:
            return f"{version} ({name})"
    try:  # a ROCm build, say: scan every installed distribution (slower)
        names = importlib.metadata.packages_distributions().get("cupy", [])
    except Exception:
        names = []
    for name in names:
        version = _distribution_version(name)
        if version is not None:
            return f"{version} ({name})"
    return "unknown version"


def _get_sys_info():
    return {
        "python": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
    }


def _get_deps_info():
    deps = {"skw2v": __version__}
    for name in _DEPENDENCIES:
        deps[name] = _cupy_version() if name == "cupy" else _distribution_version(name)
    return deps


def _simulator_info():
    """``(on, NUMBA_ENABLE_CUDASIM)``: whether numba's CUDA simulator is on, as numba's config
    says (what skw2v goes by), and the environment variable (None when unset)."""
    raw = os.environ.get("NUMBA_ENABLE_CUDASIM")
    try:
        from numba.core import config  # numba is imported with skw2v anyway

        return bool(config.ENABLE_CUDASIM), raw
    except Exception:  # a broken numba: read the variable as numba would
        try:
            return raw is not None and int(raw) != 0, raw
        except ValueError:  # numba warns and treats it as 0
            return False, raw


def _load_library(names):
    for name in names:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _libcuda():
    if sys.platform == "win32":
        return _load_library(["nvcuda.dll"])
    if sys.platform == "darwin":
        return None
    return _load_library(["libcuda.so.1", "libcuda.so"])


def _cuda_error(lib, code):
    """The name of a CUresult, e.g. ``CUDA_ERROR_NO_DEVICE``."""
    name = ctypes.c_char_p()
    try:
        if lib.cuGetErrorName(ctypes.c_int(code), ctypes.byref(name)) == 0 and name.value:
            return name.value.decode("ascii", "replace")
    except Exception:
        pass
    return f"CUDA error {code}"


def _query_driver(lib):
    """``(driver_version, devices, error)`` from the CUDA driver API of ``lib`` (libcuda).

    ``driver_version`` is ``"12.4"`` (the newest CUDA the driver supports), ``devices`` a list
    of dicts, ``error`` None or why the devices could not be listed.
    """
    version = ctypes.c_int()
    code = lib.cuDriverGetVersion(ctypes.byref(version))
    if code != 0:
        return None, [], f"cuDriverGetVersion failed: {_cuda_error(lib, code)}"
    driver = f"{version.value // 1000}.{version.value % 1000 // 10}"
    code = lib.cuInit(0)
    if code != 0:
        return driver, [], f"cuInit failed: {_cuda_error(lib, code)}"
    count = ctypes.c_int()
    code = lib.cuDeviceGetCount(ctypes.byref(count))
    if code != 0:
        return driver, [], f"cuDeviceGetCount failed: {_cuda_error(lib, code)}"
    devices = []
    for index in range(count.value):
        device, name = ctypes.c_int(), ctypes.create_string_buffer(256)
        major, minor, memory = ctypes.c_int(), ctypes.c_int(), ctypes.c_size_t()
        calls = [
            ("cuDeviceGet", lambda: lib.cuDeviceGet(ctypes.byref(device), index)),
            ("cuDeviceGetName", lambda: lib.cuDeviceGetName(name, len(name), device)),
            ("cuDeviceGetAttribute", lambda: lib.cuDeviceGetAttribute(
                ctypes.byref(major), _CC_MAJOR, device)),
            ("cuDeviceGetAttribute", lambda: lib.cuDeviceGetAttribute(
                ctypes.byref(minor), _CC_MINOR, device)),
            ("cuDeviceTotalMem_v2", lambda: lib.cuDeviceTotalMem_v2(
                ctypes.byref(memory), device)),
        ]
        for what, call in calls:
            code = call()
            if code != 0:
                return driver, devices, (f"{what} failed on device {index}: "
                                         f"{_cuda_error(lib, code)}")
        devices.append({"index": index, "name": name.value.decode("utf-8", "replace"),
                        "compute_capability": (major.value, minor.value),
                        "memory": memory.value})
    return driver, devices, None


def _nvidia_driver_version():
    """The NVIDIA driver's own version (``"550.54.15"``, as nvidia-smi shows it), or None."""
    names = (["nvml.dll"] if sys.platform == "win32"
             else ["libnvidia-ml.so.1", "libnvidia-ml.so"])
    lib = None if sys.platform == "darwin" else _load_library(names)
    if lib is None:
        return None
    try:
        if lib.nvmlInit_v2() != 0:
            return None
        try:
            buffer = ctypes.create_string_buffer(96)
            if lib.nvmlSystemGetDriverVersion(buffer, ctypes.c_uint(len(buffer))) != 0:
                return None
            return buffer.value.decode("ascii", "replace") or None
        finally:
            lib.nvmlShutdown()
    except Exception:
        return None


def _cupy_runtime():
    """``(cuda_runtime_version, error)`` of an importable CuPy, or ``(None, why_not)``."""
    try:
        from ._device import _import_cupy

        cupy = _import_cupy()
    except Exception as exc:  # ImportError, or a broken install raising something else
        cause = exc.__cause__ or exc  # _import_cupy's message is the install hint
        return None, f"import failed: {' '.join(str(cause).split()) or type(cause).__name__}"
    try:
        version = cupy.cuda.runtime.runtimeGetVersion()
    except Exception as exc:
        return None, f"runtimeGetVersion failed: {' '.join(str(exc).split())}"
    return f"{version // 1000}.{version % 1000 // 10}", None


def _get_cuda_info(cupy_installed):
    simulator, simulator_env = _simulator_info()
    info = {"driver": None, "nvidia_driver": None, "devices": [], "error": None,
            "cupy_runtime": None, "cupy_error": None,
            "visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "simulator": simulator, "simulator_env": simulator_env}
    lib = _libcuda()
    if lib is None:
        info["error"] = "no CUDA driver"
    else:
        try:
            info["driver"], info["devices"], info["error"] = _query_driver(lib)
        except Exception as exc:  # a missing symbol (very old driver), ...
            info["error"] = f"querying the CUDA driver failed: {exc}"
        info["nvidia_driver"] = _nvidia_driver_version()
    if cupy_installed:
        info["cupy_runtime"], info["cupy_error"] = _cupy_runtime()
    return info


def _get_versions_info():
    """Everything :func:`show_versions` prints, as a dict; never raises.

    Keys: ``"system"`` (python, executable, machine, cpus), ``"dependencies"``
    (distribution name to version, None when not installed; ``"cupy"`` names its wheel) and
    ``"cuda"`` (``driver``: the CUDA version the driver supports or None, ``nvidia_driver``,
    ``devices``: dicts with ``index``, ``name``, ``compute_capability``, ``memory`` in bytes,
    ``error``: why there are no devices, ``cupy_runtime`` / ``cupy_error``,
    ``visible_devices``: CUDA_VISIBLE_DEVICES, ``simulator`` / ``simulator_env``:
    NUMBA_ENABLE_CUDASIM).
    """
    deps = _get_deps_info()
    return {"system": _get_sys_info(), "dependencies": deps,
            "cuda": _get_cuda_info(cupy_installed=deps["cupy"] is not None)}


# ------------------------------------------------------------------------- printing
def _format_cuda(cuda):
    rows = []
    if cuda["driver"] is None:
        rows.append(("driver", cuda["error"] or "no CUDA driver"))
    else:
        nvidia = f" (NVIDIA driver {cuda['nvidia_driver']})" if cuda["nvidia_driver"] else ""
        rows.append(("driver", f"CUDA {cuda['driver']}{nvidia}"))
        if not cuda["devices"]:
            rows.append(("devices", f"none ({cuda['error']})" if cuda["error"] else "none"))
        for dev in cuda["devices"]:
            major, minor = dev["compute_capability"]
            rows.append((f"device {dev['index']}",
                         f"{dev['name']}, compute capability {major}.{minor}, "
                         f"{dev['memory'] / 2**30:.1f} GiB"))
        if cuda["devices"] and cuda["error"]:
            rows.append(("devices", cuda["error"]))
    if cuda["visible_devices"] is not None:
        rows.append(("CUDA_VISIBLE_DEVICES", repr(cuda["visible_devices"])))
    if cuda["cupy_runtime"] is not None:
        rows.append(("CuPy runtime", f"CUDA {cuda['cupy_runtime']}"))
    elif cuda["cupy_error"] is not None:
        rows.append(("CuPy", cuda["cupy_error"]))
    state = "on" if cuda["simulator"] else "off"
    if cuda["simulator_env"] is not None:
        state += f" (NUMBA_ENABLE_CUDASIM={cuda['simulator_env']!r})"
    rows.append(("CUDA simulator", state))
    return rows


def _format_versions(info):
    """The text that :func:`show_versions` prints."""
    deps = {name: "not installed" if version is None else version
            for name, version in info["dependencies"].items()}
    sections = [("System", list(info["system"].items())),
                ("Python dependencies", list(deps.items())),
                ("CUDA", _format_cuda(info["cuda"]))]
    lines = []
    for title, rows in sections:
        width = max(len(key) for key, _ in rows)
        lines += ["", f"{title}:"] + [f"{key:>{width + 4}}: {value}" for key, value in rows]
    return "\n".join(lines[1:]) + "\n"


def show_versions():
    """Print the versions of skw2v, its dependencies, the CUDA driver and the GPUs.

    Paste its output into bug reports. It shows Python and the platform; the versions of
    skw2v, numpy, scipy, scikit-learn, numba, llvmlite, tqdm and of the optional GPU
    packages (CuPy, numba-cuda, cuda-bindings), or "not installed"; the CUDA version the
    driver supports and each CUDA device (name, compute capability, memory), or "no CUDA
    driver"; whether CuPy imports; and whether numba's CUDA simulator is on
    (``NUMBA_ENABLE_CUDASIM``). It works, and does not raise, on a machine without a GPU.
    The command ``skw2v info`` prints the same.

    Returns
    -------
    None
        The report is printed on standard output.

    See Also
    --------
    sklearn.show_versions : The same for scikit-learn.

    Examples
    --------
    >>> import skw2v
    >>> skw2v.show_versions()  # doctest: +SKIP
    System:
            python: 3.12.3 (main, ...) [GCC 13.2.0]
        executable: /usr/bin/python3
           machine: Linux-6.8.0-x86_64-with-glibc2.39
              cpus: 16
    <BLANKLINE>
    Python dependencies:
                skw2v: 0.1.0
                numpy: 2.2.6
    ...
    CUDA:
                driver: CUDA 12.8 (NVIDIA driver 570.133.20)
              device 0: NVIDIA H100 80GB HBM3, compute capability 9.0, 79.2 GiB
          CuPy runtime: CUDA 12.8
        CUDA simulator: off
    """
    print(_format_versions(_get_versions_info()), end="")
