"""Training engines: one interface (:mod:`.base`), one module per engine.

======================= ============================================ =====================
solver                  engine                                        module
======================= ============================================ =====================
``"hogwild"``, CPU      word2vec's lock-free SGD, numba, CPU threads  :mod:`.hogwild`,
                                                                      :mod:`.hogwild_kernel`
``"hogwild"``, GPU      the same update, a numba-cuda kernel, one     :mod:`.cuda`,
                        warp per segment, on CuPy arrays              :mod:`.cuda_kernel`,
                                                                      :mod:`.segments`
                                                                      (CPU reference:
                                                                      :mod:`.segment_reference`)
``"minibatch"``         the textbook's layers, numpy or CuPy          :mod:`.minibatch`
``"hogwild"``, cluster  rounds of per-worker hogwild shares, merged   :mod:`.rounds`
                        (``skw2v.dask``)                              (the engine:
                                                                      ``skw2v.dask._engine``)
======================= ============================================ =====================

:func:`skw2v._training.run_epochs` drives any of them.
"""

from .base import ChunkTally, Engine, TrainingTables, locked_rows


def engine_class(solver, gpu=False):
    """The engine class of a resolved solver name (``"hogwild"`` or ``"minibatch"``)."""
    if solver == "hogwild" and gpu:
        from .cuda import CudaHogwildEngine

        return CudaHogwildEngine
    if solver == "hogwild":
        from .hogwild import HogwildEngine

        return HogwildEngine
    from .minibatch import MinibatchEngine  # imported only when used: keeps scipy.sparse lazy

    return MinibatchEngine


__all__ = ["ChunkTally", "Engine", "TrainingTables", "engine_class", "locked_rows"]
