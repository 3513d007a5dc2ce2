import numpy as np
import pytest
from scipy import stats

from skw2v import UnigramSampler
from skw2v._sampler import alias_table


@pytest.mark.parametrize("power", [0.75, 1.0, 0.0])
def test_draws_follow_unigram_power_distribution(power):
    counts = np.array([1000, 300, 50, 7, 1, 1, 120])
    sampler = UnigramSampler(counts, power=power, sample_size=1, random_state=0)
    draws = sampler.sample((200_000,))
    expected = counts.astype(float) ** power
    expected = expected / expected.sum() * len(draws)
    _, p = stats.chisquare(np.bincount(draws, minlength=len(counts)), expected)
    assert p > 1e-3


def test_alias_table_reconstructs_probabilities():
    rng = np.random.RandomState(0)
    counts = rng.zipf(1.5, 5000)
    prob, alias = alias_table(counts)
    n = len(counts)
    mass = prob.astype(np.float64) / n
    mass += np.bincount(alias, weights=(1 - prob.astype(np.float64)) / n, minlength=n)
    target = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(mass, target, rtol=1e-4, atol=1e-9)


def test_negative_samples_never_equal_their_target():
    sampler = UnigramSampler([100, 1, 1], sample_size=5, random_state=0)
    target = np.array([0, 1, 2, 0] * 100)
    neg = sampler.get_negative_sample(target)
    assert neg.shape == (400, 5)
    assert (neg != target[:, None]).all()


def test_bad_counts_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        UnigramSampler([0, 0])
    with pytest.raises(ValueError, match="2 words"):
        UnigramSampler([5]).get_negative_sample([0])
