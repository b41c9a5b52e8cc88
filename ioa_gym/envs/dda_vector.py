"""IoA-DDA-v0 as one batched ``gymnasium.vector.VectorEnv`` (docs/model.md, Sec. 5).

``gym.make_vec("IoA-DDA-v0", num_envs=N, vectorization_mode="vector_entry_point")`` (also for the other
IoA-DDA ids) builds ``DoubleDutchAuctionVectorEnv``: N auctioneer MDPs whose auctions tick together in one
batch, the one the mechanism declares (``Mechanism.make_batch``): for the Double Dutch Auctions a
``DoubleDutchAuctionBatch``, with no Python loop over the sub-envs in a step's ticks; for the double clock
(and any plug-in without a batch of its own) a ``LoopedAuctionBatch``, which loops over its rows.

Its transitions are those of ``gym.make_vec(..., vectorization_mode="sync")``, bit for bit: observations,
rewards, terminations, truncations (the registered ``max_episode_steps``, as ``TimeLimit`` counts them), the
scalar infos with their ``_key`` masks, and the next-step autoreset. To that end sub-env i owns a generator
seeded as ``SyncVectorEnv`` seeds its i-th env (``reset(seed=s)`` gives it s + i), draws each market from it
with the single env's own functions (``sample_tier1_market`` / ``sample_synthetic_market``, so a faster
Tier-1 solver speeds this env up too) and then the auction's rationing priorities, in the single env's
order; step sizes and the last-step observation use ``math.exp`` / ``math.log`` like the single env (NumPy's
may round differently in the last bit). Per-sub-env Python runs only when an auction starts (market,
priorities) or ends (clearing).
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ioa_gym.auctions import AuctionResult, Market, efficient_welfare, welfare_efficiency
from ioa_gym.coupling.markets import sample_synthetic_market, sample_tier1_market
from ioa_gym.envs.actions import real_array
from ioa_gym.envs.dda import (
    FINAL_INFO_BEFORE_END,
    FINAL_INFO_KEYS,
    INFO_DTYPES,
    INFO_KEYS,
    OBS_NAMES,
    RESET_OPTIONS,
    DoubleDutchAuctionEnv,
    check_market_option,
    check_reset_options,
    sample_market_coupled,
)

__all__ = ["MAX_NUM_ENVS", "DoubleDutchAuctionVectorEnv"]

_DYNAMIC = [*range(9), OBS_NAMES.index("last_step")]
"""Observation entries that change with the clocks (the others describe the market)."""
MAX_NUM_ENVS = 2**16
"""Upper bound of ``num_envs`` (65,536), from the memory of a sub-env: its generator, market, rationing
priorities, its rows of the batch and of the observations keep about 20 KB on Tier-1 markets (tracemalloc,
after reset and 100 steps: 20 KB at N = 1,024, 13 KB on synthetic markets at N = 4,096, with the compiled
batch of 5b91ac7), so 65,536 sub-envs take about 1.3 GB, 16 times issue 24's target of N = 4,096 (about 80
MB); a larger N fails here, named, instead of with a MemoryError in the batch's arrays."""


_MASKS = tuple(f"_{key}" for key in INFO_KEYS)
"""The info's masks, one per key, as ``SyncVectorEnv`` adds them."""


def _is_seed(value: Any) -> bool | np.bool_:
    """An integer >= 0 (Python or NumPy, not a bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0


class DoubleDutchAuctionVectorEnv(VectorEnv):
    """``num_envs`` IoA-DDA auctioneer MDPs stepped as one batch; the same transitions as
    ``SyncVectorEnv`` over ``gym.make("IoA-DDA-v0", **kwargs)`` (see the module docstring).

    :param num_envs: number of sub-envs, in [1, ``MAX_NUM_ENVS``].
    :param max_episode_steps: truncation limit of every episode, as the registered ``TimeLimit`` (>= 1,
        or None for none); ``gym.make_vec`` passes the registered 1000.
    :param render_mode: must be None (render a single env instead).
    :param kwargs: the options of IoA-DDA-v0 (``DDAEnvConfig`` and ``ScenarioConfig`` fields, ``scenario=``).

    ``reset(options=...)`` takes what ``SyncVectorEnv`` passes on: ``"reset_mask"`` (reset only those
    sub-envs) and ``"market"`` (every reset sub-env plays that ``Market``). Every info holds every key of
    ``INFO_KEYS`` (``DoubleDutchAuctionEnv``'s Info), one array of its dtype per key; ``last_results[i]`` is
    the ``AuctionResult`` of the last auction that ended in sub-env i (None before the first).
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not _is_seed(num_envs) or not 1 <= num_envs <= MAX_NUM_ENVS:
            raise ValueError(
                f"num_envs must be an integer in [1, {MAX_NUM_ENVS}] (MAX_NUM_ENVS: about 20 KB per sub-env, "
                f"so at most about 1.3 GB), got {num_envs!r}"
            )
        if max_episode_steps is not None and (
            isinstance(max_episode_steps, bool)
            or int(max_episode_steps) != max_episode_steps
            or max_episode_steps < 1
        ):
            raise ValueError(f"max_episode_steps must be an integer >= 1 or None, got {max_episode_steps!r}")
        if render_mode is not None:
            raise ValueError(
                f"render_mode must be None for the vector IoA-DDA env (render a single "
                f"gym.make env instead), got {render_mode!r}"
            )
        # One single env, never reset, gives the configuration, the spaces and the action scale.
        template = self._single_env = DoubleDutchAuctionEnv(**kwargs)
        self.scenario_config, self.config = template.scenario_config, template.config
        cfg = self.config
        self.num_envs = int(num_envs)
        self.max_episode_steps = None if max_episode_steps is None else int(max_episode_steps)
        self.single_observation_space = template.observation_space
        self.single_action_space = template.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        self._lower, self._upper = cfg.price_bounds
        self._span = self._upper - self._lower
        self._step_min, self._step_range = cfg.step_min, cfg.step_max - cfg.step_min
        self._log_ratio = math.log(cfg.step_max / cfg.step_min)
        self._log_scale = cfg.step_scale == "log"
        self.step_sizes = template.step_sizes
        if self.step_sizes is not None:
            # Position of each discrete step on the (log) action scale, as the single env computes it.
            self._discrete_fractions = np.array(
                [
                    math.log(step / self._step_min) / self._log_ratio if self._step_range else 0.0
                    for step in self.step_sizes.tolist()
                ]
            )

        n = self.num_envs
        self.markets: list[Market | None] = [None] * n
        """The market each sub-env's current auction runs on."""
        self.last_results: list[AuctionResult | None] = [None] * n
        """The ``AuctionResult`` of the last auction that ended in each sub-env, kept until its next one ends
        (``DoubleDutchAuctionEnv.last_result``)."""
        self.mechanism = template.mechanism
        """The auction mechanism (``ioa_gym.auctions.Mechanism``) every sub-env plays."""
        self.auctions = self.mechanism.make_batch(n, cfg.price_bounds, cfg.max_rounds)
        self._obs_index = template._obs_index
        self._rngs: list[np.random.Generator | None] = [None] * n
        self._started = False
        self._efficient_welfare = np.zeros(n)
        self._episode_steps = np.zeros(n, dtype=np.int64)
        self._autoreset = np.zeros(n, dtype=bool)
        self._new_buyers = np.zeros(n, dtype=np.int64)
        self._new_sellers = np.zeros(n, dtype=np.int64)
        self._last_step_obs = np.zeros(n)
        self._obs = np.zeros((n, len(OBS_NAMES)), np.float32)
        self._columns = np.zeros((len(_DYNAMIC), n))
        self._before_end_arrays = {
            key: np.full(n, FINAL_INFO_BEFORE_END[key], INFO_DTYPES[key]) for key in FINAL_INFO_KEYS
        }

    def step_to_action(self, step: float) -> np.ndarray | int:
        """One sub-env's action that ticks by ``step`` (``DoubleDutchAuctionEnv.step_to_action``); stack
        it ``num_envs`` times for a batch."""
        return self._single_env.step_to_action(step)

    # -- episodes --------------------------------------------------------------------------------

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every sub-env (or those of ``options["reset_mask"]``); ``seed`` as ``SyncVectorEnv`` takes
        it: None, an int (sub-env i gets seed + i) or one seed (or None) per sub-env."""
        n = self.num_envs
        if seed is None:
            seeds: list[int | None] = [None] * n
        elif _is_seed(seed):
            seeds = [int(cast("int | np.integer", seed)) + i for i in range(n)]
        else:
            seeds = list(seed) if isinstance(seed, (list, tuple, np.ndarray)) else []
            if len(seeds) != n or not all(s is None or _is_seed(s) for s in seeds):
                raise ValueError(
                    f"seed must be None, an integer >= 0 or a list of {n} seeds (each an integer >= 0 or "
                    f"None), got {seed!r}"
                )
            seeds = [None if s is None else int(s) for s in seeds]
        check_reset_options(options, (*RESET_OPTIONS, "reset_mask"))
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        if mask is None:
            mask = np.ones(n, dtype=bool)
        elif not (
            isinstance(mask, np.ndarray) and mask.shape == (n,) and mask.dtype == np.bool_ and mask.any()
        ):
            raise ValueError(
                f"options['reset_mask'] must be a bool array of shape ({n},) with at least one "
                f"True, got {mask!r}"
            )
        elif not self._started:
            raise RuntimeError("call reset() without a reset_mask first")
        market = options.get("market")
        if "market" in options:  # as the single env checks it
            check_market_option(market)

        for i in np.flatnonzero(mask).tolist():
            if seeds[i] is not None or self._rngs[i] is None:
                self._rngs[i] = seeding.np_random(seeds[i])[0]
            self._start(i, market)
        self._started = True
        self._autoreset[mask] = False
        self._observe()
        return self._observation(), self._info(self._before_end(), mask)

    def _observation(self) -> np.ndarray:
        """A copy of the observations in the variant's layout (``DoubleDutchAuctionEnv.obs_names``)."""
        return self._obs.copy() if self._obs_index is None else self._obs[:, self._obs_index]

    def _start(self, i: int, market: Market | None = None) -> None:
        """Start sub-env i's next auction: what ``DoubleDutchAuctionEnv.reset`` does after seeding."""
        cfg, rng = self.config, self._rngs[i]
        if market is None:
            assert rng is not None  # reset seeded every sub-env
            if cfg.market_source == "tier1" and cfg.coupling == "clearing":
                market = sample_market_coupled(cfg, self.scenario_config, rng)[0]
            elif cfg.market_source == "tier1":
                market = sample_tier1_market(self.scenario_config, rng, **cfg.solver)[0]
            else:
                market = sample_synthetic_market(
                    rng,
                    cfg.synthetic_buyers,
                    cfg.synthetic_sellers,
                    cfg.synthetic_units,
                    cfg.synthetic_values,
                    cfg.synthetic_costs,
                )
        self.markets[i] = market
        self.auctions.start(i, market, seed=rng)
        self._efficient_welfare[i] = efficient_welfare(market)
        self._obs[i, 9:13] = (
            min(market.n_buyers / cfg.max_buyers, 1.0),
            min(market.n_sellers / cfg.max_sellers, 1.0),
            min(market.total_buyer_units / cfg.max_units, 1.0),
            min(market.total_seller_units / cfg.max_units, 1.0),
        )
        self._episode_steps[i] = 0
        self._new_buyers[i] = self._new_sellers[i] = 0
        self._last_step_obs[i] = 0.0

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        auctions = self.auctions
        resetting = self._autoreset
        ticking = ~resetting
        steps, fractions = self._steps(actions)
        buyers, sellers = (count.copy() for count in auctions.public_counts())
        auctions.tick(steps, ticking)
        buyers_after, sellers_after = auctions.public_counts()
        self._new_buyers = buyers_after - buyers
        self._new_sellers = sellers_after - sellers
        np.copyto(self._last_step_obs, fractions, where=ticking)
        self._episode_steps += ticking

        terminated = ticking & auctions.done
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.max_episode_steps is not None:
            truncated = ticking & (self._episode_steps >= self.max_episode_steps)
        rewards = np.where(ticking, -self.config.eta, 0.0)
        outcomes = self._outcomes(np.flatnonzero(terminated).tolist(), rewards)
        for i in np.flatnonzero(resetting).tolist():
            self._start(i)
        self._autoreset = terminated | truncated
        self._observe()
        return self._observation(), rewards, terminated, truncated, self._info(outcomes)

    def _steps(self, actions: Any) -> tuple[np.ndarray, np.ndarray]:
        """Step size of each sub-env's action and its position on the action scale (the observed last
        step), computed as ``DoubleDutchAuctionEnv.step`` computes them."""
        n, space = self.num_envs, self.action_space
        # The single env's checks (ioa_gym.envs.actions), per batch: integers in range, finite entries of the
        # right shape; finite Box entries outside [-1, 1] are clipped.
        if self.step_sizes is not None:
            index = np.asarray(actions).reshape(-1)
            if index.shape != (n,) or index.dtype.kind not in "iu":
                raise ValueError(
                    f"actions must be {n} integers (a step index per sub-env; the action space is {space}), "
                    f"got {actions!r}"
                )
            n_steps = self.step_sizes.shape[0]
            bad = np.flatnonzero((index < 0) | (index >= n_steps))
            if bad.size:
                raise ValueError(
                    f"actions must lie in [0, {n_steps - 1}] (the action space is {space}; no negative "
                    f"indexing), got {index[bad[0]]} (sub-env {bad[0]})"
                )
            return self.step_sizes[index], self._discrete_fractions[index]
        raw = real_array(actions, space, "actions")
        entries = raw if raw.dtype == np.float64 else raw.astype(float)
        width = cast(spaces.Box, self.single_action_space).shape[0]  # Box whenever step_sizes is None
        if entries.shape != (n, width) and not (width == 1 and entries.shape == (n,)):
            raise ValueError(
                f"actions must have shape ({n}, {width}) (the action space is {space}), got {entries.shape}"
            )
        entries = entries.reshape(n, width)
        if not np.isfinite(entries).all():
            first_bad = int(np.flatnonzero(~np.isfinite(entries).all(axis=1))[0])
            raise ValueError(
                f"actions must be finite (the action space is {space}; finite values outside [-1, 1] are "
                f"clipped), got {entries[first_bad].tolist()} (sub-env {first_bad})"
            )
        # One entry: the step of both clocks; two (per_clock_steps): buyer clock, seller clock.
        entry = entries[:, 0] if width == 1 else np.where(self.auctions.buyer_turn, *entries.T)
        fraction = 0.5 * (np.clip(entry, -1.0, 1.0) + 1.0)
        if not self._log_scale:
            steps = self._step_min + fraction * self._step_range
            positions = (steps - self._step_min) / self._step_range if self._step_range else np.zeros(n)
            return steps, positions
        exponents = (fraction * self._log_ratio).tolist()
        steps = self._step_min * np.fromiter(map(math.exp, exponents), float, n)
        if not self._step_range:
            return steps, np.zeros(n)
        logs = np.fromiter(map(math.log, (steps / self._step_min).tolist()), float, n)
        return steps, logs / self._log_ratio

    # -- observation and info --------------------------------------------------------------------

    def _observe(self) -> None:
        """Every sub-env's observation from the auctions' state, computed in float64 and rounded to
        float32 once, as ``DoubleDutchAuctionEnv._update_obs`` computes it."""
        auctions, lower, span, columns = self.auctions, self._lower, self._span, self._columns
        buyer_price, seller_price = auctions.buyer_price, auctions.seller_price
        auctions.clock_gap(out=columns[2])
        for column, (high, low, floor) in enumerate(
            ((buyer_price, lower, 0.0), (seller_price, lower, 0.0), (None, None, -1.0))
        ):
            if high is not None:
                assert low is not None  # given with high
                np.subtract(high, low, out=columns[column])
            np.divide(columns[column], span, out=columns[column])
            np.maximum(columns[column], floor, out=columns[column])
            np.minimum(columns[column], 1.0, out=columns[column])
        columns[3] = auctions.buyer_turn
        np.divide(auctions.rounds, auctions.max_rounds, out=columns[4])
        buyer_units, seller_units = np.maximum(auctions.buyer_units, 1), np.maximum(auctions.seller_units, 1)
        buyers, sellers = auctions.public_counts()
        np.divide(buyers, buyer_units, out=columns[5])
        np.divide(sellers, seller_units, out=columns[6])
        np.divide(self._new_buyers, buyer_units, out=columns[7])
        np.divide(self._new_sellers, seller_units, out=columns[8])
        columns[9] = self._last_step_obs
        self._obs[:, _DYNAMIC] = columns.T

    def _before_end(self) -> dict[str, np.ndarray]:
        """``FINAL_INFO_KEYS`` of sub-envs whose auction has not ended, batched (fresh arrays)."""
        return {key: values.copy() for key, values in self._before_end_arrays.items()}

    def _info(self, outcomes: dict[str, np.ndarray], rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Every info key (the clocks' now, and ``outcomes``) batched as ``SyncVectorEnv`` batches the single
        env's infos, for ``rows`` (default all; the others hold zeros and a False mask, as after a partial
        reset)."""
        auctions = self.auctions
        info = {
            "buyer_price": auctions.buyer_price.copy(),
            "seller_price": auctions.seller_price.copy(),
            "round": auctions.rounds.copy(),
            "active_clock": auctions.buyer_turn.astype(np.int64),  # 1 the buyer clock, 0 the seller clock
            **outcomes,
        }
        if rows is None:
            rows = np.ones(self.num_envs, dtype=bool)
        else:
            for values in info.values():
                values[~rows] = 0
        return {**info, **{mask: rows.copy() for mask in _MASKS}}

    def _outcomes(self, ended: list[int], rewards: np.ndarray) -> dict[str, np.ndarray]:
        """Clear the auctions of the ``ended`` sub-envs, keep their results (``last_results``), add their
        efficiency to ``rewards``, and return ``FINAL_INFO_KEYS`` batched (the others' before the end)."""
        outcomes = self._before_end()
        for i in ended:
            result = self.last_results[i] = self.auctions.result(i)
            efficiency = welfare_efficiency(result.social_welfare, self._efficient_welfare[i])
            rewards[i] += efficiency
            values = (
                True,
                self.auctions.closing_price[i],
                result.units_traded,
                result.social_welfare,
                self._efficient_welfare[i],
                efficiency,
                result.rounds,
                result.crossed,
                result.individually_rational,
                result.budget_balanced,
            )
            for key, value in zip(FINAL_INFO_KEYS, values, strict=True):
                outcomes[key][i] = value
        return outcomes
