"""Tests of skw2v._device: device strings, CuPy detection, host copies.

CuPy is replaced by ``None`` in ``sys.modules`` (an import that fails as when it
is not installed) or by a stand-in exposing ``cuda.runtime.getDeviceCount``, so
every branch runs on a machine without a GPU.
"""

import sys
from types import SimpleNamespace

import numpy as np
import pytest

from skw2v._device import gpu_available, parse_device, resolve_device, to_numpy

INSTALL_HINT = (r"Install the GPU extra \(pip install 'skw2v\[gpu\]', which brings CuPy and "
                r"numba-cuda\) on a machine with an NVIDIA GPU and CUDA driver, or use device='cpu'\.$")


def fake_cupy(count):
    """A module object standing in for CuPy; ``count`` is a device count or an exception."""

    def get_device_count():
        if isinstance(count, Exception):
            raise count
        return count

    return SimpleNamespace(cuda=SimpleNamespace(runtime=SimpleNamespace(
        getDeviceCount=get_device_count)))


@pytest.fixture(autouse=True)
def no_simulator(monkeypatch):
    """The suite runs with numba's CUDA simulator on; these tests are about real devices."""
    monkeypatch.setattr("skw2v._device.cuda_simulated", lambda: False)


@pytest.fixture
def no_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)


@pytest.fixture
def with_cupy(monkeypatch):
    def install(count):
        module = fake_cupy(count)
        monkeypatch.setitem(sys.modules, "cupy", module)
        return module

    return install


@pytest.mark.parametrize("device, expected", [
    ("cpu", ("cpu", None)),
    ("auto", ("auto", None)),
    ("gpu", ("gpu", 0)),
    ("cuda:0", ("gpu", 0)),
    ("cuda:1", ("gpu", 1)),
    ("cuda:15", ("gpu", 15)),
])
def test_parse_device_accepted_spellings(device, expected):
    assert parse_device(device) == expected


@pytest.mark.parametrize("device", [
    "CPU", "GPU", "Auto", "cuda", "cuda:", "cuda:-1", "cuda:x", "cuda:1.0", "cuda: 1",
    "cuda:1 ", "cuda:1\n", " gpu", "gpu:0", "cuda:0:1", "CUDA:0", "tpu", "", None, 0, 1.5,
    "cuda:\u0661", "cuda:\uff11",  # Arabic-Indic and full-width digits are not indices
])
def test_parse_device_rejects_malformed(device):
    with pytest.raises(ValueError) as info:
        parse_device(device)
    assert str(info.value) == (
        f"Unknown device {device!r}; use 'cpu', 'gpu', 'cuda:N' or 'auto'."
    )


def test_gpu_available_is_false_without_cupy(no_cupy):
    assert gpu_available() is False


@pytest.mark.parametrize("count, expected", [(0, False), (1, True), (4, True),
                                             (RuntimeError("cudaErrorNoDevice"), False)])
def test_gpu_available_counts_devices(with_cupy, count, expected):
    with_cupy(count)
    assert gpu_available() is expected


def test_cpu_is_numpy_even_with_a_gpu(with_cupy):
    with_cupy(2)
    assert resolve_device("cpu") == (np, None)


def test_auto_without_gpu_resolves_to_numpy(no_cupy, with_cupy):
    assert resolve_device("auto") == (np, None)
    with_cupy(0)
    assert resolve_device("auto") == (np, None)
    with_cupy(RuntimeError("CUDA driver version is insufficient"))
    assert resolve_device("auto") == (np, None)


def test_auto_with_gpu_takes_device_0(with_cupy):
    cupy = with_cupy(2)
    xp, index = resolve_device("auto")
    assert xp is cupy and index == 0


@pytest.mark.parametrize("device", ["gpu", "cuda:1"])
def test_gpu_without_cupy_says_what_to_install(no_cupy, device):
    with pytest.raises(ImportError, match=rf"^device='{device}' needs CuPy, which is not "
                                          r"installed\. " + INSTALL_HINT) as info:
        resolve_device(device)
    assert isinstance(info.value.__cause__, ImportError)  # the original failure is kept


@pytest.mark.parametrize("device", ["gpu", "cuda:1"])
def test_gpu_with_cupy_but_no_device(with_cupy, device):
    with_cupy(0)
    with pytest.raises(RuntimeError, match=rf"^device='{device}': CuPy sees no CUDA device\. "
                                           + INSTALL_HINT):
        resolve_device(device)


def test_gpu_with_a_broken_cuda_runtime(with_cupy):
    err = RuntimeError("cudaErrorInsufficientDriver")
    with_cupy(err)
    with pytest.raises(RuntimeError, match=r"^device='gpu': no usable CUDA device "
                                           r"\(cudaErrorInsufficientDriver\)\. " + INSTALL_HINT
                       ) as info:
        resolve_device("gpu")
    assert info.value.__cause__ is err


@pytest.mark.parametrize("device, count", [("cuda:1", 1), ("cuda:2", 2), ("cuda:9", 3)])
def test_device_index_out_of_range(with_cupy, device, count):
    with_cupy(count)
    with pytest.raises(ValueError) as info:
        resolve_device(device)
    assert str(info.value) == f"device={device!r}: only {count} CUDA device(s) are visible."


@pytest.mark.parametrize("device, count, index", [("gpu", 1, 0), ("cuda:0", 1, 0),
                                                  ("cuda:1", 2, 1), ("cuda:3", 4, 3)])
def test_device_index_in_range(with_cupy, device, count, index):
    cupy = with_cupy(count)
    xp, got = resolve_device(device)
    assert xp is cupy and got == index


def test_malformed_device_fails_before_cupy_is_imported(no_cupy):
    # A typo must be reported as a typo, not as a missing CuPy.
    with pytest.raises(ValueError, match="Unknown device 'cuda:one'"):
        resolve_device("cuda:one")


def test_to_numpy_on_numpy_is_a_no_op():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert to_numpy(a) is a
    np.testing.assert_array_equal(to_numpy([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]]))


def test_to_numpy_copies_device_arrays_with_get():
    class DeviceArray:  # what CuPy's ndarray offers: .get() returns a host numpy copy
        def __init__(self, host):
            self.host = host

        def get(self):
            return self.host.copy()

    host = np.linspace(0, 1, 5)
    out = to_numpy(DeviceArray(host))
    assert type(out) is np.ndarray and out is not host
    np.testing.assert_array_equal(out, host)


def test_to_numpy_does_not_call_get_on_numpy_subclasses():
    class WithGet(np.ndarray):
        def get(self):
            raise AssertionError("numpy arrays are already on the host")

    a = np.arange(3).view(WithGet)
    out = to_numpy(a)
    assert type(out) is np.ndarray and np.shares_memory(out, a)  # a view, not a copy


@pytest.mark.parametrize("device, index", [("gpu", 0), ("cuda:2", 2)])
def test_the_cuda_simulator_stands_in_for_a_gpu_on_numpy(monkeypatch, no_cupy, device, index):
    monkeypatch.setattr("skw2v._device.cuda_simulated", lambda: True)
    assert resolve_device(device) == (np, index)
    assert resolve_device("cpu") == (np, None)
    assert resolve_device("auto") == (np, None)  # "auto" takes real GPUs only
