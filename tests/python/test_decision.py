"""The answer with its certainty (harmsim_analysis.decision) on synthetic files whose answer is known."""
import math

import numpy as np
import pytest

import harmsim_analysis as ha
from harmsim_analysis import decision

N_DRAWS = 100
REPS_PER_DRAW = 2


def _draw_file(make_results, effect_of_draw, policy_order=None):
    """Baseline and policy over N_DRAWS draws, REPS_PER_DRAW replicates each.

    The baseline's violence_buyer in draw d is 100·d ± 1 (two replicates), so
    draws differ far more than the policy's effect; the policy's is the
    baseline's plus ``effect_of_draw(d)``. ``policy_order`` permutes the
    policy's replicates, so pairing by replicate index would pair the wrong draws.
    """
    draws = np.repeat(np.arange(N_DRAWS), REPS_PER_DRAW)
    noise = np.tile([-1.0, 1.0], N_DRAWS)
    base = 100.0 * draws + noise
    policy = 100.0 * draws + np.array([effect_of_draw(d) for d in draws]) - noise
    policy_draws = draws
    if policy_order is not None:
        policy, policy_draws = policy[policy_order], draws[policy_order]
    n = draws.size
    return make_results(
        scenarios=("baseline", "policy"), replicates=n,
        totals={"baseline": {"violence_buyer": base, "income_mean": base},
                "policy": {"violence_buyer": policy, "income_mean": policy}},
        draws={"baseline": draws, "policy": policy_draws},
    )


def test_the_probability_of_helping_is_the_share_of_draws_where_the_policy_lowers_the_harm(make_results):
    # 70 of 100 draws: the policy lowers violence by 5; 30 draws: it raises it by 5.
    effect = lambda d: -5.0 if d < 70 else 5.0  # noqa: E731
    order = np.random.default_rng(3).permutation(N_DRAWS * REPS_PER_DRAW)
    path = _draw_file(make_results, effect, policy_order=order)
    row = ha.effects(path, metrics=["violence_buyer"]).iloc[0]
    assert row["basis"] == "draws" and row["n"] == N_DRAWS
    assert row["p_better"] == pytest.approx(0.70, abs=1e-12)
    assert row["diff"] == pytest.approx(0.7 * -5 + 0.3 * 5)
    assert (row["diff_low"], row["diff_high"]) == (pytest.approx(-5.0), pytest.approx(5.0))
    # The same numbers for a metric where more is better: the policy "helps" in the other 30 draws.
    up = ha.effects(path, metrics=["income_mean"]).iloc[0]
    assert up["better"] == "higher" and up["p_better"] == pytest.approx(0.30, abs=1e-12)


def test_without_pairing_by_draw_the_spread_between_draws_would_hide_a_sure_effect(make_results):
    """The policy lowers violence by 3 in every draw: paired by draw that is certain."""
    order = np.random.default_rng(4).permutation(N_DRAWS * REPS_PER_DRAW)
    path = _draw_file(make_results, lambda d: -3.0, policy_order=order)
    row = ha.effects(path, metrics=["violence_buyer"]).iloc[0]
    assert row["p_better"] == 1.0
    assert row["diff_low"] == pytest.approx(-3.0) and row["diff_high"] == pytest.approx(-3.0)
    # Unpaired, the same replicates give an interval as wide as the draws' spread.
    totals = ha.read_totals(path, ["violence_buyer"])
    unpaired = decision.compare(totals["policy"]["violence_buyer"], totals["baseline"]["violence_buyer"])
    assert unpaired["basis"] == "replicates"
    assert unpaired["diff_high"] - unpaired["diff_low"] > 1000
    assert 0.5 < unpaired["p_better"] < 0.7


def test_ties_count_half_and_unshared_draws_are_left_out():
    c = decision.compare([1.0, 2.0, 5.0, 9.0], [1.0, 3.0, 4.0, 0.0], policy_draws=[0, 1, 2, 7],
                         baseline_draws=[0, 1, 2, 8])
    # draw 0: tie, draw 1: lower, draw 2: higher; draws 7 and 8 have no partner
    assert c["n"] == 3 and c["p_better"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no parameter draw"):
        decision.compare([1.0], [2.0], policy_draws=[1], baseline_draws=[2])


def test_without_draws_the_probability_is_over_monte_carlo_noise_in_closed_form(make_results):
    """x = (1, 3), y = (0, 2): diff 1, se √2, Welch df 2; P(T₂ < −1/√2) = 1/2 − √5/10 (t with 2 df)."""
    path = make_results(scenarios=("baseline", "policy"), replicates=2,
                        totals={"baseline": {"violence_buyer": [0.0, 2.0]}, "policy": {"violence_buyer": [1.0, 3.0]}})
    row = ha.effects(path, metrics=["violence_buyer"]).iloc[0]
    assert row["basis"] == "replicates" and row["n"] == 2
    assert row["p_better"] == pytest.approx(0.5 - math.sqrt(5) / 10, rel=1e-12)
    assert row["diff"] == 1.0
    assert row["rel"] == pytest.approx(1.0)  # mean 2 against 1: +100 %
    assert ha.read_draws(path) == {"baseline": None, "policy": None}
    assert "Monte Carlo noise only" in decision.uncertainty_note(row["basis"])
    assert "parameter draws" in decision.uncertainty_note("draws", 50)


def test_without_draws_a_large_clear_effect_is_near_certain_and_no_effect_is_even(make_results):
    rng = np.random.default_rng(7)
    base = rng.normal(100.0, 5.0, 40)
    path = make_results(scenarios=("baseline", "lower", "same"), replicates=40,
                        totals={"baseline": {"violence_buyer": base},
                                "lower": {"violence_buyer": base - 20.0 + rng.normal(0, 0.1, 40)},
                                "same": {"violence_buyer": base[::-1].copy()}})
    table = ha.effects(path, metrics=["violence_buyer"]).set_index("scenario")
    assert table.loc["lower", "p_better"] > 0.999999
    assert table.loc["same", "p_better"] == pytest.approx(0.5, abs=1e-12)
    assert table.loc["lower", "diff_high"] < 0 < table.loc["same", "diff_high"]


def test_effects_default_to_the_key_harms_the_file_has(results):
    table = ha.effects(results)
    assert list(dict.fromkeys(table["metric"])) == ["violence_buyer", "violence_12m", "arrests_worker"]
    assert list(dict.fromkeys(table["scenario"])) == ["sting", "decriminalization"]
    assert set(table["basis"]) == {"replicates"}
    # the default series put each later scenario 1e4 above the one before
    row = table[(table.scenario == "sting") & (table.metric == "violence_12m")].iloc[0]
    assert row["diff"] == pytest.approx(1e4) and row["p_better"] < 1e-4


def test_a_draw_dataset_of_the_wrong_length_is_refused(make_results):
    path = make_results(draws={"baseline": [0, 1, 2]})
    with pytest.raises(ha.ResultsError, match="replicate_draw has 3 entries for 5 replicates"):
        ha.read_draws(path)


def test_acceptability_over_draws_is_the_share_of_draws_in_which_each_is_best(make_results):
    # 10 draws, one replicate each. Lowest violence: a in draws 0-4, b in 5-7, c in 8; draw 9 ties a and b.
    a = [1, 1, 1, 1, 1, 9, 9, 9, 9, 1]
    b = [5, 5, 5, 5, 5, 1, 1, 1, 9, 1]
    c = [7, 7, 7, 7, 7, 7, 7, 7, 1, 7]
    base = [8] * 10
    draws = np.arange(10)
    path = make_results(scenarios=("baseline", "a", "b", "c"), replicates=10,
                        totals={"baseline": {"violence_buyer": base}, "a": {"violence_buyer": a},
                                "b": {"violence_buyer": b}, "c": {"violence_buyer": c}},
                        draws={s: draws for s in ("baseline", "a", "b", "c")})
    table = ha.acceptability(path, "violence_buyer").set_index("scenario")
    assert table["p_best"].to_dict() == pytest.approx({"a": 0.55, "b": 0.35, "c": 0.1, "baseline": 0.0})
    assert set(table["basis"]) == {"draws"} and set(table["n"]) == {10}
    # b has the lowest mean (3.8 against 4.2) though a is more often the best
    assert table.loc["b", "rank"] == 1 and table.loc["a", "rank"] == 2 and table.loc["baseline", "rank"] == 4
    assert table["p_best"].sum() == pytest.approx(1.0)


def test_acceptability_without_draws_separates_a_clear_winner_and_splits_a_tie(make_results):
    rng = np.random.default_rng(11)
    noise = rng.normal(0.0, 1.0, 30)
    path = make_results(scenarios=("baseline", "best", "twin_a", "twin_b"), replicates=30,
                        totals={"baseline": {"violence_buyer": 100 + noise}, "best": {"violence_buyer": 50 + noise},
                                "twin_a": {"violence_buyer": 80 + noise}, "twin_b": {"violence_buyer": 80 + noise}})
    table = ha.acceptability(path, "violence_buyer").set_index("scenario")
    assert table.loc["best", "p_best"] == 1.0 and table.loc["best", "rank"] == 1
    without = ha.acceptability(path, "violence_buyer", scenarios=["twin_a", "twin_b"],
                               include_baseline=False).set_index("scenario")
    assert list(without.index) == ["twin_a", "twin_b"]
    assert without.loc["twin_a", "p_best"] == pytest.approx(0.5, abs=0.02)
    assert set(without["basis"]) == {"replicates"}
    # fixed seed: the same table twice
    assert ha.acceptability(path, "violence_buyer").equals(ha.acceptability(path, "violence_buyer"))


def test_equity_effects_compare_each_group(results):
    table = ha.equity_effects(results, "violence_buyer", by="community")
    assert set(table["group"]) == {"community/1", "community/2", "community/3"}
    assert set(table["scenario"]) == {"sting", "decriminalization"}
    assert set(table["unit"]) == {"per 1000 worker-days"}
    assert np.isfinite(table["p_better"]).all()


def test_summary_reports_the_same_paired_difference_and_probability(make_results):
    order = np.random.default_rng(5).permutation(N_DRAWS * REPS_PER_DRAW)
    path = _draw_file(make_results, lambda d: -5.0 if d < 70 else 5.0, policy_order=order)
    table = ha.summary(path, metrics=["violence_buyer"]).set_index("scenario")
    assert table.loc["policy", "basis"] == "draws"
    assert table.loc["policy", "p_better"] == pytest.approx(0.70, abs=1e-12)
    assert (table.loc["policy", "diff_low"], table.loc["policy", "diff_high"]) == (pytest.approx(-5.0),
                                                                                   pytest.approx(5.0))
    assert np.isnan(table.loc["baseline", "p_better"])


def test_a_count_of_activity_has_no_better_direction_and_cannot_rank(make_results):
    """More detention releases follow more detentions; more exits or encounters are not good or bad in
    themselves: their comparisons carry no probability of being better, in every table."""
    assert decision.better_direction("detention_releases") == "none"
    assert decision.better_direction("violence_buyer") == "lower"
    assert decision.better_direction("exits_helped") == "higher"
    assert not (ha.NO_DIRECTION & ha.HIGHER_IS_BETTER) and not (ha.NO_DIRECTION & set(ha.KEY_HARMS))
    totals = {"baseline": {"encounters": [10.0, 11.0, 12.0], "violence_buyer": [10.0, 11.0, 12.0]},
              "policy": {"encounters": [20.0, 21.0, 22.0], "violence_buyer": [20.0, 21.0, 22.0]}}
    path = make_results(scenarios=("baseline", "policy"), replicates=3, totals=totals)
    table = ha.effects(path, metrics=["encounters", "violence_buyer"]).set_index("metric")
    assert table.loc["encounters", "better"] == "none" and np.isnan(table.loc["encounters", "p_better"])
    assert table.loc["violence_buyer", "p_better"] < 0.01  # the same numbers, for a harm
    assert table.loc["encounters", "diff"] == table.loc["violence_buyer", "diff"] == 10.0
    summary = ha.summary(path, metrics=["encounters"]).set_index("scenario")
    assert np.isnan(summary.loc["policy", "p_better"])
    paired = decision.compare([2.0, 3.0], [1.0, 1.0], "none", policy_draws=[0, 1], baseline_draws=[0, 1])
    assert np.isnan(paired["p_better"]) and paired["diff"] == 1.5
    with pytest.raises(ValueError, match="no better direction"):
        ha.acceptability(path, "encounters")


def test_a_relative_change_agrees_with_the_difference_and_stays_above_minus_100_percent_without_draws():
    """Fieller's interval for the ratio of means: it excludes "no change" exactly when the difference's
    Welch interval excludes 0, and no count falls by more than all of it. (The delta method on the ratio
    gave decriminalisation's deportations −102 % at the low end; the one on the log of the ratio gave
    [−99.6 %, +86 %] for a policy whose difference was clearly below 0.)"""
    c = decision.compare([0.0, 0.0, 1.0], [3.0, 4.0, 5.0])
    assert c["diff_high"] < 0 and c["p_better"] > 0.99
    assert -1.0 <= c["rel_low"] <= c["rel"] < c["rel_high"] < 0
    assert c["rel"] == pytest.approx(1.0 / 12.0 - 1.0)
    rng = np.random.default_rng(3)
    for _ in range(200):
        x = rng.poisson(rng.uniform(0.5, 8.0), rng.integers(3, 12)).astype(float)
        y = rng.poisson(rng.uniform(2.0, 8.0), rng.integers(3, 12)).astype(float)
        c = decision.compare(x, y)
        if not (math.isfinite(c["rel_low"]) and math.isfinite(c["diff_low"])):
            continue
        assert c["rel_low"] >= -1.0
        assert (c["diff_low"] > 0 or c["diff_high"] < 0) == (c["rel_low"] > 0 or c["rel_high"] < 0)
    # A baseline whose mean is not clearly away from 0: the ratio is unbounded.
    wide = decision.compare([0.0, 0.0], [4.0, 6.0])
    assert wide["rel"] == -1.0 and math.isnan(wide["rel_low"]) and math.isnan(wide["rel_high"])


def test_a_mean_interval_in_the_summary_starts_at_0(make_results):
    totals = {"baseline": {"arrests_worker": [0.0, 0.0, 0.0, 1.0]}}
    path = make_results(scenarios=("baseline",), replicates=4, totals=totals)
    row = ha.summary(path, metrics=["arrests_worker"]).iloc[0]
    assert row["mean"] == 0.25 and row["ci_low"] == 0.0 and row["ci_high"] > 0.25
    assert ha.mean_ci([0.0, 0.0, 0.0, 1.0])[1] < 0  # Student's t alone would go below
