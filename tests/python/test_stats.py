"""The t quantile, summary() intervals, Welch differences and odds ratios, against known numbers."""
import math

import numpy as np
import pytest

import harmsim_analysis as ha
from harmsim_analysis import stats


# ------------------------------------------------------------------ distributions

@pytest.mark.parametrize("df, table", [(4, 2.776), (9, 2.262), (30, 2.042), (1, 12.706), (120, 1.980)])
def test_t_quantile_matches_printed_tables(df, table):
    assert ha.t_ppf(0.975, df) == pytest.approx(table, abs=5e-4)


#: Quantiles of Student's t to 17 digits, computed with mpmath at 40 digits (the
#: root of the regularized incomplete beta function); R's qt() agrees to 1e-15.
#: Debian 12's scipy.stats.t.ppf alone misses several of them in the 9th digit
#: (its root finder stops at a relative tolerance of 1e-8), so these fail if
#: t_ppf stops polishing scipy's quantile.
T_QUANTILES = [
    (0.975, 4, 2.7764451051977934),
    (0.975, 8, 2.3060041352041662),
    (0.975, 10, 2.2281388519862744),
    (0.95, 30, 1.6972608865939574),
    (0.995, 1, 63.656741162871526),
    (0.95, 2, 2.9199855803537242),
    (0.9995, 2.5, 18.277893528131457),
    (0.995, 17.3, 2.8920276411272936),
    (0.9, 120, 1.288646233656378),
    (0.975, 100 / 17, 2.4588237096991468),
    (0.975, 1e5, 1.9599877075346093),
    (0.9, 1e6, 1.2815524121299386),
]


@pytest.mark.parametrize("p, df, value", T_QUANTILES)
def test_t_quantile_to_many_digits(p, df, value):
    assert ha.t_ppf(p, df) == pytest.approx(value, rel=2e-15)
    assert ha.t_ppf(1 - p, df) == pytest.approx(-value, rel=2e-15)


def test_t_quantile_is_exact_where_scipy_1_10_is_not():
    """scipy.stats.t.ppf(0.95, 30) is 1.69726089436 with Debian 12's scipy; the quantile is 1.69726088659."""
    assert abs(ha.t_ppf(0.95, 30) - 1.6972608865939574) < 1e-15
    assert abs(ha.t_ppf(0.05, 30) + 1.6972608865939574) < 1e-15


@pytest.mark.parametrize("p", [0.001, 0.025, 0.2, 0.6, 0.9, 0.975, 0.9995])
def test_t_quantile_and_distribution_in_closed_form(p):
    """Student's t has closed forms for 1, 2 and 4 degrees of freedom (Hill 1970)."""
    assert ha.t_ppf(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-13)
    assert ha.t_ppf(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-13)
    alpha = 4 * p * (1 - p)
    q = math.cos(math.acos(math.sqrt(alpha)) / 3) / math.sqrt(alpha)
    assert ha.t_ppf(p, 4) == pytest.approx(math.copysign(2 * math.sqrt(q - 1), p - 0.5), rel=1e-13)
    for t in (-30.0, -2.0, -0.4, 0.7, 3.0):
        assert ha.t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, rel=1e-13)
        assert ha.t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), rel=1e-13)
        assert ha.t_cdf(t, math.inf) == pytest.approx(0.5 * math.erfc(-t / math.sqrt(2)), rel=1e-13)


def test_t_quantile_limits_and_inverse():
    assert ha.t_ppf(0.5, 3) == 0.0
    assert (ha.t_ppf(0.0, 3), ha.t_ppf(1.0, 3)) == (-math.inf, math.inf)
    assert math.isnan(ha.t_ppf(math.nan, 3)) and math.isnan(ha.t_cdf(1.0, math.nan))
    assert stats.norm_ppf(0.975) == pytest.approx(1.959963984540054, rel=1e-15)
    assert stats.Z_975 == stats.norm_ppf(0.975)
    assert ha.t_ppf(0.975, math.inf) == pytest.approx(1.959963984540054, rel=1e-15)
    for df in (0.7, 2, 5.88235294117647, 40, 3e5):
        for p in (0.01, 0.3, 0.975):
            assert ha.t_cdf(ha.t_ppf(p, df), df) == pytest.approx(p, rel=1e-12)
    assert ha.t_cdf(0.0, 7) == 0.5
    assert ha.t_cdf(1.0, 1) == pytest.approx(0.75, rel=1e-15)  # Cauchy: 1/2 + atan(1)/pi
    with pytest.raises(ValueError, match="degrees of freedom"):
        ha.t_ppf(0.9, 0)
    with pytest.raises(ValueError, match="degrees of freedom"):
        ha.t_cdf(0.9, -1)
    with pytest.raises(ValueError, match="probability"):
        ha.t_ppf(1.5, 3)


def test_t_quantile_against_scipy():
    sp = pytest.importorskip("scipy.stats")
    for df in (1, 2.5, 4, 9, 17.3, 30, 250, 1e4):
        for p in (0.001, 0.025, 0.2, 0.9, 0.975, 0.9995):
            # scipy's own quantile is good to its root finder's 1e-8 (scipy 1.10)
            assert ha.t_ppf(p, df) == pytest.approx(sp.t.ppf(p, df), rel=1e-7)
            assert ha.t_cdf(ha.t_ppf(p, df), df) == pytest.approx(p, rel=1e-13)


# ------------------------------------------------------------------ textbook examples

#: Student's (1908) sleep data, as in R's ``sleep``: extra hours of sleep with two drugs.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_mean_interval_of_the_sleep_data():
    # R: t.test(sleep$extra[1:10])$conf.int = -0.529780413526232 2.029780413526232
    mean, low, high = ha.mean_ci(SLEEP_1)
    assert mean == pytest.approx(0.75, rel=1e-15)
    assert (low, high) == (pytest.approx(-0.529780413526232, rel=1e-13), pytest.approx(2.029780413526232, rel=1e-13))
    sp = pytest.importorskip("scipy.stats")
    want = sp.t.interval(0.95, 9, loc=0.75, scale=sp.sem(SLEEP_1))
    assert (low, high) == (pytest.approx(want[0], rel=1e-7), pytest.approx(want[1], rel=1e-7))


def test_welch_interval_of_the_sleep_data():
    # R: t.test(extra ~ group, data = sleep): t = -1.860813467487, df = 17.77647351618,
    # 95 percent confidence interval -3.36548323071171 0.20548323071171
    diff, low, high, df = ha.welch_ci(SLEEP_1, SLEEP_2)
    assert diff == pytest.approx(-1.58, rel=1e-14)
    assert df == pytest.approx(17.77647351618, rel=1e-12)
    assert low == pytest.approx(-3.36548323071171, rel=1e-13)
    assert high == pytest.approx(0.20548323071171, rel=1e-12)
    weightstats = pytest.importorskip("statsmodels.stats.weightstats")
    compare = weightstats.CompareMeans.from_data(SLEEP_1, SLEEP_2)
    assert df == pytest.approx(compare.dof_satt(), rel=1e-14)
    want = compare.tconfint_diff(alpha=0.05, usevar="unequal")
    assert (low, high) == (pytest.approx(want[0], rel=1e-7), pytest.approx(want[1], rel=1e-7))


def test_woolf_interval_of_the_physicians_health_study():
    """Aspirin and myocardial infarction (Physicians' Health Study; Agresti, Categorical Data Analysis, 2nd ed.):
    placebo 189 MI of 11034, aspirin 104 of 11037; OR 1.832, 95 % CI 1.44 to 2.33."""
    ratio, low, high, corrected = ha.woolf_odds_ratio(189, 10845, 104, 10933)
    assert not corrected
    assert ratio == pytest.approx(189 * 10933 / (10845 * 104), rel=1e-15)
    assert (round(ratio, 3), round(low, 2), round(high, 2)) == (1.832, 1.44, 2.33)
    tables = pytest.importorskip("statsmodels.stats.contingency_tables")
    want = tables.Table2x2(np.array([[189, 10845], [104, 10933]])).oddsratio_confint()
    assert (low, high) == (pytest.approx(want[0], rel=1e-14), pytest.approx(want[1], rel=1e-14))


#: UC Berkeley graduate admissions 1973 (Bickel et al. 1975; R's UCBAdmissions) by
#: department: men admitted, men rejected, women admitted, women rejected.
UCB = [(512, 313, 89, 19), (353, 207, 17, 8), (120, 205, 202, 391),
       (138, 279, 131, 244), (53, 138, 94, 299), (22, 351, 24, 317)]


def test_mantel_haenszel_of_the_berkeley_admissions():
    # R: mantelhaen.test(UCBAdmissions): common odds ratio 0.904696828258623,
    # 95 percent confidence interval 0.77190736175935 1.06032976443666 (Robins-Breslow-Greenland)
    ratio, low, high, used = ha.mantel_haenszel_odds_ratio(UCB)
    assert used == 6
    assert ratio == pytest.approx(0.904696828258623, rel=1e-13)
    assert low == pytest.approx(0.77190736175935, rel=1e-13)
    assert high == pytest.approx(1.06032976443666, rel=1e-13)
    # pooled over departments the men's odds of admission are 1.84 times the women's (Simpson's paradox)
    crude = ha.woolf_odds_ratio(*np.sum(UCB, axis=0))
    assert crude[0] == pytest.approx(1198 * 1278 / (1493 * 557), rel=1e-15)
    assert round(crude[0], 2) == 1.84


# ------------------------------------------------------------------ summary

TOTALS = {
    "baseline": {"violence_buyer": [1, 2, 3, 4, 5]},
    "sting": {"violence_buyer": [3, 4, 5, 6, 7]},
    "decriminalization": {"violence_buyer": [2, 4, 6, 8, 10]},
}


@pytest.fixture
def known(make_results):
    return make_results("known.h5", totals=TOTALS)


def row(table, scenario, metric):
    r = table[(table.scenario == scenario) & (table.metric == metric)]
    assert len(r) == 1
    return r.iloc[0]


def test_summary_columns_and_rows(known):
    table = ha.summary(known)
    assert list(table.columns) == ["scenario", "metric", "kind", "mean", "ci_low", "ci_high",
                                   "diff", "diff_low", "diff_high", "p_better", "basis"]
    assert set(table["basis"]) == {"replicates"}  # no parameter draws in the file
    assert len(table) == 3 * 8
    assert row(table, "sting", "violence_12m")["kind"] == "share"
    assert row(table, "sting", "encounters")["kind"] == "count"


def test_summary_t_interval(known):
    b = row(ha.summary(known), "baseline", "violence_buyer")
    half = 2.7764451051977934 * math.sqrt(2.5 / 5)
    assert b["mean"] == pytest.approx(3.0)
    assert b["ci_low"] == pytest.approx(3 - half, rel=1e-13)
    assert b["ci_high"] == pytest.approx(3 + half, rel=1e-13)
    assert b["ci_low"] == pytest.approx(1.0368, abs=1e-4)
    # the baseline against itself
    assert b["diff"] == 0.0
    assert math.isnan(b["diff_low"]) and math.isnan(b["diff_high"])


def test_summary_difference_equal_variances(known):
    s = row(ha.summary(known), "sting", "violence_buyer")
    # diff 2, se = sqrt(2.5/5 + 2.5/5) = 1, Welch df = 8
    assert s["diff"] == pytest.approx(2.0)
    assert s["diff_low"] == pytest.approx(2 - 2.3060041352041662, rel=1e-13)
    assert s["diff_high"] == pytest.approx(2 + 2.3060041352041662, rel=1e-13)


def test_summary_difference_unequal_variances(known):
    s = row(ha.summary(known), "decriminalization", "violence_buyer")
    # var 10 vs 2.5: se^2 = 2 + 0.5 = 2.5; df = 2.5^2 / (2^2/4 + 0.5^2/4) = 5.882352941
    diff, lo, hi, df = ha.welch_ci([2, 4, 6, 8, 10], [1, 2, 3, 4, 5])
    assert df == pytest.approx(6.25 / 1.0625)
    half = 2.4588237096991468 * math.sqrt(2.5)
    assert s["diff"] == pytest.approx(3.0)
    assert s["diff_low"] == pytest.approx(3 - half, rel=1e-13)
    assert s["diff_high"] == pytest.approx(3 + half, rel=1e-13)
    assert (lo, hi) == (pytest.approx(s["diff_low"]), pytest.approx(s["diff_high"]))


def test_summary_other_baseline(known):
    table = ha.summary(known, baseline="sting")
    b = row(table, "baseline", "violence_buyer")
    assert b["diff"] == pytest.approx(-2.0)
    assert b["diff_high"] == pytest.approx(-2 + 2.3060041352041662, rel=1e-13)
    assert row(table, "sting", "violence_buyer")["diff"] == 0.0
    with pytest.raises(ValueError, match="scenario"):
        ha.summary(known, baseline="nope")


def test_summary_totals_formed_as_the_contract_says(results):
    table = ha.summary(results)
    # encounters (metric 0, count) baseline: replicate r total = sum_d (1000 r + 100 d) = 10000 r + 4500
    enc = row(table, "baseline", "encounters")
    assert enc["mean"] == pytest.approx(20000 + 4500)
    # a level is averaged over days: workers_active (metric 4) in sting = 4e5 + 1e4 + 1000 r + 450
    lvl = row(table, "sting", "workers_active")
    assert lvl["mean"] == pytest.approx(4e5 + 1e4 + 2000 + 450)
    # every scenario differs from the baseline by exactly 1e4 per day of a level
    assert lvl["diff"] == pytest.approx(1e4)
    assert lvl["diff_low"] < 1e4 < lvl["diff_high"]


def test_intervals_degenerate_cases():
    assert ha.mean_ci([4.0, 4.0, 4.0]) == (4.0, 4.0, 4.0)
    m, lo, hi = ha.mean_ci([7.0])
    assert m == 7.0 and math.isnan(lo) and math.isnan(hi)
    diff, lo, hi, df = ha.welch_ci([2.0, 2.0], [1.0, 1.0])
    assert (diff, lo, hi) == (1.0, 1.0, 1.0)


# ------------------------------------------------------------------ odds ratios

def odds_row(table, scenario, exposure, outcome):
    r = table[(table.scenario == scenario) & (table.exposure == exposure) & (table.outcome == outcome)]
    assert len(r) == 1
    return r.iloc[0]


def test_odds_ratio_hand_computed(results):
    table = ha.odds_ratios(results)
    assert list(table.columns[:7]) == ["scenario", "exposure", "outcome", "odds_ratio", "ci_low", "ci_high", "n"]
    assert len(table) == 3 * 3 * 3
    r = odds_row(table, "sting", "arrested_180d", "violence_180d")
    # pooled over 5 replicates: a=20, b=80, c=10, d=90
    assert r["n"] == 200
    assert r["odds_ratio"] == pytest.approx(20 * 90 / (80 * 10))
    se = math.sqrt(1 / 20 + 1 / 80 + 1 / 10 + 1 / 90)
    assert r["ci_low"] == pytest.approx(math.exp(math.log(2.25) - 1.959963984540054 * se), rel=1e-12)
    assert r["ci_high"] == pytest.approx(math.exp(math.log(2.25) + 1.959963984540054 * se), rel=1e-12)
    assert r["ci_low"] == pytest.approx(0.99428, rel=1e-4)
    assert r["ci_high"] == pytest.approx(5.0916, rel=1e-4)
    assert not r["corrected"]


def test_odds_ratio_pools_replicates(results):
    r = odds_row(ha.odds_ratios(results), "baseline", "arrested_180d", "condomless_180d")
    # every replicate holds a table of ones: pooled a=b=c=d=5
    assert r["n"] == 20
    assert r["odds_ratio"] == pytest.approx(1.0)
    assert r["ci_high"] == pytest.approx(math.exp(1.959963984540054 * math.sqrt(4 / 5)))


def test_odds_ratio_zero_cell_haldane_anscombe(results):
    r = odds_row(ha.odds_ratios(results), "baseline", "displaced_180d", "violence_180d")
    # a=0, b=50, c=10, d=40 -> add 0.5 to every cell
    a, b, c, d = 0.5, 50.5, 10.5, 40.5
    assert r["corrected"]
    assert r["n"] == 100
    assert r["odds_ratio"] == pytest.approx(a * d / (b * c))
    assert r["odds_ratio"] == pytest.approx(0.0381895, rel=1e-5)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert r["ci_low"] == pytest.approx(a * d / (b * c) * math.exp(-1.959963984540054 * se))
    assert r["ci_high"] == pytest.approx(0.67157, rel=1e-4)


def test_odds_ratio_empty_margin_is_nan(results):
    r = odds_row(ha.odds_ratios(results), "baseline", "policed_180d", "violence_180d")
    assert r["n"] == 100
    assert math.isnan(r["odds_ratio"]) and math.isnan(r["ci_low"])


def test_sector_adjusted_odds_ratio_is_mantel_haenszel_with_the_robins_breslow_greenland_interval(results):
    """A hand-worked example: three sectors whose tables pool to the crude table above.

        sector   a   b   c   d    n    ad/n          bc/n
        street  12  28   2  18   60   216/60 = 3.6  56/60
        venue    5  30   4  36   75   180/75 = 2.4  120/75 = 1.6
        online   3  22   4  36   65   108/65        88/65

    OR_MH = Σ ad/n / Σ bc/n = (498/65) / (758/195) = 747/379 = 1.97098, below
    the crude 2.25 because the street, where exposure is common, has the most
    violence. Robins, Breslow and Greenland (1986), with P = (a+d)/n,
    Q = (b+c)/n, R = ad/n, S = bc/n:

        var(ln OR_MH) = ΣPR / 2(ΣR)² + Σ(PS + QR) / 2ΣRΣS + ΣQS / 2(ΣS)²
    """
    from fractions import Fraction

    r = odds_row(ha.odds_ratios(results), "sting", "arrested_180d", "violence_180d")
    assert r["odds_ratio"] == pytest.approx(2.25)  # crude, pooled over sectors
    assert r["mh_strata"] == 3
    assert r["mh_odds_ratio"] == pytest.approx(747 / 379, rel=1e-12)
    sum_r = sum_s = pr = ps_qr = qs = Fraction(0)
    for a, b, c, d in [(12, 28, 2, 18), (5, 30, 4, 36), (3, 22, 4, 36)]:
        n = a + b + c + d
        p, q, rr, ss = Fraction(a + d, n), Fraction(b + c, n), Fraction(a * d, n), Fraction(b * c, n)
        sum_r, sum_s = sum_r + rr, sum_s + ss
        pr, ps_qr, qs = pr + p * rr, ps_qr + p * ss + q * rr, qs + q * ss
    assert sum_r / sum_s == Fraction(747, 379)
    variance = pr / (2 * sum_r**2) + ps_qr / (2 * sum_r * sum_s) + qs / (2 * sum_s**2)
    assert variance == Fraction(16757698061, 89058856410)
    se = math.sqrt(variance)
    assert r["mh_ci_low"] == pytest.approx(747 / 379 * math.exp(-1.959963984540054 * se), rel=1e-12)
    assert r["mh_ci_high"] == pytest.approx(747 / 379 * math.exp(1.959963984540054 * se), rel=1e-12)
    assert (r["mh_ci_low"], r["mh_ci_high"]) == (pytest.approx(0.842263, rel=1e-5), pytest.approx(4.61227, rel=1e-5))


def test_mantel_haenszel_leaves_out_empty_strata_and_refuses_an_inestimable_ratio():
    with_empty = ha.mantel_haenszel_odds_ratio([[12, 28, 2, 18], [0, 0, 0, 0], [5, 30, 4, 36], [3, 22, 4, 36]])
    assert with_empty[0] == pytest.approx(747 / 379) and with_empty[3] == 3
    # One stratum: the MH ratio is that stratum's ad/bc (no correction).
    assert ha.mantel_haenszel_odds_ratio([[12, 28, 2, 18]])[0] == pytest.approx(12 * 18 / (28 * 2))
    # No exposed case in any stratum: Σ ad/n = 0, not estimable.
    ratio, low, high, used = ha.mantel_haenszel_odds_ratio([[0, 50, 10, 40], [0, 5, 1, 4]])
    assert math.isnan(ratio) and math.isnan(low) and math.isnan(high) and used == 2


def test_odds_ratios_of_a_schema_1_file_are_crude_only(make_results):
    path = make_results("v1.h5", schema_version=1)
    table = ha.odds_ratios(path)
    assert len(table) == 3 * 3 * 2
    assert set(table.outcome) == {"violence_180d", "condomless_180d"}
    r = odds_row(table, "sting", "arrested_180d", "violence_180d")
    assert r["odds_ratio"] == pytest.approx(2.25) and r["n"] == 200
    assert math.isnan(r["mh_odds_ratio"]) and r["mh_strata"] == 0


def test_woolf_function():
    ratio, lo, hi, corrected = ha.woolf_odds_ratio(20, 80, 10, 90, z=1.96)
    assert (ratio, corrected) == (2.25, False)
    assert lo == pytest.approx(0.994279971565182, rel=1e-12)
    assert hi == pytest.approx(5.091624235405931, rel=1e-12)


# ------------------------------------------------------------------ strata

SECTOR_VALUE = {"street": 1.0, "venue": 2.0, "online": 0.0}
SECTOR_WORKERS = {"street": 10.0, "venue": 30.0, "online": 20.0}
SECTOR_SHARE = {"street": 0.5, "venue": 0.2, "online": 0.1}


def strata_series(si, metric, n_rep, days, strata):
    out = np.zeros((n_rep, days, len(strata)), dtype=np.float32)
    for k, name in enumerate(strata):
        parts = name.split("/")
        if len(parts) == 4:
            sector = parts[0]
            v = {"violence_buyer": SECTOR_VALUE[sector], "workers_active": SECTOR_WORKERS[sector],
                 "violence_12m": SECTOR_SHARE[sector]}.get(metric, 1.0)
        elif parts[0] == "community":
            c = int(parts[1])
            v = {"violence_buyer": c * (si + 1), "workers_active": 10.0 * c}.get(metric, 1.0)
        else:
            v = 0.0
        out[:, :, k] = v
    # replicate noise on violence in communities: +r
    if metric == "violence_buyer":
        for k, name in enumerate(strata):
            if name.startswith("community/"):
                out[:, :, k] += np.arange(n_rep)[:, None]
    return out


def test_strata_summary(make_results):
    path = make_results("strata.h5", series_fn=strata_series)
    by_sector = ha.strata_summary(path, "violence_buyer", by="sector")
    base = by_sector[by_sector.scenario == "baseline"].set_index("group")
    assert list(base.index) == ["street", "venue", "online"]
    # per 1000 worker-days: 1000·1/10, 1000·2/30, 0
    assert base.loc["street", "mean"] == pytest.approx(100.0)
    assert base.loc["venue", "mean"] == pytest.approx(2000 / 30)
    assert base.loc["online", "mean"] == pytest.approx(0.0)
    assert base.loc["street", "unit"] == "per 1000 worker-days"
    # raw totals: 12 cells × 10 days × 1
    raw = ha.strata_summary(path, "violence_buyer", by="sector", rate=False)
    assert raw[(raw.scenario == "sting") & (raw.group == "street")]["mean"].iloc[0] == pytest.approx(120.0)
    # shares are averaged with active workers as weights
    share = ha.strata_summary(path, "violence_12m", by="documentation")
    assert set(share["group"]) == {"documented", "undocumented"}
    assert share["mean"].to_numpy() == pytest.approx((60 * 0.5 + 180 * 0.2 + 120 * 0.1) / 360)
    # communities, with replicate variation: value c·(s+1) + r per day, workers 10 c per day
    com = ha.strata_summary(path, "violence_buyer", by="community", rate=False)
    c2 = com[(com.scenario == "sting") & (com.group == "community/2")].iloc[0]
    assert c2["mean"] == pytest.approx(10 * (2 * 2 + 2))  # mean r = 2
    half = 2.7764451051977934 * 10 * math.sqrt(2.5 / 5)
    assert (c2["ci_low"], c2["ci_high"]) == (pytest.approx(60 - half), pytest.approx(60 + half))
    with pytest.raises(ValueError, match="dimension"):
        ha.strata_summary(path, "violence_buyer", by="colour")
