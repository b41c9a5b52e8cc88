"""Mechanisms as plug-ins: what a Tier-2 mechanism declares, and the registry every part of the package looks
it up in (docs/model.md, Sec. 4).

A mechanism is one module: its auction class (a :class:`~ioa_gym.auctions.clock.ClockAuction`), optionally a
batched class, and one registration line::

    register_mechanism(Mechanism(name="my-auction", auction=MyAuction, counted="exited", ...))

after which ``gym.make("IoA-DDA-v0", variant="my-auction")``, ``gym.make_vec`` (native and sync), the
evaluation harness, ``evaluate.py ic-audit``, the clairvoyant search and the reference policies play it;
nothing else needs editing (``tests/ioa_gym/auctions/test_mechanism_plugin.py`` does exactly that).

NumPy only: nothing here imports Gymnasium, the envs or Tier 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ioa_gym.auctions.batch import AuctionBatch
    from ioa_gym.auctions.clock import ClockAuction, Seed
    from ioa_gym.auctions.market import Market

__all__ = [
    "IncentiveGuarantee",
    "Mechanism",
    "get_mechanism",
    "mechanism_names",
    "observation_layout",
    "register_mechanism",
    "unregister_mechanism",
]


def observation_layout(counted: str | None = "accepted") -> tuple[str, ...]:
    """Every public entry an auctioneer's observation can hold (IoA-DDA, docs/model.md Sec. 5), in order:
    the clock prices, their gap, which clock moves next, the rounds used, the units of each side that the
    mechanism counts in its public history (``counted``: "accepted", "exited"; in all and in the last tick),
    the market's sizes and the last step. A mechanism's ``observation_names`` are a subset of these."""
    word = counted or "counted"
    return (
        "buyer_price",
        "seller_price",
        "clock_gap",
        "buyer_clock_active",
        "round_fraction",
        f"buyer_units_{word}",
        f"seller_units_{word}",
        f"buyer_{word}_last_tick",
        f"seller_{word}_last_tick",
        "n_buyers",
        "n_sellers",
        "buyer_units",
        "seller_units",
        "last_step",
    )


@dataclass(frozen=True)
class IncentiveGuarantee:
    """A mechanism's incentive compatibility: truthful reporting is a dominant strategy for every participant
    whatever the auctioneer does, as long as the auctioneer's steps depend only on ``policy_reads``.

    :param policy_reads: the observation entries a policy may read with IC intact (its public history).
    :param proof: where the proof is, one line (a section of docs/model.md).
    """

    policy_reads: tuple[str, ...]
    proof: str = ""


@dataclass(frozen=True)
class Mechanism:
    """What a Tier-2 mechanism declares.

    :param name: the registered name, the ``variant`` option of the envs (``gym.make(..., variant=name)``).
    :param auction: its single-auction class, a :class:`~ioa_gym.auctions.clock.ClockAuction` built as
        ``auction(market, price_bounds, max_rounds, seed)`` (or a factory with that signature).
    :param batch: its batched class, built as ``batch(n_auctions, price_bounds, max_rounds)`` (an
        :class:`~ioa_gym.auctions.batch.AuctionBatch`); None (default): a
        :class:`~ioa_gym.auctions.batch.LoopedAuctionBatch`, one single auction per row.
    :param counted: what its public history counts per side (``ClockAuction.public_counts``: "accepted",
        "exited"), the word in the observation's names; None if nothing.
    :param observation_names: its observation layout, a subset of :func:`observation_layout` (``counted``),
        in that order; None (default): all of them.
    :param efficiency_bound: ``bound(auction, optimum, cache) -> float``, an upper bound of the efficiency the
        auction can still end with (the clairvoyant search prunes with it); None: 1 (the search then cuts
        only by the rounds still needed, close to exhaustive).
    :param incentive: its incentive guarantee (None: not incentive compatible; the IC audit measures it).
    :param best_fixed_step: the best fixed step on the default Tier-1 markets (a (buyer, seller) pair when the
        clocks need different steps), for the reference auctioneers; None if not measured.
    :param fixed_alternation: the clocks alternate on a fixed pattern whatever happens, so a clock may have
        to wait for the other (the clairvoyant search then also tries the smallest step).
    :param description: one line for listings.
    """

    name: str
    auction: Callable[..., ClockAuction]
    batch: Callable[..., AuctionBatch] | None = None
    counted: str | None = "accepted"
    observation_names: tuple[str, ...] | None = None
    efficiency_bound: Callable[[Any, float, dict | None], float] | None = None
    incentive: IncentiveGuarantee | None = None
    best_fixed_step: float | tuple[float, float] | None = None
    fixed_alternation: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        if not callable(self.auction):
            raise ValueError(f"auction must be a ClockAuction class (or factory), got {self.auction!r}")
        if self.batch is not None and not callable(self.batch):
            raise ValueError(f"batch must be an AuctionBatch class (or factory) or None, got {self.batch!r}")
        layout = observation_layout(self.counted)
        names = layout if self.observation_names is None else tuple(self.observation_names)
        unknown = [name for name in names if name not in layout]
        if unknown or list(names) != sorted(names, key=layout.index) or len(set(names)) != len(names):
            raise ValueError(
                f"observation_names of mechanism {self.name!r} must be distinct entries of "
                f"observation_layout({self.counted!r}) in its order, got {names!r}"
            )
        object.__setattr__(self, "observation_names", names)
        if self.incentive is not None and not set(names) <= set(self.incentive.policy_reads):
            extra = sorted(set(names) - set(self.incentive.policy_reads))
            raise ValueError(
                f"mechanism {self.name!r} shows the auctioneer {extra}, which its incentive guarantee does "
                f"not allow (IncentiveGuarantee.policy_reads)"
            )

    @property
    def incentive_compatible(self) -> bool:
        """Whether truthful reporting is dominant for every auctioneer that reads its observation."""
        return self.incentive is not None

    def make_auction(
        self,
        market: Market,
        price_bounds: tuple[float, float] | None = None,
        max_rounds: int = 1000,
        seed: Seed = None,
    ) -> ClockAuction:
        """One auction of this mechanism on ``market``."""
        return self.auction(market, price_bounds, max_rounds, seed)

    def make_batch(
        self, n_auctions: int, price_bounds: tuple[float, float] | None = None, max_rounds: int = 1000
    ) -> AuctionBatch:
        """``n_auctions`` auctions of this mechanism ticked together (:attr:`batch`, or a looped batch)."""
        if self.batch is not None:
            return self.batch(n_auctions, price_bounds, max_rounds)
        from ioa_gym.auctions.batch import LoopedAuctionBatch

        return LoopedAuctionBatch(self, n_auctions, price_bounds, max_rounds)


_MECHANISMS: dict[str, Mechanism] = {}


def register_mechanism(mechanism: Mechanism, replace: bool = False) -> Mechanism:
    """Add ``mechanism`` to the registry (``replace``: over one of the same name, else ValueError)."""
    if not isinstance(mechanism, Mechanism):
        raise ValueError(f"mechanism must be a Mechanism, got {type(mechanism).__name__}")
    if mechanism.name in _MECHANISMS and not replace:
        raise ValueError(
            f"a mechanism named {mechanism.name!r} is already registered (replace=True replaces it)"
        )
    _MECHANISMS[mechanism.name] = mechanism
    return mechanism


def unregister_mechanism(name: str) -> None:
    """Remove a registered mechanism (for tests and interactive work)."""
    _MECHANISMS.pop(name, None)


def mechanism_names() -> tuple[str, ...]:
    """The registered mechanisms' names, in registration order (the built-in ones first)."""
    return tuple(_MECHANISMS)


def get_mechanism(name: object, field: str = "variant") -> Mechanism:
    """The registered mechanism ``name`` (else ValueError naming ``field`` and the registered names)."""
    mechanism = _MECHANISMS.get(name) if isinstance(name, str) else None
    if mechanism is None:
        raise ValueError(f"{field} must be one of {mechanism_names()}, got {name!r}")
    return mechanism
