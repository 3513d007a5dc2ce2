"""Type predicates shared by the checks of fitted states and model files.

A bool is an int to Python but never a count, a position or a loss here.
"""

from numbers import Integral, Real


def is_int(x):
    return isinstance(x, Integral) and not isinstance(x, bool)


def is_number(x):
    return isinstance(x, Real) and not isinstance(x, bool)
