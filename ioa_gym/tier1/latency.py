"""What each WA's task costs in time and energy at given offloading ratios (docs/model.md, Sec. 1, Eqs. 3-5).

A WA n splits its task of G_n Gcycles (D_n Mbit) into a local share 1 - sum_l o_{n,l} and shares o_{n,l}
sent to leaders. The paper's three offloading compositions (its Figs. 3 and 4, "Total latency comprises
..."):

- (a) WA -> MA i: the upload D_n o / r_{n,i} plus the MA's computing G_n o / f_i;
- (b) WA -> FA j, computed by the FA: the share 1 - phi_j of the FA's load, upload plus G_n o / f_j;
- (c) WA -> FA j -> AA: the share phi_j that the FA forwards: upload, the FA -> AA transfer
  D_n o mean_k(1 / r_{j,k}) and the AA's computing G_n o mean_k(1 / f_k) (the FA does not know which AA
  will win the auction; with no AA the forwarded share is computed by the FA, as in the scenario).

Each part is the time its share takes; ``total`` adds them, the share-weighted latency that the WA's cost
(Eq. 8) charges lambda_T for: G_n [(1 - sum_l o) t^loc + sum_l o t_{n,l}(phi)]. Energy is the WA's own:
local computing plus transmission (Eq. 5). NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ioa_gym.tier1.scenario import Scenario

COMPOSITIONS = ("WA->MA", "WA->FA", "WA->FA->AA")
"""The paper's three offloading compositions, in the order of ``Latency.by_composition``."""


@dataclass(frozen=True, eq=False)
class Latency:
    """Time (s) and energy (J) of every WA's task at given ratios. Arrays: (N,) per WA; (N, L) per WA and
    leader (MAs first); (N, J) per WA and FA.

    :ivar local: the local share's computing time, G_n (1 - sum_l o_{n,l}) / f^loc_n.
    :ivar upload: the upload of each offloaded share, D_n o_{n,l} / r_{n,l} (N, L).
    :ivar server_compute: the leader's own computing, G_n o_{n,l} / f_l for an MA and
        G_n (1 - phi_j) o_{n,j} / f_j for an FA (N, L).
    :ivar forward: the FA -> AA transfer of the forwarded share (N, J).
    :ivar aerial_compute: the AAs' computing of the forwarded share (N, J).
    :ivar energy: the WA's energy, local computing plus transmission (N,).
    :ivar n_ma: the number of MAs (the first columns of the (N, L) arrays).
    :ivar overflow_share: phi_j, the FAs' forwarded shares (J,).
    """

    local: np.ndarray
    upload: np.ndarray
    server_compute: np.ndarray
    forward: np.ndarray
    aerial_compute: np.ndarray
    energy: np.ndarray
    n_ma: int
    overflow_share: np.ndarray

    @property
    def via_ma(self) -> np.ndarray:
        """Composition (a) per WA and MA: upload plus the MA's computing (N, I)."""
        i = self.n_ma
        return self.upload[:, :i] + self.server_compute[:, :i]

    @property
    def via_fa(self) -> np.ndarray:
        """Composition (b) per WA and FA: the served share's upload plus the FA's computing (N, J)."""
        i = self.n_ma
        return (1.0 - self.overflow_share) * self.upload[:, i:] + self.server_compute[:, i:]

    @property
    def via_aa(self) -> np.ndarray:
        """Composition (c) per WA and FA: the forwarded share's upload, transfer and AA computing (N, J)."""
        return self.overflow_share * self.upload[:, self.n_ma :] + self.forward + self.aerial_compute

    @property
    def total(self) -> np.ndarray:
        """Each WA's share-weighted latency: local plus every composition (N,)."""
        return (
            self.local
            + self.upload.sum(axis=1)
            + self.server_compute.sum(axis=1)
            + (self.forward + self.aerial_compute).sum(axis=1)
        )

    @property
    def by_composition(self) -> np.ndarray:
        """The three compositions' latency summed over WAs and leaders, in ``COMPOSITIONS`` order (3,)."""
        return np.array([self.via_ma.sum(), self.via_fa.sum(), self.via_aa.sum()])


def latency(
    scenario: Scenario, ratios: np.ndarray, overflow_share: np.ndarray | None = None, check: bool = True
) -> Latency:
    """Every WA's latency and energy at ``ratios`` (N, L) with the FAs forwarding ``overflow_share`` (J,)
    (None: nothing), from the scenario's physics (see the module docstring). ``check=False`` skips the
    validation of the ratios and shares, for callers that hold a solver's own (an env's step)."""
    ratios = np.asarray(ratios, dtype=float)
    share = np.zeros(scenario.n_fa) if overflow_share is None else np.asarray(overflow_share, dtype=float)
    if check:
        _check(scenario, ratios, share, overflow_share)
    i = scenario.n_ma
    work, data = scenario.task_work, scenario.task_data
    local_share = np.clip(1.0 - ratios.sum(axis=1), 0.0, 1.0)
    upload = data[:, None] * ratios / scenario.uplink_rate
    served = ratios.copy()
    served[:, i:] *= 1.0 - share
    server_compute = work[:, None] * served / scenario.leader_cpu
    forwarded = ratios[:, i:] * share  # (N, J)
    if scenario.aa_cpu.size and scenario.n_fa:
        forward = data[:, None] * forwarded * np.mean(1.0 / scenario.fa_aa_rate, axis=1)
        aerial_compute = work[:, None] * forwarded * float(np.mean(1.0 / scenario.aa_cpu))
    else:  # no AA: the FA computes what it would forward (the scenario's convention)
        forward = np.zeros_like(forwarded)
        aerial_compute = work[:, None] * forwarded / scenario.leader_cpu[i:]
    # Eq. (5): the WA's own energy, kappa f_loc^2 per local Gcycle and its transmit power over each upload.
    local_time = work * local_share / scenario.local_cpu
    energy = work * local_share * scenario.config.switched_capacitance * scenario.local_cpu**2 + (
        scenario.tx_power * upload.sum(axis=1)
    )
    return Latency(
        local=local_time,
        upload=upload,
        server_compute=server_compute,
        forward=forward,
        aerial_compute=aerial_compute,
        energy=energy,
        n_ma=i,
        overflow_share=share,
    )


def slot_summary(
    scenario: Scenario, ratios: np.ndarray, overflow_share: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(latency.total, latency.by_composition, latency.energy)`` of :func:`latency` at a solver's own
    ratios (N, L) and shares (J,), unchecked, compiled (``ioa_gym.tier1._latency_kernel``): what
    IoA-Stackelberg-v0's step info carries, at a small fraction of the NumPy version's cost."""
    from ioa_gym.tier1._latency_kernel import slot_summary as kernel

    total, by_composition, energy = np.empty(scenario.n_wa), np.empty(3), np.empty(scenario.n_wa)
    kernel(
        scenario.task_work,
        scenario.task_data,
        scenario.local_cpu,
        scenario.tx_power,
        scenario.uplink_rate,
        scenario.leader_cpu,
        scenario.fa_aa_rate,
        scenario.aa_cpu,
        float(scenario.config.switched_capacitance),
        scenario.n_ma,
        np.ascontiguousarray(ratios, dtype=float),
        np.ascontiguousarray(overflow_share, dtype=float),
        total,
        by_composition,
        energy,
    )
    return total, by_composition, energy


def _check(scenario: Scenario, ratios: np.ndarray, share: np.ndarray, given: object) -> None:
    n, n_leaders = scenario.n_wa, scenario.n_leaders
    if ratios.shape != (n, n_leaders):
        raise ValueError(
            f"ratios must have shape (n_wa, n_ma + n_fa) = ({n}, {n_leaders}), got {ratios.shape}"
        )
    if not np.all(np.isfinite(ratios)) or np.any(ratios < 0.0) or np.any(ratios.sum(axis=1) > 1.0 + 1e-9):
        raise ValueError("ratios must be finite, >= 0 and sum to at most 1 per WA (o_{n,l} of Eq. 10)")
    if share.shape != (scenario.n_fa,) or not np.all((share >= 0.0) & (share <= 1.0)):
        raise ValueError(f"overflow_share must be n_fa = {scenario.n_fa} numbers in [0, 1], got {given!r}")
