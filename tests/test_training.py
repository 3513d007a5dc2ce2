"""The shared schedule: learning-rate decay, chunk plan, progress, logging, callbacks."""

import logging

import numpy as np
import pytest

from skw2v import CBOWVectorizer
from skw2v._engines.base import plan_chunks
from skw2v._schedule import Schedule


def test_schedule_decays_linearly_to_min_alpha():
    s = Schedule(alpha=0.025, min_alpha=1e-4, words_per_epoch=1000, epochs=5)
    assert s.alpha_at(0) == 0.025
    assert s.alpha_at(2500) == pytest.approx((0.025 + 1e-4) / 2)
    assert s.alpha_at(5000) == pytest.approx(1e-4)
    assert s.alpha_at(10**9) == 1e-4


def test_plan_chunks_cover_all_documents():
    offsets = np.cumsum([0] + [7, 1, 30, 2, 2, 50, 1])
    bounds, words = plan_chunks(offsets, 10)
    assert bounds[0] == 0 and bounds[-1] == len(offsets) - 1
    assert (np.diff(bounds) > 0).all()
    assert words.tolist() == offsets[bounds].tolist()


def test_verbose_shows_progress_bar_and_epoch_log(lee_docs, capsys, caplog):
    vec = CBOWVectorizer(vector_size=10, epochs=2, n_jobs=1, random_state=0, verbose=2)
    with caplog.at_level(logging.INFO, logger="skw2v"):
        vec.fit(lee_docs)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "word/s" in err and "loss=" in err   # the tqdm bar
    lines = [r.getMessage() for r in caplog.records if r.name == "skw2v"]
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2: loss")


def test_verbose_zero_is_silent(lee_docs, capsys):
    CBOWVectorizer(vector_size=10, epochs=1, n_jobs=1, random_state=0).fit(lee_docs)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_callbacks_see_each_epoch(lee_docs):
    seen = []
    vec = CBOWVectorizer(vector_size=10, epochs=3, n_jobs=2, random_state=0,
                         callbacks=[lambda est, stats: seen.append((est, stats))])
    vec.fit(lee_docs)
    assert [s.epoch for _, s in seen] == [0, 1, 2]
    assert all(est is vec for est, _ in seen)
    assert [s.mean_loss for _, s in seen] == vec.loss_curve_
    assert all(s.words == seen[0][1].words > 0 and s.seconds > 0 for _, s in seen)


def test_the_finiteness_check_of_the_weights_is_exact_without_a_temporary():
    import tracemalloc
    import warnings

    from skw2v._checks import all_finite

    w = np.full((4000, 100), np.finfo(np.float32).max, np.float32)  # finite: no overflow
    assert all_finite(w) and all_finite(-w)
    tracemalloc.start()
    all_finite(w)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < w.size / 4  # np.isfinite(w).all() would hold w.size bools
    for bad in ([np.inf], [-np.inf], [np.nan], [np.inf, -np.inf]):
        v = w.copy()
        v[3, 7:7 + len(bad)] = bad
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # inf - inf: no RuntimeWarning reaches the user
            assert not all_finite(v)
