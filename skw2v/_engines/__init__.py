"""Training engines: one interface (:mod:`.base`), one module per engine.

======================= ============================================ =====================
solver                  engine                                        module
======================= ============================================ =====================
``"hogwild"``           word2vec's lock-free SGD, numba, CPU threads  :mod:`.hogwild`,
                                                                      :mod:`.hogwild_kernel`
``"minibatch"``         the textbook's layers, numpy or CuPy          :mod:`.minibatch`
======================= ============================================ =====================

:func:`skw2v._training.run_epochs` drives any of them.
"""

from .base import ChunkTally, Engine, TrainingTables


def engine_class(solver):
    """The engine class of a resolved solver name (``"hogwild"`` or ``"minibatch"``)."""
    if solver == "hogwild":
        from .hogwild import HogwildEngine

        return HogwildEngine
    from .minibatch import MinibatchEngine  # imported only when used: keeps scipy.sparse lazy

    return MinibatchEngine


__all__ = ["ChunkTally", "Engine", "TrainingTables", "engine_class"]
