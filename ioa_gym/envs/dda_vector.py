"""IoA-DDA-v0 as one batched ``gymnasium.vector.VectorEnv`` (docs/model.md, Sec. 5).

``gym.make_vec("IoA-DDA-v0", num_envs=N, vectorization_mode="vector_entry_point")`` (also for the other
IoA-DDA ids) builds ``DoubleDutchAuctionVectorEnv``: N auctioneer MDPs whose auctions tick together in one
batch, the one the mechanism declares (``Mechanism.make_batch``): for the Double Dutch Auctions a compiled
``DoubleDutchAuctionBatch``; for the double clock (and any plug-in without a batch of its own) a
``LoopedAuctionBatch``, which loops over its rows.

Its transitions are those of ``gym.make_vec(..., vectorization_mode="sync")`` in the same autoreset mode, bit
for bit: observations, rewards, terminations, truncations (the registered ``max_episode_steps``, as
``TimeLimit`` counts them), the infos with their ``_key`` masks (and ``final_obs`` / ``final_info`` in
same-step mode), and ``last_results``. To that end sub-env i owns a generator seeded as ``SyncVectorEnv``
seeds its i-th env (``reset(seed=s)`` gives it s + i) and draws each market and then its auction's rationing
priorities from it, draw for draw as the single env. The sub-envs that reset together are handled at once:
their markets drawn in one compiled call (synthetic markets and the slot store: ``sample_synthetic_markets``,
``SlotStore.sample_many``) or, for Tier-1 slots (the default), in a few compiled calls over the batch per
attempt (``sample_tier1_market_arrays``: every stream's draws from the typed list of generators, their physics
and their solve over all cores, their markets built and checked for tradability; only the untradable streams
are drawn again, a loop over attempts, not over sub-envs), their auctions started and the ended ones cleared
in one call each (``AuctionBatch.start_many`` / ``clear_many``), the actions' steps and the observations
computed by compiled loops (``_dda_vector_kernel``, ``math.exp`` / ``math.log`` like the single env); a step
runs no Python loop over the sub-envs, except these: ``coupling="clearing"`` couples each slot's tiers per
sub-env, same-step mode fills its ``final_obs`` object array per ended sub-env, and the
``LoopedAuctionBatch`` of other mechanisms loops over its rows. The ``Market`` and ``AuctionResult``
objects of ``markets`` and ``last_results`` are built when read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ioa_gym.auctions import Market
from ioa_gym.auctions.batch import RowResults
from ioa_gym.auctions.market import MarketArrays, generator_list
from ioa_gym.coupling.markets import (
    sample_synthetic_markets,
    sample_tier1_market_arrays,
    sample_tier1_markets,
)
from ioa_gym.coupling.store import SlotStore
from ioa_gym.envs import _dda_vector_kernel as kernel
from ioa_gym.envs.actions import real_array
from ioa_gym.envs.dda import (
    FINAL_INFO_BEFORE_END,
    INFO_KEYS,
    OBS_NAMES,
    RESET_OPTIONS,
    DoubleDutchAuctionEnv,
    check_market_option,
    check_reset_options,
    sample_market_coupled,
)
from ioa_gym.envs.dda_config import load_slot_store
from ioa_gym.envs.history import ObservationHistory

__all__ = ["AUTORESET_MODES", "MAX_NUM_ENVS", "DoubleDutchAuctionVectorEnv", "parse_autoreset_mode"]

MAX_NUM_ENVS = 2**16
"""Upper bound of ``num_envs`` (65,536), from the memory of a sub-env: its generator, market, rationing
priorities, its rows of the batch and of the observations keep about 20 KB on Tier-1 markets (tracemalloc,
after reset and 100 steps: 20 KB at N = 1,024, 13 KB on synthetic markets at N = 4,096, with the compiled
batch of 5b91ac7), so 65,536 sub-envs take about 1.3 GB, 16 times issue 24's target of N = 4,096 (about 80
MB); a larger N fails here, named, instead of with a MemoryError in the batch's arrays."""
AUTORESET_MODES = (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED)
"""The autoreset modes of the native env (``autoreset_mode=``: an ``AutoresetMode``, its value or its
name)."""

_FLOAT_KEYS = (
    "buyer_price",
    "seller_price",
    "clearing_price",
    "social_welfare",
    "efficient_welfare",
    "efficiency",
)
_INT_KEYS = ("round", "active_clock", "units_traded", "rounds")
_BOOL_KEYS = ("auction_ended", "crossed", "individually_rational", "budget_balanced")
"""The info keys by dtype, in the order of ``_dda_vector_kernel.fill_info``'s rows."""
assert sorted((*_FLOAT_KEYS, *_INT_KEYS, *_BOOL_KEYS)) == sorted(INFO_KEYS)
_KEYS = (*_FLOAT_KEYS, *_INT_KEYS, *_BOOL_KEYS, *(f"_{key}" for key in INFO_KEYS))
"""Every key of a batched info: the values, then their masks (as ``SyncVectorEnv`` adds them)."""
_BEFORE_END = (
    np.array([FINAL_INFO_BEFORE_END[key] for key in _FLOAT_KEYS[2:]], dtype=np.float64),
    np.array([FINAL_INFO_BEFORE_END[key] for key in _INT_KEYS[2:]], dtype=np.int64),
    np.array([FINAL_INFO_BEFORE_END[key] for key in _BOOL_KEYS], dtype=np.bool_),
)
"""The outcome keys' values before the end, by dtype."""
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
"""Action dtypes the compiled step conversion reads as they are."""


def _is_seed(value: Any) -> bool | np.bool_:
    """An integer >= 0 (Python or NumPy, not a bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0


def parse_autoreset_mode(
    mode: Any, allowed: tuple[AutoresetMode, ...] = AUTORESET_MODES, hint: str = ""
) -> AutoresetMode:
    """``autoreset_mode=``: an ``AutoresetMode``, its value or its name in any case ("SameStep", "same_step"),
    one of ``allowed`` (else ValueError naming the choices, then ``hint``)."""
    parsed = None
    if isinstance(mode, AutoresetMode):
        parsed = mode
    elif isinstance(mode, str):
        parsed = next((m for m in AutoresetMode if mode.replace("_", "").lower() == m.value.lower()), None)
    if parsed is None or parsed not in allowed:
        raise ValueError(
            f"autoreset_mode must be one of {[m.value for m in allowed]} (gymnasium.vector."
            f"AutoresetMode, or its value or name), got {mode!r}{hint}"
        )
    return parsed


class DoubleDutchAuctionVectorEnv(VectorEnv):
    """``num_envs`` IoA-DDA auctioneer MDPs stepped as one batch; the same transitions as
    ``SyncVectorEnv`` over ``gym.make("IoA-DDA-v0", **kwargs)`` in the same autoreset mode (see the module
    docstring).

    :param num_envs: number of sub-envs, in [1, ``MAX_NUM_ENVS``].
    :param max_episode_steps: truncation limit of every episode, as the registered ``TimeLimit`` (>= 1,
        or None for none); ``gym.make_vec`` passes the registered 1000.
    :param render_mode: must be None (render a single env instead).
    :param autoreset_mode: ``AutoresetMode.NEXT_STEP`` (default), ``SAME_STEP`` or ``DISABLED`` (or its value
        or name: ``"SameStep"``, ``"same_step"``), as ``SyncVectorEnv``'s ``autoreset_mode``; reported in
        ``metadata["autoreset_mode"]``.
        ``gym.make_vec`` passes it among the env options (``gym.make_vec(id, n, autoreset_mode=...)``): a
        vector entry point takes no ``vector_kwargs``.
    :param kwargs: the options of IoA-DDA-v0 (``DDAEnvConfig`` and ``ScenarioConfig`` fields, ``scenario=``).

    ``reset(options=...)`` takes what ``SyncVectorEnv`` passes on: ``"reset_mask"`` (reset only those
    sub-envs) and ``"market"`` (every reset sub-env plays that ``Market``). Every info holds every key of
    ``INFO_KEYS`` (``DoubleDutchAuctionEnv``'s Info), one array of its dtype per key; in same-step mode the
    step on which sub-envs end adds ``final_obs`` (an object array of their last observations) and
    ``final_info`` (their last infos, batched), and the other keys are their reset's. ``last_results[i]`` is
    the ``AuctionResult`` of the last auction that ended in sub-env i (None before the first); ``markets[i]``
    the market of its current auction. In disabled mode a sub-env that ended must be reset (``reset_mask``)
    before the next step (else RuntimeError).
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
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
        self.autoreset_mode = parse_autoreset_mode(autoreset_mode)
        self.metadata = {**type(self).metadata, "autoreset_mode": self.autoreset_mode}
        # One single env, never reset, gives the configuration, the spaces and the action scale.
        template = self._single_env = DoubleDutchAuctionEnv(**kwargs)
        self.scenario_config, self.config = template.scenario_config, template.config
        cfg = self.config
        self.num_envs = n = int(num_envs)
        self.max_episode_steps = None if max_episode_steps is None else int(max_episode_steps)
        self.single_observation_space = template.observation_space
        self.single_action_space = template.action_space
        self.observation_space = batch_space(self.single_observation_space, n)
        self.action_space = batch_space(self.single_action_space, n)

        self._lower, self._upper = cfg.price_bounds
        self._span = self._upper - self._lower
        self._step_min, self._step_range = cfg.step_min, cfg.step_max - cfg.step_min
        self._log_ratio = math.log(cfg.step_max / cfg.step_min)
        self._log_scale = cfg.step_scale == "log"
        self._width = (
            0 if template.step_sizes is not None else cast(spaces.Box, template.action_space).shape[0]
        )
        self.step_sizes = template.step_sizes
        if self.step_sizes is not None:
            # Position of each discrete step on the (log) action scale, as the single env computes it.
            self._discrete_fractions = np.array(
                [
                    math.log(step / self._step_min) / self._log_ratio if self._step_range else 0.0
                    for step in self.step_sizes.tolist()
                ]
            )
        self._market_scale = np.array([cfg.max_buyers, cfg.max_sellers, cfg.max_units, cfg.max_units])

        self.mechanism = template.mechanism
        """The auction mechanism (``ioa_gym.auctions.Mechanism``) every sub-env plays."""
        self.auctions = self.mechanism.make_batch(n, cfg.price_bounds, cfg.max_rounds)
        self._last_results = RowResults(n)
        self._obs_index = template._obs_index
        self._history = (
            None
            if cfg.history_length == 1
            else ObservationHistory(n, cfg.history_length, len(template.obs_names) // cfg.history_length)
        )
        """The sub-envs' windows of observations (``history_length`` > 1), else None."""
        self._rngs: list[np.random.Generator | None] = [None] * n
        self._typed_rngs: Any = None
        """The same generators as a numba typed list, what the compiled samplers and batch draw from."""
        self._store: SlotStore | None = None
        self._started = False
        self._efficient_welfare = np.zeros(n)
        self._episode_steps = np.zeros(n, dtype=np.int64)
        self._autoreset = np.zeros(n, dtype=bool)
        self._n_resetting = 0
        """How many sub-envs ``_autoreset`` marks: they ended in the last step, and next-step mode resets them
        in the next."""
        self._before = np.zeros((2, n), dtype=np.int64)
        """Units each side had counted before the last tick (so that the last tick's count is observed)."""
        self._last_step_obs = np.zeros(n)
        self._obs = np.zeros((n, len(OBS_NAMES)), np.float32)
        self._gap = np.zeros(n)
        self._all = np.ones(n, dtype=bool)
        none, nothing = np.zeros(0, dtype=np.int64), np.zeros(0)
        self._no_outcome = (none, none, nothing, self._all[:0], self._all[:0], none, self._all[:0])
        """What ``fill_info`` takes for no ended sub-env."""

    @property
    def markets(self) -> Sequence[Market | None]:
        """The market each sub-env's current auction runs on (a read-only sequence; each ``Market`` built
        when read)."""
        return self.auctions.markets

    @property
    def last_results(self) -> RowResults:
        """The ``AuctionResult`` of the last auction that ended in each sub-env, kept until its next one ends
        (``DoubleDutchAuctionEnv.last_result``; a read-only sequence, each result built when read)."""
        return self._last_results

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
        seeds = self._seeds(seed)
        check_reset_options(options, (*RESET_OPTIONS, "reset_mask"))
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        if mask is None:
            mask = self._all
        elif not (
            isinstance(mask, np.ndarray)
            and mask.shape == (self.num_envs,)
            and mask.dtype == np.bool_
            and mask.any()
        ):
            raise ValueError(
                f"options['reset_mask'] must be a bool array of shape ({self.num_envs},) with at least one "
                f"True, got {mask!r}"
            )
        elif not self._started:
            raise RuntimeError("call reset() without a reset_mask first")
        market = options.get("market")
        if "market" in options:  # as the single env checks it
            check_market_option(market)
        rows = mask.nonzero()[0]
        self._seed(seeds, rows)
        self._start(rows, market)
        self._started = True
        self._autoreset[rows] = False
        self._n_resetting = int(np.count_nonzero(self._autoreset))
        self._observe()
        if self._history is None:
            return self._observation(), self._info(rows=mask)
        self._history.fill(rows, self._observation()[rows])
        return self._history.stacked(), self._info(rows=mask)

    def _seeds(self, seed: Any) -> list[int | None] | None:
        """``reset``'s seed as one seed (or None) per sub-env, or None for no seed at all."""
        n = self.num_envs
        if seed is None:
            return None
        if _is_seed(seed):
            return [int(seed) + i for i in range(n)]
        seeds = list(seed) if isinstance(seed, (list, tuple, np.ndarray)) else []
        if len(seeds) != n or not all(s is None or _is_seed(s) for s in seeds):
            raise ValueError(
                f"seed must be None, an integer >= 0 or a list of {n} seeds (each an integer >= 0 or "
                f"None), got {seed!r}"
            )
        return [None if s is None else int(s) for s in seeds]

    def _seed(self, seeds: list[int | None] | None, rows: np.ndarray) -> None:
        """New generators for the sub-envs of ``rows`` given a seed, and for those that have none yet (as the
        single env's ``reset(seed=...)`` makes them); the typed list follows."""
        if seeds is None and self._typed_rngs is not None:
            return  # every sub-env keeps its generator
        changed = [
            i for i in rows.tolist() if (seeds is not None and seeds[i] is not None) or self._rngs[i] is None
        ]
        for i in changed:
            self._rngs[i] = seeding.np_random(None if seeds is None else seeds[i])[0]
        if self._typed_rngs is None or 2 * len(changed) > self.num_envs:
            self._typed_rngs = generator_list(cast("list[np.random.Generator]", self._rngs))
        else:
            for i in changed:
                self._typed_rngs[i] = self._rngs[i]

    def _observation(self) -> np.ndarray:
        """A copy of the observations in the variant's layout (``DoubleDutchAuctionEnv.obs_names``)."""
        return self._obs.copy() if self._obs_index is None else self._obs[:, self._obs_index]

    def _draw_markets(self, rows: np.ndarray) -> MarketArrays | list[Market]:
        """The next market of each sub-env of ``rows``, each drawn from its own generator as the single env's
        ``_sample_market`` draws it."""
        cfg = self.config
        if cfg.slot_store is not False:
            if self._store is None:
                self._store = load_slot_store(cfg, self.scenario_config)
            return self._store.sample_many(self._typed_rngs, rows)
        if cfg.market_source == "synthetic":
            return sample_synthetic_markets(
                self._typed_rngs,
                rows,
                cfg.synthetic_buyers,
                cfg.synthetic_sellers,
                cfg.synthetic_units,
                cfg.synthetic_values,
                cfg.synthetic_costs,
            )
        if cfg.coupling == "clearing":
            rngs = [cast(np.random.Generator, self._rngs[i]) for i in rows.tolist()]
            return [sample_market_coupled(cfg, self.scenario_config, rng)[0] for rng in rngs]
        if cfg.solver.get("method", "compiled") != "compiled":  # the NumPy reference: one slot at a time
            rngs = [cast(np.random.Generator, self._rngs[i]) for i in rows.tolist()]
            return sample_tier1_markets(self.scenario_config, rngs, **cfg.solver)
        return sample_tier1_market_arrays(self.scenario_config, self._typed_rngs, rows, **cfg.solver)

    def _start(self, rows: np.ndarray, market: Market | None = None) -> None:
        """Start the next auction of the sub-envs of ``rows``: what ``DoubleDutchAuctionEnv.reset`` does
        after seeding, for all of them at once."""
        markets = self._draw_markets(rows) if market is None else [market] * rows.shape[0]
        self._efficient_welfare[rows] = self.auctions.start_many(rows, markets, self._typed_rngs, rows)
        if isinstance(markets, MarketArrays):
            sizes = markets.sizes
        else:
            sizes = np.array(
                [(m.n_buyers, m.n_sellers, m.total_buyer_units, m.total_seller_units) for m in markets],
                dtype=np.int64,
            )
        kernel.started(
            rows,
            sizes,
            self._market_scale,
            self._obs,
            self._episode_steps,
            self.auctions.public_counts(),
            self._before,
            self._last_step_obs,
        )

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        mode, auctions = self.autoreset_mode, self.auctions
        resetting = self._autoreset
        if mode == AutoresetMode.DISABLED and self._n_resetting:
            raise RuntimeError(
                f"sub-envs {resetting.nonzero()[0].tolist()} have ended and autoreset_mode is disabled: "
                "reset them (reset(options={'reset_mask': mask})) before the next step"
            )
        ticking = ~resetting if mode == AutoresetMode.NEXT_STEP else self._all
        steps, positions = self._steps(actions)
        buyers, sellers = auctions.public_counts()
        np.copyto(self._before[0], buyers)
        np.copyto(self._before[1], sellers)
        auctions.tick(steps, ticking)
        n = self.num_envs
        terminated, truncated, ended = (
            np.empty(n, dtype=bool),
            np.empty(n, dtype=bool),
            np.empty(n, dtype=bool),
        )
        rewards = np.empty(n)
        n_terminated, n_ended = kernel.advance(
            ticking,
            positions,
            auctions.done,
            self.max_episode_steps or 0,
            self.config.eta,
            (self._last_step_obs, self._episode_steps),
            (terminated, truncated, ended, rewards),
        )
        outcome = self._clear(terminated.nonzero()[0]) if n_terminated else self._no_outcome
        if mode == AutoresetMode.SAME_STEP:
            return self._same_step_reset(rewards, terminated, truncated, outcome, ended if n_ended else None)
        if mode == AutoresetMode.NEXT_STEP and self._n_resetting:
            self._start(resetting.nonzero()[0])
        if self._history is None:
            obs = self._autoreset_observe(ended, n_ended)
        elif mode == AutoresetMode.NEXT_STEP and self._n_resetting:
            rows = resetting.nonzero()[0]
            frames = self._autoreset_observe(ended, n_ended)
            self._history.push(ticking, frames[ticking])
            self._history.fill(rows, frames[rows])
            obs = self._history.stacked()
        else:
            self._history.push(None, self._autoreset_observe(ended, n_ended))
            obs = self._history.stacked()
        return obs, rewards, terminated, truncated, self._info(outcome, rewards)

    def _autoreset_observe(self, ended: np.ndarray, n_ended: int) -> np.ndarray:
        """Mark the sub-envs that ended for next-step autoreset and observe every sub-env."""
        self._autoreset, self._n_resetting = ended, n_ended
        self._observe()
        return self._observation()

    def _same_step_reset(
        self,
        rewards: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray,
        outcome: tuple[np.ndarray, ...],
        ended: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Same-step autoreset, as ``SyncVectorEnv`` does it: the sub-envs that ended (``ended``; None: none)
        report their last observation and info under ``final_obs`` / ``final_info`` and start their next
        auction now."""
        self._observe()
        history = self._history
        if history is not None:
            history.push(None, self._observation())
        if ended is None:
            obs = self._observation() if history is None else history.stacked()
            return obs, rewards, terminated, truncated, self._info(outcome, rewards)
        rows = ended.nonzero()[0]
        last_obs = self._observation() if history is None else history.stacked()
        final_info = self._info(outcome, rewards, rows=ended)
        final_obs = np.full(self.num_envs, None, dtype=object)
        for i in rows.tolist():  # one array per ended sub-env, as Gymnasium's info holds them
            final_obs[i] = last_obs[i]
        self._start(rows)
        self._observe()
        info: dict[str, Any] = self._info()
        info.update(final_obs=final_obs, _final_obs=ended, final_info=final_info, _final_info=ended.copy())
        if history is None:
            return self._observation(), rewards, terminated, truncated, info
        history.fill(rows, self._observation()[rows])
        return history.stacked(), rewards, terminated, truncated, info

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
        width = self._width
        if isinstance(actions, np.ndarray) and actions.shape == (n, width) and actions.dtype in _FLOATS:
            entries = actions  # the usual batch: no conversion (the kernel reads float32 or float64)
        else:
            raw = real_array(actions, space, "actions")
            entries = raw if raw.dtype == np.float64 else raw.astype(float)
            if entries.shape != (n, width) and not (width == 1 and entries.shape == (n,)):
                raise ValueError(
                    f"actions must have shape ({n}, {width}) (the action space is {space}), got "
                    f"{entries.shape}"
                )
            entries = entries.reshape(n, width)
        # One entry: the step of both clocks; two (per_clock_steps): buyer clock, seller clock.
        steps, positions, first_bad = kernel.box_steps(
            entries,
            self.auctions.buyer_turn,
            self._log_scale,
            self._step_min,
            self._step_range,
            self._log_ratio,
        )
        if first_bad >= 0:
            raise ValueError(
                f"actions must be finite (the action space is {space}; finite values outside [-1, 1] are "
                f"clipped), got {entries[first_bad].tolist()} (sub-env {first_bad})"
            )
        return steps, positions

    # -- observation and info --------------------------------------------------------------------

    def _observe(self) -> None:
        """Every sub-env's observation from the auctions' state, computed in float64 and rounded to
        float32 once, as ``DoubleDutchAuctionEnv._update_obs`` computes it."""
        auctions = self.auctions
        buyers, sellers = auctions.public_counts()
        clocks = (
            auctions.buyer_price,
            auctions.seller_price,
            auctions.clock_gap(out=self._gap),
            auctions.buyer_turn,
            auctions.rounds,
            self._last_step_obs,
        )
        counts = (
            buyers,
            sellers,
            self._before[0],
            self._before[1],
            auctions.buyer_units,
            auctions.seller_units,
        )
        kernel.observe(self._obs, clocks, counts, auctions.max_rounds, self._lower, self._span)

    def _clear(self, ended: np.ndarray) -> tuple[np.ndarray, ...]:
        """Clear the auctions of the ``ended`` sub-envs and keep their results (``last_results``); their
        outcome as ``fill_info`` takes it."""
        if not ended.size:
            return self._no_outcome
        cleared = self.auctions.clear_many(ended)
        self._last_results.keep(ended, cleared)
        return (
            ended,
            cleared.units_traded,
            cleared.social_welfare,
            cleared.individually_rational,
            cleared.budget_balanced,
            cleared.rounds,
            cleared.crossed,
        )

    def _info(
        self,
        outcome: tuple[np.ndarray, ...] | None = None,
        rewards: np.ndarray | None = None,
        rows: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Every info key batched as ``SyncVectorEnv`` batches the single env's infos: the clocks' now, the
        outcome of the sub-envs that ended (``outcome``, whose efficiency is added to ``rewards``) and the
        values before the end for the others; for ``rows`` (default all: the others hold zeros and a False
        mask, as after a partial reset). One array per dtype holds them all, one row per key."""
        n, auctions = self.num_envs, self.auctions
        floats = np.empty((len(_FLOAT_KEYS), n))
        ints = np.empty((len(_INT_KEYS), n), dtype=np.int64)
        bools = np.empty((len(_BOOL_KEYS) + len(INFO_KEYS), n), dtype=bool)
        kernel.fill_info(
            floats,
            ints,
            bools,
            (auctions.buyer_price, auctions.seller_price, auctions.rounds, auctions.buyer_turn),
            self._all if rows is None else rows,
            _BEFORE_END,
            (*(outcome or self._no_outcome), auctions.closing_price, self._efficient_welfare),
            self._efficient_welfare if rewards is None else rewards,  # untouched without an outcome
        )
        return dict(zip(_KEYS, [*floats, *ints, *bools], strict=True))
