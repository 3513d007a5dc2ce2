"""Which strategy a cluster fit takes: the cost model's rule (docs: "Training on a cluster").

"parallel": every worker trains its share on its replica, and the replicas
sync tiers of frequent rows between rounds (:class:`~._engine.DaskReplicaEngine`).
"single": one worker trains the whole corpus with every thread of its machine,
fed encoded text by the others (:class:`~._engine.DaskSingleEngine`).

Parallel training runs on every worker's threads but gives up a share of
its time to syncs; one trainer loses nothing to syncs but has only its own
machine's threads (all of them: the workers beside it are idle while it
trains). ``benchmarks/cost_model.py`` measures the inputs and predicts
words/s for either on K machines; the rule here is its comparison at the
sync share the "auto" rounds keep to (:data:`SYNC_SHARE`).
"""

STRATEGIES = ("auto", "parallel", "single")
SYNC_SHARE = 0.2   # share of a parallel fit's time given to syncs in the rule: the cost model
                   # predicts 16-28 % for 16 machines of 16 cores at 10 GbE, V = 1M, d = 300,
                   # with 0.3-0.5 s rounds (far more on one machine's loopback, where
                   # replicas fit at 0.65-0.81x the local estimator)


def choose_strategy(threads, alone=None):
    """"parallel" when every worker's threads, less the syncs' share, outrun the largest
    lone trainer's; else "single" (one machine holds most of the cores). ``threads``: the
    training threads of each worker as a replica; ``alone``: as the lone trainer, which
    takes every thread of its machine (default: ``threads``, one worker a machine). On one
    machine the workers share its cores, so a lone trainer always wins there."""
    alone = threads if alone is None else alone
    if len(threads) < 2:
        return "parallel"
    return "parallel" if sum(threads) * (1 - SYNC_SHARE) > max(alone) else "single"
