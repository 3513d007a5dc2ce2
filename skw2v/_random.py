"""Random numbers: per-thread generators inside numba kernels, RandomState as plain data.

A kernel owns one 64-bit state (xorshift64*), passed in and returned, so
threads never share generator state and a seed fixes a chunk's draws.
"""

import numba
import numpy as np

from ._checks import is_int, is_number

_MULT = np.uint64(0x2545F4914F6CDD1D)
_S12 = np.uint64(12)
_S25 = np.uint64(25)
_S27 = np.uint64(27)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV_2_32 = 1.0 / 4294967296.0
MT_KEY_LEN = 624  # uint32 words in numpy's MT19937 key


@numba.njit(inline="always", cache=True)
def next_u64(state):
    """Advance ``state``; return ``(new_state, random uint64)``."""
    state ^= state >> _S12
    state ^= state << _S25
    state ^= state >> _S27
    return state, state * _MULT


@numba.njit(inline="always", cache=True)
def split_u64(r, n):
    """Split one draw into an int in [0, n) (high bits) and a float in [0, 1) (low bits)."""
    i = np.int64(((r >> _S32) * np.uint64(n)) >> _S32)
    u = np.float32(np.float64(r & _LOW32) * _INV_2_32)
    return i, u


def seed_states(random_state, n):
    """``n`` independent non-zero uint64 seeds from a numpy RandomState."""
    seeds = random_state.randint(1, 2**63 - 1, size=n, dtype=np.int64).astype(np.uint64)
    return seeds


def rng_to_state(rng):
    """A numpy RandomState as plain data: ``(key, [pos, has_gauss, cached_gaussian])``.

    ``key`` is the uint32 MT19937 key (624 values); the list is JSON-able.
    """
    kind, key, pos, has_gauss, cached = rng.get_state(legacy=True)
    if kind != "MT19937":
        raise ValueError(f"unsupported random state {kind!r}")
    return np.asarray(key, dtype=np.uint32), [int(pos), int(has_gauss), float(cached)]


def rng_from_state(key, tail, what="random_state"):
    """The RandomState :func:`rng_to_state` described; ValueError naming ``what`` if invalid."""
    ok = (isinstance(tail, (list, tuple)) and len(tail) == 3 and is_int(tail[0])
          and 0 <= tail[0] <= MT_KEY_LEN and is_int(tail[1]) and is_number(tail[2]))
    if not ok:
        raise ValueError(f"{what} must be [pos, has_gauss, cached_gaussian]")
    key = np.asarray(key) if key is not None else None
    if key is None or key.dtype != np.uint32 or key.shape != (MT_KEY_LEN,):
        raise ValueError(f"{what} key must be a uint32 array of shape ({MT_KEY_LEN},)")
    rng = np.random.RandomState()
    try:
        rng.set_state(("MT19937", key, tail[0], tail[1], float(tail[2])))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what} is invalid ({exc})") from None
    return rng
