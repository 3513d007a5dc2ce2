"""Type predicates shared by the checks of fitted states and model files.

A bool is an int to Python but never a count, a position or a loss here.
"""

from numbers import Integral, Real

import numpy as np


def is_int(x):
    return isinstance(x, Integral) and not isinstance(x, bool)


def is_number(x):
    return isinstance(x, Real) and not isinstance(x, bool)


def all_finite(array):
    """Whether every element of a float32 (numpy or CuPy) array is finite.

    Its float64 sum cannot overflow (2**64 float32 maxima sum to ~6e57) and is
    non-finite as soon as one element is, so no array-sized temporary is
    needed: ``np.isfinite(a).all()`` allocates a bool per element (21 MiB for
    219k words x 100), memory the allocator may keep resident afterwards.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.isfinite(float(array.sum(dtype=np.float64))))
