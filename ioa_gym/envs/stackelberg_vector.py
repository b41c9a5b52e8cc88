"""IoA-Stackelberg-v0 as one batched ``gymnasium.vector.VectorEnv`` (docs/model.md, Sec. 6).

``gym.make_vec("IoA-Stackelberg-v0", num_envs=N)`` (the id's ``vector_entry_point``, Gymnasium's default mode
for it) builds ``StackelbergPricingVectorEnv``: N pricing MDPs whose slots live in one
``ioa_gym.tier1.pricing.SlotBatch``. A step draws nothing in Python but each sub-env's two calls of its
generator per slot; the other leaders' and the agent's best responses, the outcome, the latency and the next
slots' physics of all sub-envs run in one compiled call each, spread over the CPU cores (numba's ``prange``,
without the GIL), and so do the first slots' equilibria of the sub-envs that reset.

Its transitions are those of ``gym.make_vec(..., vectorization_mode="sync")``, bit for bit: observations,
rewards, terminations (never), truncations (the registered ``max_episode_steps``, as ``TimeLimit`` counts
them), infos with their ``_key`` masks, partial resets and the next-step autoreset. Sub-env i owns a
generator seeded as ``SyncVectorEnv`` seeds its i-th env (``reset(seed=s)`` gives it s + i) and draws its
slots from it in the single env's order. The single env's ``EndedEpisodeGuard`` has no counterpart here:
a vector env never steps an ended episode, since the step after an episode's end resets that sub-env
(next-step autoreset, reward 0), as the sync vector env's autoreset does.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ioa_gym.envs.actions import real_array
from ioa_gym.envs.dda import check_reset_options
from ioa_gym.envs.dda_vector import parse_autoreset_mode
from ioa_gym.envs.stackelberg import REWARD_FLOOR, StackelbergPricingEnv
from ioa_gym.tier1.pricing import SlotBatch

__all__ = ["INFO_KEYS", "MAX_NUM_ENVS", "StackelbergPricingVectorEnv"]

INFO_KEYS = (
    "prices",
    "ratios",
    "loads",
    "utilities",
    "agent_utility",
    "best_response_price",
    "best_response_utility",
    "overflow_share",
    "latency",
    "latency_by_composition",
    "energy",
)
"""The keys of every info of IoA-Stackelberg-v0, in the single env's order."""
MAX_NUM_ENVS = 2**16
"""Upper bound of ``num_envs`` (65,536): a sub-env keeps its generator and one slot's arrays (about 12 KB on
the default scenario, more on larger ones), so 65,536 take about 1 GB; a larger N fails here, named, instead
of with a MemoryError in the batch's arrays."""


def _is_seed(value: Any) -> bool:
    """An integer >= 0 (Python or NumPy, not a bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and bool(value >= 0)


class StackelbergPricingVectorEnv(VectorEnv):
    """``num_envs`` IoA-Stackelberg-v0 pricing MDPs stepped as one batch; the same transitions as
    ``SyncVectorEnv`` over ``gym.make("IoA-Stackelberg-v0", **kwargs)`` (see the module docstring).

    :param num_envs: number of sub-envs, in [1, ``MAX_NUM_ENVS``].
    :param max_episode_steps: truncation limit of every episode, as the registered ``TimeLimit`` (>= 1, or
        None for none); ``gym.make_vec`` passes the registered 50.
    :param render_mode: must be None (render a single env instead).
    :param kwargs: the options of IoA-Stackelberg-v0 (``leader``, ``scenario=``, ``ScenarioConfig`` fields).

    ``reset(options=...)`` takes ``"reset_mask"`` (reset only those sub-envs), as ``SyncVectorEnv`` passes it
    on; every info holds every key of ``INFO_KEYS``, one float64 array per key with a first axis of sub-envs.
    ``prices``, ``overflow_share`` and ``loads`` hold each sub-env's previous slot's (what its next
    observation shows); ``slots`` the current slots.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        autoreset_mode: Any = AutoresetMode.NEXT_STEP,
        **kwargs: Any,
    ) -> None:
        parse_autoreset_mode(
            autoreset_mode,
            (AutoresetMode.NEXT_STEP,),
            "; the native IoA-Stackelberg vector env autoresets in next-step mode only: for another mode use "
            "gym.make_vec(..., vectorization_mode='sync', vector_kwargs={'autoreset_mode': mode})",
        )
        if not _is_seed(num_envs) or not 1 <= num_envs <= MAX_NUM_ENVS:
            raise ValueError(
                f"num_envs must be an integer in [1, {MAX_NUM_ENVS}] "
                f"(MAX_NUM_ENVS: about 12 KB per sub-env), got {num_envs!r}"
            )
        if max_episode_steps is not None and (not _is_seed(max_episode_steps) or max_episode_steps < 1):
            raise ValueError(f"max_episode_steps must be an integer >= 1 or None, got {max_episode_steps!r}")
        if render_mode is not None:
            raise ValueError(
                f"render_mode must be None for the vector IoA-Stackelberg env (render a single gym.make env "
                f"instead), got {render_mode!r}"
            )
        # One single env, never reset, checks the options and gives the configuration and the spaces.
        template = self._single_env = StackelbergPricingEnv(**kwargs)
        self.scenario_config = cfg = template.scenario_config
        self.leader = template.leader
        self.num_envs = n = int(num_envs)
        self.max_episode_steps = None if max_episode_steps is None else int(max_episode_steps)
        self.single_observation_space = template.observation_space
        self.single_action_space = template.action_space
        self.observation_space = batch_space(self.single_observation_space, n)
        self.action_space = batch_space(self.single_action_space, n)
        self.slots = SlotBatch(cfg, n)
        """Each sub-env's current slot (``ioa_gym.tier1.pricing.SlotBatch``, one row per sub-env)."""
        self.prices = np.zeros((n, cfg.n_leaders))
        self.overflow_share = np.zeros((n, cfg.n_fa))
        self.loads = np.zeros((n, cfg.n_leaders))
        self._others = np.array([k for k in range(cfg.n_leaders) if k != self.leader], dtype=np.intp)
        self._max_work = cfg.task_data_range[1] * cfg.task_intensity_range[1]
        self._rngs: list[np.random.Generator | None] = [None] * n
        self._started = False
        self._episode_steps = np.zeros(n, dtype=np.int64)
        self._autoreset = np.zeros(n, dtype=bool)

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
        check_reset_options(options, ("reset_mask",))
        mask = (options or {}).get("reset_mask")
        if mask is None:
            mask = np.ones(n, dtype=bool)
        elif not (
            isinstance(mask, np.ndarray) and mask.shape == (n,) and mask.dtype == np.bool_ and mask.any()
        ):
            raise ValueError(
                f"options['reset_mask'] must be a bool array of shape ({n},) with at least one True, "
                f"got {mask!r}"
            )
        elif not self._started:
            raise RuntimeError("call reset() without a reset_mask first")
        rows = np.flatnonzero(mask)
        for i in rows.tolist():
            if seeds[i] is not None or self._rngs[i] is None:
                self._rngs[i] = seeding.np_random(seeds[i])[0]
        info = self._empty_info()
        self._start(rows, info)
        self._started = True
        self._autoreset[mask] = False
        return self._observe(), self._with_masks(info, mask)

    def _start(self, rows: np.ndarray, info: dict[str, np.ndarray]) -> None:
        """Reset sub-envs ``rows`` as ``StackelbergPricingEnv.reset`` does after seeding: a first slot and its
        equilibrium (the previous prices of the first step, and reset's info), then the first step's slot."""
        if not rows.size:
            return
        rngs = [self._rng(i) for i in rows.tolist()]
        first = SlotBatch(self.scenario_config, rows.size)
        everyone = np.arange(rows.size)
        first.sample(rngs, everyone)
        prices, shares, ratios, loads, utilities = first.equilibria(everyone)
        me = self.leader
        self._write_info(
            info,
            rows,
            (prices, ratios, loads, utilities, utilities[:, me], prices[:, me], utilities[:, me], shares),
            first.latencies(everyone, ratios, shares),
        )
        self.prices[rows], self.overflow_share[rows], self.loads[rows] = prices, shares, loads
        self.slots.sample(rngs, rows)
        self._episode_steps[rows] = 0

    def _rng(self, i: int) -> np.random.Generator:
        rng = self._rngs[i]
        assert rng is not None  # reset seeded every sub-env
        return rng

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        entries = self._entries(actions)
        resetting = self._autoreset
        rows = np.flatnonzero(~resetting)
        rewards = np.zeros(self.num_envs)
        info = self._empty_info()
        if rows.size:
            rewards[rows] = self._step_rows(rows, entries[rows], info)
        self._episode_steps[rows] += 1
        self._start(np.flatnonzero(resetting), info)
        terminated = np.zeros(self.num_envs, dtype=bool)
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.max_episode_steps is not None:
            truncated[rows] = self._episode_steps[rows] >= self.max_episode_steps
        self._autoreset = terminated | truncated
        return self._observe(), rewards, terminated, truncated, self._with_masks(info)

    def _entries(self, actions: Any) -> np.ndarray:
        """Each sub-env's action entry, checked as the single env checks one (``ioa_gym.envs.actions``): real,
        of the batch's shape (or one number per sub-env), finite; clipping comes with the price."""
        n, space = self.num_envs, self.action_space
        raw = real_array(actions, space, "actions")
        entries = raw if raw.dtype == np.float64 else raw.astype(float)
        if entries.shape not in ((n, 1), (n,)):
            raise ValueError(
                f"actions must have shape ({n}, 1) (the action space is {space}), got {entries.shape}"
            )
        entries = entries.reshape(n)
        if not np.isfinite(entries).all():
            first_bad = int(np.flatnonzero(~np.isfinite(entries))[0])
            raise ValueError(
                f"actions must be finite (the action space is {space}; finite values outside [-1, 1] are "
                f"clipped), got {entries[first_bad]} (sub-env {first_bad})"
            )
        return entries

    def _step_rows(self, rows: np.ndarray, entries: np.ndarray, info: dict[str, np.ndarray]) -> np.ndarray:
        """``StackelbergPricingEnv.step`` of sub-envs ``rows`` (their action entries, finite): the pricing
        steps, rewards and infos, the state for the next observation and the next slots; returns the
        rewards."""
        cfg, me, slots = self.scenario_config, self.leader, self.slots
        # action_to_price: the entry clipped to [-1, 1] (np.clip of finite numbers), mapped to [c_l, p_max].
        a = np.clip(entries, -1.0, 1.0)
        low = slots.physics["leader_unit_cost"][rows, me]
        agent_prices = low + 0.5 * (a + 1.0) * (cfg.max_price - low)
        posted, best_price, best_utility, ratios, loads, utilities, shares = slots.pricing_steps(
            rows, self.prices[rows], self.overflow_share[rows], agent_prices, me
        )
        utility = utilities[:, me]
        best = np.where(utility > best_utility, utility, best_utility)  # max(best, utility), as Python's
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = utility / best
        rewards = np.where(
            best > 1e-9,
            np.where(REWARD_FLOOR > ratio, REWARD_FLOOR, ratio),  # max(ratio, REWARD_FLOOR), as Python's
            np.where(utility >= -1e-9, 1.0, REWARD_FLOOR),  # nothing to earn: optimal unless it loses money
        )
        self._write_info(
            info,
            rows,
            (posted, ratios, loads, utilities, utility, best_price, best, shares),
            slots.latencies(rows, ratios, shares),
        )
        self.prices[rows], self.overflow_share[rows], self.loads[rows] = posted, shares, loads
        slots.sample([self._rng(i) for i in rows.tolist()], rows)  # the next slots
        return rewards

    # -- observation and info --------------------------------------------------------------------

    def _observe(self) -> np.ndarray:
        """Every sub-env's observation, as ``StackelbergPricingEnv._observation`` computes it (the same
        operations elementwise; the means NumPy's pairwise sums along each row, divided by the count)."""
        cfg, me, slots = self.scenario_config, self.leader, self.slots
        p_max, n_wa, n = cfg.max_price, cfg.n_wa, self.num_envs
        physics, work = slots.physics, slots.task_work
        adjustment = physics["direct_cost_adjustment"][:, :, me]
        obs = np.empty((n, len(self._others) + 10))
        obs[:, 0] = physics["leader_unit_cost"][:, me] / p_max
        obs[:, 1] = float(self._single_env.is_fa)
        if self._single_env.is_fa:
            fa = me - cfg.n_ma
            share = self.overflow_share[:, fa]
            obs[:, 2] = slots.draws("capacity")[:, fa] / cfg.fa_capacity_range[1]
            adjustment = adjustment + share[:, None] * physics["aerial_cost_extra"][:, :, fa]
        else:
            share = np.zeros(n)
            obs[:, 2] = 0.0
        obs[:, 3] = self.prices[:, me] / p_max
        tail = 4 + len(self._others)
        obs[:, 4:tail] = self.prices[:, self._others] / p_max
        obs[:, tail] = np.add.reduce(work, axis=1) / n_wa / self._max_work
        obs[:, tail + 1] = (
            np.add.reduce(slots.draws("omega"), axis=1) / n_wa / cfg.satisfaction_weight_range[1]
        )
        obs[:, tail + 2] = np.add.reduce(adjustment / work, axis=1) / n_wa / p_max
        obs[:, tail + 3] = self.loads[:, me] / (n_wa * self._max_work)
        obs[:, tail + 4] = share
        obs[:, tail + 5] = cfg.aerial_price / p_max
        return np.clip(obs, -1.0, 1.0).astype(np.float32)

    def _empty_info(self) -> dict[str, np.ndarray]:
        """Every info key, zeros (as ``SyncVectorEnv`` fills the rows of sub-envs without an info)."""
        cfg, n = self.scenario_config, self.num_envs
        shapes = {
            "prices": (cfg.n_leaders,),
            "ratios": (cfg.n_wa, cfg.n_leaders),
            "loads": (cfg.n_leaders,),
            "utilities": (cfg.n_leaders,),
            "overflow_share": (cfg.n_fa,),
            "latency": (cfg.n_wa,),
            "latency_by_composition": (3,),
            "energy": (cfg.n_wa,),
        }
        return {key: np.zeros((n, *shapes.get(key, ()))) for key in INFO_KEYS}

    @staticmethod
    def _write_info(
        info: dict[str, np.ndarray],
        rows: np.ndarray,
        outcome: tuple[np.ndarray | float, ...],
        latency: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        """Rows ``rows`` of every info key: the outcome (``StackelbergPricingEnv._info``'s arguments after the
        slot, batched) and the slot's latency."""
        for key, values in zip(INFO_KEYS, (*outcome, *latency), strict=True):
            info[key][rows] = values

    def _with_masks(
        self, info: dict[str, np.ndarray], rows: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """The info with each key's ``_key`` mask after it, as ``SyncVectorEnv`` orders them."""
        mask = np.ones(self.num_envs, dtype=bool) if rows is None else rows
        batched: dict[str, np.ndarray] = {}
        for key in INFO_KEYS:
            batched[key], batched[f"_{key}"] = info[key], mask.copy()
        return batched
