"""The shared tests of difference in ``cxlib._stats`` against hand computations, published
results and brute force.

Published references: Newcombe (1998), *Statistics in Medicine* 17:873–890, Table II,
examples (a) 56/70 − 48/80 and (b) 9/10 − 3/10 with method 10 ("hybrid score") intervals
0.0524 to 0.3339 and 0.1705 to 0.8090; the Freireich et al. (1963) leukaemia remission data,
log-rank chi-square 16.79 on 1 df with observed 9 / expected 19.25 in the 6-MP group
(Kleinbaum & Klein, *Survival Analysis*, ch. 2; R ``survdiff`` on MASS ``gehan``). Hand
computations use plain Python (no scipy), with closed-form chi-square tails: df = 1,
``erfc(sqrt(x / 2))``; df = 2, ``exp(−x / 2)``.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlib._stats import (
    benjamini_hochberg,
    chi_square,
    logrank,
    nps_difference,
    risk_sets,
    two_proportions,
    versus_rest,
    with_q_values,
)


def _pearson(table: list[list[int]]) -> float:
    """Pearson's statistic by the textbook formula: sum of (O − E)² / E, E = row × col / N."""
    rows = [sum(r) for r in table]
    cols = [sum(c) for c in zip(*table, strict=True)]
    total = sum(rows)
    return sum(
        (table[i][j] - rows[i] * cols[j] / total) ** 2 / (rows[i] * cols[j] / total)
        for i in range(len(rows))
        for j in range(len(cols))
    )


def _bh(p: list[float]) -> list[float]:
    """Benjamini–Hochberg by its definition: q_(i) = min over j >= i of p_(j) m / j."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        q[i] = running
    return q


# ------------------------------------------------------------------ chi-square


def test_chi_square_of_a_three_by_two_table_matches_the_hand_computation():
    table = [[30, 10], [20, 20], [10, 30]]
    statistic, df, p, smallest = chi_square(table)
    assert statistic == pytest.approx(_pearson(table)) and df == 2
    assert p == pytest.approx(math.exp(-statistic / 2))  # df = 2: the tail is exp(−x/2)
    assert smallest == pytest.approx(20.0)


def test_chi_square_of_a_two_by_two_table_is_the_square_of_the_proportions_z():
    statistic, df, p, _ = chi_square([[10, 20], [20, 10]])
    assert statistic == pytest.approx(20 / 3) and df == 1
    assert p == pytest.approx(math.erfc(math.sqrt(statistic / 2)))
    test = two_proportions(10, 30, 20, 30)
    assert test["z"][0] ** 2 == pytest.approx(statistic)
    assert test["p_value"][0] == pytest.approx(p)


def test_chi_square_with_one_outcome_or_one_group_says_there_is_nothing_to_test():
    assert chi_square([[5, 0], [7, 0]])[:3] == (0.0, 0, 1.0)  # every group the same outcome
    statistic, df, p, _ = chi_square([[5, 3], [0, 0]])  # one group with data
    assert math.isnan(statistic) and math.isnan(p) and df == 0


# ------------------------------------------------------------------ two proportions


@pytest.mark.parametrize(
    ("counts", "published"),
    [((56, 70, 48, 80), (0.0524, 0.3339)), ((9, 10, 3, 10), (0.1705, 0.8090))],
)
def test_two_proportions_interval_matches_newcombes_published_examples(counts, published):
    test = two_proportions(*counts)
    assert (test["ci_low"][0], test["ci_high"][0]) == pytest.approx(published, abs=5e-5)


def test_two_proportions_z_matches_the_pooled_hand_formula():
    k1, n1, k2, n2 = 45, 120, 30, 130
    pooled = (k1 + k2) / (n1 + n2)
    z = (k1 / n1 - k2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    test = two_proportions(k1, n1, k2, n2)
    assert test["z"][0] == pytest.approx(z)
    assert test["p_value"][0] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))


def test_two_proportions_without_variation_or_without_trials():
    same = two_proportions([0, 10], [10, 10], [0, 20], [20, 20])
    assert same["p_value"].tolist() == [1.0, 1.0] and same["difference"].tolist() == [0, 0]
    empty = two_proportions(3, 10, 0, 0)
    assert np.isnan(empty["p_value"][0]) and np.isnan(empty["difference"][0])


# ------------------------------------------------------------------ NPS difference


def test_nps_difference_variance_is_the_variance_of_the_answers():
    """The z of the NPS difference uses, for each group, the variance of the mean of
    per-answer scores +1 / 0 / −1: checked against numpy on the answers themselves."""
    a = np.array([1] * 50 + [0] * 30 + [-1] * 20)
    b = np.array([1] * 35 + [0] * 40 + [-1] * 45)
    se = math.sqrt(a.var() / a.size + b.var() / b.size)
    test = nps_difference(50, 20, 100, 35, 45, 120)
    assert test["difference"][0] == pytest.approx(100 * (a.mean() - b.mean()))
    assert test["z"][0] == pytest.approx((a.mean() - b.mean()) / se)
    assert test["ci_low"][0] == pytest.approx(100 * (a.mean() - b.mean() - 1.959964 * se))


def test_adjusted_nps_difference_adds_three_quarters_of_a_promoter_and_a_detractor():
    plain = nps_difference(50.75, 20.75, 103, 35.75, 45.75, 123)
    adjusted = nps_difference(50, 20, 100, 35, 45, 120, adjusted=True)
    assert adjusted["z"][0] == pytest.approx(plain["z"][0])
    assert adjusted["difference"][0] == pytest.approx(100 * (0.3 - (35 - 45) / 120))


def test_nps_difference_of_a_group_without_answers_is_not_tested():
    test = nps_difference(5, 1, 10, 0, 0, 0, adjusted=True)
    assert all(np.isnan(values[0]) for values in test.values())


# ------------------------------------------------------------------ false discovery rate


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30))
def test_benjamini_hochberg_matches_the_definition_and_never_lowers_a_p_value(p):
    q = benjamini_hochberg(p)
    assert q == pytest.approx(_bh(p))
    assert all(qi >= pi - 1e-12 for qi, pi in zip(q, p, strict=True))
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(q[order]) >= -1e-12)  # monotone: a smaller p never gets a larger q


def test_benjamini_hochberg_leaves_untested_values_out_of_the_family():
    q = benjamini_hochberg([0.01, float("nan"), 0.04])
    assert q[0] == pytest.approx(0.02) and math.isnan(q[1]) and q[2] == pytest.approx(0.04)


def test_q_values_adjust_pairwise_and_omnibus_tests_as_one_family():
    frame = pl.DataFrame(
        {
            "step": [2, 2, 3, 3],
            "p_value": [0.01, 0.2, 0.03, 0.5],
            "omnibus_p_value": [0.02, 0.02, 0.04, 0.04],
        }
    )
    out = with_q_values(frame, omnibus=["step"], alpha=0.1)  # every q is 0.06 but 0.2, 0.5
    family = _bh([0.01, 0.2, 0.03, 0.5, 0.02, 0.04])
    assert out["q_value"].to_list() == pytest.approx(family[:4])
    assert out["omnibus_q_value"].to_list() == pytest.approx([family[4]] * 2 + [family[5]] * 2)
    assert out["significant"].to_list() == [True, False, True, False]


# ------------------------------------------------------------------ segments against the rest


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 50)).map(lambda t: (min(t), max(t))),
        min_size=2,
        max_size=6,
    )
)
def test_each_segment_is_tested_against_the_sum_of_the_others(counts):
    frame = pl.DataFrame({"segment": [f"s{i}" for i in range(len(counts))],
                          "k": [k for k, _ in counts], "n": [n for _, n in counts]})  # fmt: skip
    out = versus_rest(frame, ["segment"], "k", "n")
    for i, row in enumerate(out.iter_rows(named=True)):
        rest_k = sum(k for j, (k, _) in enumerate(counts) if j != i)
        rest_n = sum(n for j, (_, n) in enumerate(counts) if j != i)
        assert row["rest_trials"] == rest_n
        if rest_n and row["n"]:
            assert row["rest_rate"] == pytest.approx(rest_k / rest_n)
            want = two_proportions(row["k"], row["n"], rest_k, rest_n)["p_value"][0]
            assert row["p_value"] == pytest.approx(want, nan_ok=True)
        else:
            assert row["p_value"] is None


# ------------------------------------------------------------------ log-rank

SIX_MP = [(6, 1), (6, 1), (6, 1), (7, 1), (10, 1), (13, 1), (16, 1), (22, 1), (23, 1),
          (6, 0), (9, 0), (10, 0), (11, 0), (17, 0), (19, 0), (20, 0), (25, 0), (32, 0),
          (32, 0), (34, 0), (35, 0)]  # fmt: skip
PLACEBO = [(t, 1) for t in [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17,
                            22, 23]]  # fmt: skip


def _arrays(groups: list[list[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray]:
    times = np.unique([t for g in groups for t, d in g if d]).astype(float)
    at_risk, events = [], []
    for group in groups:
        t = np.array([t for t, _ in group], float)
        d = np.array([bool(d) for _, d in group])
        n_t, d_t, _ = risk_sets(t, d, np.full(t.size, -np.inf), times)
        at_risk.append(n_t)
        events.append(d_t)
    return np.array(at_risk).T, np.array(events).T


def test_logrank_matches_the_published_leukaemia_test():
    test = logrank(*_arrays([SIX_MP, PLACEBO]))
    assert test.chi_square == pytest.approx(16.79, abs=0.005) and test.df == 1
    assert test.observed.tolist() == [9, 21]
    assert test.expected == pytest.approx([19.25, 10.75], abs=0.005)
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(test.chi_square / 2)))


def test_logrank_of_two_groups_matches_a_hand_loop_over_event_times():
    groups = [[(1, 1), (3, 1), (4, 0), (5, 1)], [(2, 1), (2, 1), (6, 1), (7, 0), (8, 1)]]
    excess = variance = 0.0
    for time in sorted({t for g in groups for t, d in g if d}):
        n1 = sum(1 for t, _ in groups[0] if t >= time)
        n = n1 + sum(1 for t, _ in groups[1] if t >= time)
        d1 = sum(1 for t, d in groups[0] if t == time and d)
        d = d1 + sum(1 for t, e in groups[1] if t == time and e)
        excess += d1 - d * n1 / n
        variance += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1) if n > 1 else 0.0
    test = logrank(*_arrays(groups))
    assert test.chi_square == pytest.approx(excess**2 / variance)
    assert test.covariance[0, 0] == pytest.approx(variance)
