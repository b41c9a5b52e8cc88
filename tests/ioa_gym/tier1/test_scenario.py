"""ScenarioConfig validation, dict round-trip and sampling."""

import json

import numpy as np
import pytest

from ioa_gym.tier1.scenario import ScenarioConfig


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"n_wa": 0}, "n_wa"),
        ({"n_ma": -1}, "n_ma"),
        ({"n_ma": 0, "n_fa": 0}, "n_ma + n_fa"),
        ({"n_wa": 2.5}, "n_wa"),
        ({"bandwidth": -1.0}, "bandwidth"),
        ({"bandwidth": float("nan")}, "bandwidth"),
        ({"fa_capacity_range": (0.0, 5.0)}, "fa_capacity_range"),
        ({"fa_capacity_range": (-1.0, 5.0)}, "fa_capacity_range"),
        ({"task_data_range": (10.0, 5.0)}, "task_data_range"),
        ({"task_data_range": (1.0,)}, "task_data_range"),
        ({"aa_hover_cost_range": (-1.0, 2.0)}, "aa_hover_cost_range"),
        ({"max_price": 1.0}, "max_price"),
        ({"unit_size": 0.0}, "unit_size"),
        ({"latency_weight": -0.5}, "latency_weight"),
        ({"noise_psd_dbm_hz": 10.0}, "noise_psd_dbm_hz"),
        ({"rayleigh_fading": "yes"}, "rayleigh_fading"),
    ],
)
def test_bad_config_names_the_field(changes, field):
    with pytest.raises(ValueError, match=field.replace("+", r"\+")):
        ScenarioConfig(**changes)


def test_error_states_the_allowed_range():
    with pytest.raises(ValueError, match=r"\(0.0, 1000000000.0\]"):
        ScenarioConfig(fa_capacity_range=(0.0, 5.0))


def test_dict_round_trip_is_plain_and_exact():
    cfg = ScenarioConfig(n_wa=7, fa_capacity_range=(3.0, 9.0), rayleigh_fading=False)
    data = json.loads(json.dumps(cfg.to_dict()))  # plain JSON types only
    assert ScenarioConfig.from_dict(data) == cfg
    with pytest.raises(ValueError, match="unknown ScenarioConfig field"):
        ScenarioConfig.from_dict({**data, "n_wizards": 3})


def test_sample_is_reproducible_and_shaped():
    cfg = ScenarioConfig(n_wa=11, n_ma=2, n_fa=4, n_aa=3)
    a, b, c = cfg.sample(5), cfg.sample(5), cfg.sample(6)
    assert np.array_equal(a.uplink_rate, b.uplink_rate)
    assert np.array_equal(a.satisfaction_weight, b.satisfaction_weight)
    assert not np.array_equal(a.uplink_rate, c.uplink_rate)
    assert a.uplink_rate.shape == (11, 6) and a.fa_aa_rate.shape == (4, 3)
    assert a.aerial_time_per_gcycle.shape == (11, 4) and a.leader_unit_cost.shape == (6,)
    assert np.all(a.uplink_rate > 0) and np.all(a.fa_aa_rate > 0)
    assert np.allclose(a.task_work, a.task_data * a.task_intensity)
    lo, hi = cfg.fa_capacity_range
    assert np.all((a.fa_capacity >= lo) & (a.fa_capacity <= hi))
    # Every server's price interval [c_l, p_max] is non-empty.
    assert np.all(a.leader_unit_cost < cfg.max_price)


def test_rate_decreases_with_distance_without_fading():
    cfg = ScenarioConfig(rayleigh_fading=False, n_wa=50, tx_power_range=(0.2, 0.2))
    sc = cfg.sample(0)
    dist = np.linalg.norm(sc.wa_positions[:, None] - sc.leader_positions[None], axis=-1)
    order = np.argsort(dist[:, 0])
    assert np.all(np.diff(sc.uplink_rate[order, 0]) <= 1e-9)


def test_overflow_makes_fa_paths_slower_when_aas_are_slow():
    cfg = ScenarioConfig(aa_cpu_range=(1.0, 1.0), fa_cpu_range=(12.0, 12.0))
    sc = cfg.sample(1)
    fa = sc.fa_slice
    assert np.all(sc.aerial_time_per_gcycle > sc.direct_time_per_gcycle[:, fa])
    a0, a1 = sc.cost_adjustment(np.zeros(sc.n_fa)), sc.cost_adjustment(np.ones(sc.n_fa))
    assert np.all(a1[:, fa] > a0[:, fa]) and np.array_equal(a1[:, : sc.n_ma], a0[:, : sc.n_ma])
