"""Latency and energy per offloading composition (ioa_gym.tier1.latency), against hand computations."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest

import ioa_gym  # noqa: F401 (registers the envs)
from ioa_gym.tier1.latency import COMPOSITIONS, latency
from ioa_gym.tier1.scenario import ScenarioConfig
from ioa_gym.tier1.stackelberg import solve_equilibrium


def _hand_scenario():
    """One MA, one FA and two AAs, with round numbers in place of the sampled physics."""
    base = ScenarioConfig(n_wa=2, n_ma=1, n_fa=1, n_aa=2, switched_capacitance=0.1).sample(0)
    return dataclasses.replace(
        base,
        task_data=np.array([10.0, 4.0]),  # Mbit
        task_work=np.array([10.0, 8.0]),  # Gcycles (intensities 1 and 2)
        task_intensity=np.array([1.0, 2.0]),
        local_cpu=np.array([1.0, 0.5]),  # GHz
        tx_power=np.array([0.2, 0.1]),  # W
        uplink_rate=np.array([[5.0, 10.0], [2.0, 4.0]]),  # Mbit/s, WA x (MA, FA)
        leader_cpu=np.array([10.0, 8.0]),  # GHz, (MA, FA)
        fa_aa_rate=np.array([[20.0, 40.0]]),  # Mbit/s, FA x AA
        aa_cpu=np.array([4.0, 5.0]),  # GHz
    )


def test_latency_matches_a_hand_computation():
    scenario = _hand_scenario()
    ratios = np.array([[0.2, 0.5], [0.0, 1.0]])
    result = latency(scenario, ratios, np.array([0.4]))
    # WA 0: local 10 Gcycles x 0.3 / 1 GHz = 3 s.
    # (a) via the MA: upload 10 Mbit x 0.2 / 5 = 0.4 s, computing 10 x 0.2 / 10 = 0.2 s -> 0.6 s.
    # (b) via the FA, served (60 % of its share): upload 0.6 x 10 x 0.5 / 10 = 0.3 s, computing
    #     10 x 0.5 x 0.6 / 8 = 0.375 s -> 0.675 s.
    # (c) forwarded (40 %): upload 0.4 x 10 x 0.5 / 10 = 0.2 s, FA -> AA 10 x 0.5 x 0.4 x (1/20 + 1/40) / 2
    #     = 0.075 s, AA computing 10 x 0.5 x 0.4 x (1/4 + 1/5) / 2 = 0.45 s -> 0.725 s.
    # WA 1 sends everything to the FA: local 0; (b) upload 0.6 x 4 / 4 = 0.6 s, computing 8 x 0.6 / 8 = 0.6 s;
    # (c) upload 0.4 x 4 / 4 = 0.4 s, transfer 4 x 0.4 x 0.0375 = 0.06 s, computing 8 x 0.4 x 0.225 = 0.72 s.
    np.testing.assert_allclose(result.local, [3.0, 0.0])
    np.testing.assert_allclose(result.via_ma[:, 0], [0.6, 0.0])
    np.testing.assert_allclose(result.via_fa[:, 0], [0.675, 1.2])
    np.testing.assert_allclose(result.via_aa[:, 0], [0.725, 1.18])
    np.testing.assert_allclose(result.total, [5.0, 2.38])
    np.testing.assert_allclose(result.by_composition, [0.6, 1.875, 1.905])
    # Energy: local kappa f^2 per Gcycle, 0.1 x 1 x 3 Gcycles = 0.3 J; transmission 0.2 W x (0.4 + 0.5) s.
    # WA 1: nothing local, 0.1 W x 1.0 s of upload.
    np.testing.assert_allclose(result.energy, [0.3 + 0.18, 0.1])
    assert COMPOSITIONS == ("WA->MA", "WA->FA", "WA->FA->AA")


def test_without_aas_the_fa_computes_what_it_would_forward():
    scenario = dataclasses.replace(_hand_scenario(), aa_cpu=np.zeros(0), fa_aa_rate=np.zeros((1, 0)))
    result = latency(scenario, np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([0.5]))
    # WA 0's whole task at the FA: upload 1 s in all, computing 10 / 8 = 1.25 s, half of each "forwarded".
    np.testing.assert_allclose(result.via_fa[0, 0] + result.via_aa[0, 0], 1.0 + 1.25)
    np.testing.assert_allclose(result.forward, 0.0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_latency_is_what_the_wa_cost_charges(seed):
    """sum_l o a_{n,l}(phi) (Eq. 8, from the scenario's precomputed physics) = lambda_T (T - G t_loc) +
    lambda_E (E - G e_loc) with this module's latency T and energy E."""
    scenario = ScenarioConfig(latency_weight=1.3, energy_weight=0.7).sample(seed)
    equilibrium = solve_equilibrium(scenario)
    slot = latency(scenario, equilibrium.ratios, equilibrium.overflow_share)
    cost = np.sum(equilibrium.ratios * scenario.cost_adjustment(equilibrium.overflow_share), axis=1)
    work = scenario.task_work
    expected = 1.3 * (slot.total - work * scenario.local_time_per_gcycle) + 0.7 * (
        slot.energy - work * scenario.local_energy_per_gcycle
    )
    np.testing.assert_allclose(cost, expected, rtol=1e-9, atol=1e-9)
    # The equilibrium carries the same latency.
    np.testing.assert_allclose(equilibrium.latency.total, slot.total)
    assert equilibrium.share_history.shape == (equilibrium.iterations + 1, scenario.n_fa)
    np.testing.assert_array_equal(equilibrium.share_history[-1], equilibrium.overflow_share)


def test_numpy_and_compiled_equilibria_carry_the_same_latency():
    scenario = ScenarioConfig().sample(5)
    compiled, reference = solve_equilibrium(scenario), solve_equilibrium(scenario, method="numpy")
    np.testing.assert_allclose(compiled.latency.total, reference.latency.total, rtol=1e-6)
    np.testing.assert_allclose(compiled.share_history, reference.share_history, atol=1e-9)


@pytest.mark.parametrize(
    ("ratios", "share", "field"),
    [
        (np.zeros((3, 2)), [0.0], "ratios"),
        (np.array([[0.7, 0.7], [0.0, 0.0]]), [0.0], "ratios"),
        (np.array([[-0.1, 0.0], [0.0, 0.0]]), [0.0], "ratios"),
        (np.zeros((2, 2)), [1.5], "overflow_share"),
        (np.zeros((2, 2)), [0.1, 0.2], "overflow_share"),
    ],
)
def test_bad_ratios_or_shares_are_named(ratios, share, field):
    with pytest.raises(ValueError, match=field):
        latency(_hand_scenario(), ratios, np.array(share))


def test_stackelberg_env_info_carries_latency_of_one_shape():
    env = gym.make("IoA-Stackelberg-v0")
    env.reset(seed=0)
    shapes = set()
    for _ in range(4):
        _, _, _, _, info = env.step(env.action_space.sample())
        for key, size in (("latency", 20), ("latency_by_composition", 3), ("energy", 20)):
            value = info[key]
            assert isinstance(value, np.ndarray) and value.dtype == np.float64 and value.shape == (size,)
            assert np.all(np.isfinite(value)) and np.all(value >= 0.0)
            shapes.add((key, value.shape))
        # per-WA total = local + the three compositions, summed over WAs = by composition + local
        assert info["latency"].sum() >= info["latency_by_composition"].sum() - 1e-9
    assert len(shapes) == 3


@pytest.mark.parametrize(("seed", "n_aa"), [(0, 5), (1, 5), (2, 0), (3, 1)])
def test_the_compiled_summary_is_the_numpy_latency(seed, n_aa):
    from ioa_gym.tier1.latency import slot_summary

    scenario = ScenarioConfig(n_aa=n_aa).sample(seed)
    equilibrium = solve_equilibrium(scenario)
    reference = latency(scenario, equilibrium.ratios, equilibrium.overflow_share)
    total, by_composition, energy = slot_summary(scenario, equilibrium.ratios, equilibrium.overflow_share)
    np.testing.assert_allclose(total, reference.total, rtol=1e-12)
    np.testing.assert_allclose(by_composition, reference.by_composition, rtol=1e-12)
    np.testing.assert_allclose(energy, reference.energy, rtol=1e-12)
    hand = _hand_scenario()
    ratios, share = np.array([[0.2, 0.5], [0.0, 1.0]]), np.array([0.4])
    total, by_composition, energy = slot_summary(hand, ratios, share)
    np.testing.assert_allclose(total, [5.0, 2.38])
    np.testing.assert_allclose(by_composition, [0.6, 1.875, 1.905])
    np.testing.assert_allclose(energy, [0.48, 0.1])
