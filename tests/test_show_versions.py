"""``skw2v.show_versions()``: the versions and devices it reports are the installed ones.

The machine's real state is what most tests check: the versions from importlib.metadata,
CuPy and the CUDA driver present or not. The device listing, which needs a driver, also runs
against a stand-in for libcuda so that its code runs on machines without a GPU.
"""

import ctypes
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import skw2v
from skw2v import _show_versions
from skw2v._show_versions import _format_versions, _get_versions_info, _query_driver

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = ["numpy", "scipy", "scikit-learn", "numba", "llvmlite", "tqdm", "numba-cuda",
                 "cuda-bindings"]


def metadata_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def cupy_installed():
    try:
        return importlib.util.find_spec("cupy") is not None
    except ValueError:
        return False


def libcuda_loads():
    names = {"win32": ["nvcuda.dll"], "darwin": []}.get(sys.platform,
                                                          ["libcuda.so.1", "libcuda.so"])
    for name in names:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            pass
    return False


@pytest.fixture(scope="module")
def info():
    return _get_versions_info()


def test_is_public():
    assert "show_versions" in skw2v.__all__
    assert skw2v.show_versions is _show_versions.show_versions


def test_versions_are_the_installed_ones(info):
    deps = info["dependencies"]
    assert deps["skw2v"] == skw2v.__version__
    for name in DISTRIBUTIONS:
        assert deps[name] == metadata_version(name), name
    # the required dependencies are installed, so they have versions
    assert all(deps[name] for name in ["numpy", "scipy", "scikit-learn", "numba", "llvmlite",
                                      "tqdm"])


def test_system(info):
    system = info["system"]
    assert system["python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
    assert "\n" not in system["python"]
    assert system["executable"] == sys.executable
    assert system["cpus"] == os.cpu_count()
    assert system["machine"]


def test_cupy(info):
    if not cupy_installed():
        assert info["dependencies"]["cupy"] is None
        assert info["cuda"]["cupy_runtime"] is None and info["cuda"]["cupy_error"] is None
    else:  # a version, and CuPy either works (a runtime version) or says why not
        assert info["dependencies"]["cupy"]
        assert (info["cuda"]["cupy_runtime"] is None) != (info["cuda"]["cupy_error"] is None)


def test_cupy_hidden_is_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    info = _get_versions_info()
    assert info["dependencies"]["cupy"] is None
    assert "cupy: not installed" in _format_versions(info)


def test_a_broken_cupy_is_reported_not_raised(tmp_path, monkeypatch):
    """An installed CuPy whose import fails (a missing CUDA library, say)."""
    (tmp_path / "cupy").mkdir()
    (tmp_path / "cupy" / "__init__.py").write_text(
        "raise ImportError('libcudart.so.12: cannot open shared object file')\n")
    dist_info = tmp_path / "cupy_cuda12x-13.9.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cupy-cuda12x\nVersion: 13.9.0\n")
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    info = _get_versions_info()
    assert info["dependencies"]["cupy"] == "13.9.0 (cupy-cuda12x)"
    assert info["cuda"]["cupy_runtime"] is None
    assert "libcudart.so.12: cannot open shared object file" in info["cuda"]["cupy_error"]
    text = _format_versions(info)
    assert "cupy: 13.9.0 (cupy-cuda12x)" in text
    assert "CuPy: import failed: " in text
    assert "cupy" not in sys.modules


def test_cuda_driver(info):
    cuda = info["cuda"]
    if not libcuda_loads():  # this machine has no driver: said so, nothing raised
        assert cuda["driver"] is None and cuda["nvidia_driver"] is None
        assert cuda["devices"] == [] and cuda["error"] == "no CUDA driver"
    else:
        major, minor = map(int, cuda["driver"].split("."))
        assert major >= 9 and 0 <= minor < 100
        assert [d["index"] for d in cuda["devices"]] == list(range(len(cuda["devices"])))
        assert cuda["devices"] or cuda["error"]


@pytest.mark.gpu
def test_devices_are_cupys():
    pytest.importorskip("cupy")
    from skw2v._device import gpu_available

    if not gpu_available():
        pytest.skip("no CUDA device")
    import cupy

    cuda = _get_versions_info()["cuda"]
    version = cupy.cuda.runtime.driverGetVersion()
    assert cuda["driver"] == f"{version // 1000}.{version % 1000 // 10}"
    assert len(cuda["devices"]) == cupy.cuda.runtime.getDeviceCount()
    for dev in cuda["devices"]:
        props = cupy.cuda.runtime.getDeviceProperties(dev["index"])
        assert dev["name"] == props["name"].decode()
        assert dev["compute_capability"] == (props["major"], props["minor"])
        assert dev["memory"] == props["totalGlobalMem"]
    assert cuda["cupy_runtime"] is not None


def test_printed_output(info, capsys):
    skw2v.show_versions()
    out = capsys.readouterr().out
    assert out == _format_versions(_get_versions_info())
    lines = out.splitlines()
    assert lines[0] == "System:"
    for name in ["skw2v"] + DISTRIBUTIONS:
        version = info["dependencies"][name] or "not installed"
        assert f"{name}: {version}" in [line.strip() for line in lines], name
    assert f"cupy: {info['dependencies']['cupy'] or 'not installed'}" in out
    assert f"executable: {sys.executable}" in out
    assert "CUDA:" in lines
    if info["cuda"]["driver"] is None:
        assert "driver: no CUDA driver" in out
    else:
        assert f"driver: CUDA {info['cuda']['driver']}" in out


@pytest.fixture
def cudasim_env(monkeypatch):
    """Set NUMBA_ENABLE_CUDASIM and have numba's config read it, as a new process would."""
    from numba.core import config

    def set_env(value):
        if value is None:
            monkeypatch.delenv("NUMBA_ENABLE_CUDASIM", raising=False)
        else:
            monkeypatch.setenv("NUMBA_ENABLE_CUDASIM", value)
        with warnings.catch_warnings():  # numba warns about a value that is not an int
            warnings.simplefilter("ignore")
            config.reload_config()

    yield set_env
    monkeypatch.undo()
    config.reload_config()


@pytest.mark.parametrize("value, enabled", [(None, False), ("1", True), ("0", False),
                                            (" 1 ", True), ("", False), ("yes", False)])
def test_simulator(value, enabled, cudasim_env):
    """As numba reads NUMBA_ENABLE_CUDASIM: an int, anything else is off."""
    cudasim_env(value)
    info = _get_versions_info()
    assert info["cuda"]["simulator"] is enabled
    assert info["cuda"]["simulator_env"] == value
    text = _format_versions(info)
    expected = "on" if enabled else "off"
    if value is not None:
        expected += f" (NUMBA_ENABLE_CUDASIM={value!r})"
    assert f"CUDA simulator: {expected}\n" in text


def test_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert "CUDA_VISIBLE_DEVICES: ''" in _format_versions(_get_versions_info())


# ------------------------------------------------ the driver API, through a stand-in
H100 = ("NVIDIA H100 80GB HBM3", 9, 0, 85_045_477_376)
L4 = ("NVIDIA L4", 8, 9, 23_580_639_232)


class FakeDriver:
    """libcuda's functions as _query_driver calls them through ctypes (byref arguments)."""

    def __init__(self, version=12080, init=0, devices=(H100, L4), fail=None):
        self.version, self.init, self.devices, self.fail = version, init, devices, fail

    def cuDriverGetVersion(self, ref):
        ref._obj.value = self.version
        return 0

    def cuInit(self, flags):
        assert flags == 0
        return self.init

    def cuGetErrorName(self, code, ref):
        names = {100: b"CUDA_ERROR_NO_DEVICE", 999: b"CUDA_ERROR_UNKNOWN"}
        if code.value not in names:
            return 1  # CUDA_ERROR_INVALID_VALUE
        ref._obj.value = names[code.value]
        return 0

    def cuDeviceGetCount(self, ref):
        ref._obj.value = len(self.devices)
        return 0

    def cuDeviceGet(self, ref, ordinal):
        ref._obj.value = ordinal
        return 0

    def cuDeviceGetName(self, buffer, length, device):
        buffer.value = self.devices[device.value][0].encode()[: length - 1]
        return 0

    def cuDeviceGetAttribute(self, ref, attribute, device):
        ref._obj.value = self.devices[device.value][{75: 1, 76: 2}[attribute]]
        return 0

    def cuDeviceTotalMem_v2(self, ref, device):
        if self.fail is not None:
            return self.fail
        ref._obj.value = self.devices[device.value][3]
        return 0


def test_query_driver_lists_the_devices():
    driver, devices, error = _query_driver(FakeDriver())
    assert (driver, error) == ("12.8", None)
    assert devices == [
        {"index": 0, "name": H100[0], "compute_capability": (9, 0), "memory": H100[3]},
        {"index": 1, "name": L4[0], "compute_capability": (8, 9), "memory": L4[3]},
    ]


@pytest.mark.parametrize("fake, expected", [
    (FakeDriver(version=13000, init=100), ("13.0", [], "cuInit failed: CUDA_ERROR_NO_DEVICE")),
    (FakeDriver(init=3), ("12.8", [], "cuInit failed: CUDA error 3")),
    (FakeDriver(devices=()), ("12.8", [], None)),
    (FakeDriver(fail=999),
     ("12.8", [], "cuDeviceTotalMem_v2 failed on device 0: CUDA_ERROR_UNKNOWN")),
])
def test_query_driver_errors(fake, expected):
    assert _query_driver(fake) == expected


def test_printed_devices(monkeypatch):
    monkeypatch.setattr(_show_versions, "_libcuda", FakeDriver)
    monkeypatch.setattr(_show_versions, "_nvidia_driver_version", lambda: "570.133.20")
    text = _format_versions(_get_versions_info())
    assert "driver: CUDA 12.8 (NVIDIA driver 570.133.20)\n" in text
    assert "device 0: NVIDIA H100 80GB HBM3, compute capability 9.0, 79.2 GiB\n" in text
    assert "device 1: NVIDIA L4, compute capability 8.9, 22.0 GiB\n" in text


def test_a_driver_without_devices_says_why(monkeypatch):
    monkeypatch.setattr(_show_versions, "_libcuda", lambda: FakeDriver(init=100))
    text = _format_versions(_get_versions_info())
    assert "driver: CUDA 12.8\n" in text
    assert "devices: none (cuInit failed: CUDA_ERROR_NO_DEVICE)\n" in text


def test_a_driver_that_raises_is_reported(monkeypatch):
    class Old(FakeDriver):
        def __getattribute__(self, name):
            if name == "cuDeviceTotalMem_v2":
                raise AttributeError("undefined symbol: cuDeviceTotalMem_v2")
            return super().__getattribute__(name)

    monkeypatch.setattr(_show_versions, "_libcuda", Old)
    cuda = _get_versions_info()["cuda"]
    assert cuda["driver"] is None
    assert cuda["error"] == ("querying the CUDA driver failed: undefined symbol: "
                             "cuDeviceTotalMem_v2")
    assert "driver: querying the CUDA driver failed" in _format_versions(
        _get_versions_info())


# ------------------------------------------------------------------ a real process
@pytest.mark.slow
def test_info_command_imports_nothing_heavy():
    """``skw2v info`` exits 0 and imports numba.cuda not, and CuPy only when installed."""
    code = ("import sys\nfrom skw2v.cli import main\n"
            "before = set(sys.modules)\nstatus = main(['info'])\n"
            "print('heavy:', [m for m in ('numba.cuda', 'cupy') if m in sys.modules and "
            "m not in before])\nsys.exit(status)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"skw2v: {skw2v.__version__}" in proc.stdout
    expected = [] if not cupy_installed() else ["cupy"]  # CuPy is imported only if there
    assert f"heavy: {expected}" in proc.stdout
