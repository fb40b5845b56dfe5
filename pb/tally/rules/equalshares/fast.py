"""Method of Equal Shares (MES), the fast implementation: same outcomes as :mod:`.reference`.

The definition (cost utilities, n counts every ballot, Add1 = pabutools'
``voter_budget_increment=1``, caps drop a project, ``add1+greedy`` fills by score) is written out
in :mod:`pb.tally.rules.equalshares.reference`, in exact arithmetic and without optimisation;
property tests check that both give the same selection, rounds, prices and Add1 summary on
random elections of every ballot type, with caps. Everything below is about speed.

Speed and exactness (default run, :func:`_mes_run_ballots`): one row per distinct ballot. A live
ballot has paid, in every round so far, either nothing or exactly that round's payment cap t_r
(a ballot that paid less paid everything and is dead, money 0), so its exact money is
``share - sum of the t_r it paid``. The t_r are kept exactly as integers over one common
denominator, and a 0/1 matrix (rounds x ballots) records who paid which; the exact money of any
set of ballots is one matrix-vector product of integer weights (exact in floating point, all
partial sums are integers below 2**24 resp. 2**53) and R big-integer products. Each ballot's
money is also kept as a float with a rigorous absolute error bound (at most two roundings of
size share * 2**-53 per round). Floats only *filter*: a project whose float total is further
below its cost than the error bound is unaffordable, one whose float total is further above is
affordable, anything in between is decided exactly; the water level (price) is found in floats
by a fixed-point iteration (or sorting), every project whose float price minus its error bound
is not above the smallest float price plus its error bound is a candidate, and the candidates'
prices are computed exactly: the float split into "pays everything" / "pays the cap" proposes
the breakpoint, the exact cap follows from the exact money of the first group, and every ballot
whose float money is within the error bound of the cap is compared exactly (an exact water-fill
over distinct money values is the fallback). The winner (smallest exact price, then tie-break
order), the payments and who dies are therefore exact. The older per-class run
(:func:`_mes_run`, budget classes and a class x project count matrix) is used for ``exact=True``;
it computes every remaining project's price exactly in every round and uses no float at all.

Where floats are used, and why no decision rests on them (F(x) = sum of w_i min(b_i, x) over a
project's supporters is concave and piecewise linear; its level L solves F(L) = cost):

1. Money: ``_Ledger.fm`` is each ballot's money in floats, off by at most ``_Ledger.err``
   (share * 2**-52 at the start, plus 2 * share * 2**-52 per round: the rounding of t_r and of
   the subtraction, both below share). A dead ballot's float money is set to exactly 0.
2. Affordability (:func:`_screen`, the main loop): the float total of the supporters' money is
   off by at most ``tol_total`` (W * err plus the standard summation bound). Total + tol_total
   below the cost: surely unaffordable, dropped. Total - tol_total at least the cost: surely
   affordable. In between: decided by the exact money (:meth:`_Ledger.money`).
3. Prices: the float level comes with an error bound ``err`` = 4 * (tol_total + W * err) /
   (rich * cost) + 1e-9 * rho, where rich is the weight at or above the level. The first term
   is the first-order bound: by concavity F(x) <= cost - (L - x) * rich for x < L, so money off
   by delta per ballot moves the level down by at most W * delta / rich (and up by the same
   bound while the weight above the level does not change); the factor 4 and the relative 1e-9
   cover the rounding of the level's own computation. These bounds only choose *which*
   projects get an exact price: every project whose lower bound (rho - err) is not above the
   smallest upper bound (rho + err) does, and so do the four cheapest when tracing. A project
   whose exact price is computed is never judged by its float price. Projects found affordable
   in step 2 only by an exact check get an exact price at once.
4. Lazy evaluation: a bound from an earlier round stays a lower bound in later rounds of the
   same run (money only decreases, so prices only rise); the heap stops a round once the next
   lower bound is above the best upper bound. Only the order of work and the set of projects
   priced exactly depend on it.
5. Exact water-fill (:func:`_exact_fill`): the float split into "pays everything" / "pays the
   cap" proposes the breakpoint; the cap t follows exactly from the exact money of the first
   group; a ballot whose float money is further than ``margin`` (4 * err + 4 * 2**-52 * max(share,
   t)) from t is on the side its float says, every other ballot is compared exactly, and if any
   comparison disagrees the fill is redone exactly over the distinct money values. So t, who
   pays t and who dies are exact.
6. Skipping Add1 steps (:func:`_certified_round`): a project counts as dearer than the guide's
   winner only when its lower bound (3, 4) lies above the next float above the guide's exact
   price, or when its exact price says so; anything closer is priced exactly.
7. The thresholds in :func:`_float_fill` (1 + 1e-6, 8 passes) only choose between the
   fixed-point iteration and sorting.

The bounds in 3 are a careful first-order argument with generous margins, not a formal proof
of every float operation; what rests on them is only which projects are priced exactly. The
winner is the smallest exact price among those, the tests compare the result with the
all-exact run and with the reference (hypothesis), and with pabutools on the shared files it
can count in time (``tests/unit/tally/test_tally_pabutools.py``).

Skipping Add1 steps (:func:`_certified_round`): many elections keep the same outcome for
hundreds or thousands of steps (Veszprem 2025 needs 72,725 steps and its outcome changes 4
times). While the winners of the earlier rounds stay the same, every ballot's money is a
non-decreasing function of the share, so every price is non-increasing and affordability can
only appear. A run at a larger share that follows a complete run at a smaller share (its
"guide") therefore proves that every share in between buys the same projects in the same order
if, in each round, every other project costs more per utility at the larger share than the
guide's winner did at the smaller one (or the same, later in the tie-break order), and after
the guide's last round nothing is affordable at the larger share. After a step repeats the
outcome, the loop tries such a proof 2, 4, 8... steps ahead (half as far after a failure); a
failed first probe doubles the number of repeats it waits for, so elections whose outcome
changes at nearly every step (large cities) make almost no extra runs. Once a probe has proved
16 steps or more (a long stretch), each further probe looks as far as a float replay of the
last run guesses a proof reaches (:func:`_predicted_repeats`: prices are piecewise linear in the
share, the guess extrapolates them), instead of doubling; a guess below 2 steps goes step by
step. Guesses only choose where to probe; every skip is still proved by a guided run. The
decisions, the ``add1`` summary and the final run are those of the step-by-step loop (tested
against it).

Trace: ``{"rounds": [{"round", "project", "rho", "max_payment", "paid", "supporters",
"runners_up": [{"project", "rho", "effective_support"}, ...]}],
"add1": {"iterations", "share_start", "share_final", "stop"}, "fill": [...]}``. rho is exact
(a fraction); ``effective_support`` of a runner-up is its rho relative to the winner's (1 = tie,
0.5 = would need twice the price).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd, inf, nextafter
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from pb.tally.model import Election
from pb.tally.numbers import normalise
from pb.tally.outcome import Decision, Outcome, decide
from pb.tally.rules.blas import one_blas_thread
from pb.tally.rules.greedy import greedy_order
from pb.tally.tiebreak import TieBreak


@dataclass
class _Prepared:
    """Election data in integer units, shared by every run of the Add1 loop."""

    scale: int
    costs: list[int]
    weights: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray]
    ballots_of: list[np.ndarray]
    support: np.ndarray
    candidates: list[int]
    free: list[int]
    n: int
    rank: list[int]
    cap_limits: list[int]
    cap_of: list[tuple[int, ...]]
    rank_array: np.ndarray  # tie-break rank per project, for np.lexsort
    floor: np.ndarray  # a lower bound of every project's price in every round: 1 / support
    wf_of: list[np.ndarray]  # weights of each project's supporters, as floats
    wsum_of: list[float]
    _incidence: np.ndarray | None = None
    paid_buffer: np.ndarray | None = None  # rounds x ballots, shared by successive _Ledgers
    paid_dirty: int = 0  # rows of paid_buffer written since it was last cleared

    @property
    def incidence(self) -> np.ndarray:
        """Distinct ballots x projects, the ballot's weight where it supports the project.

        Only the per-class run (``exact=True``) needs it, so it is built on first use.
        """
        if self._incidence is None:
            rows, cols = self.pairs
            inc = np.zeros((len(self.weights), len(self.costs)), dtype=np.int64)
            if rows.size:
                inc[rows, cols] = 1
            inc *= self.weights[:, None]
            self._incidence = inc
        return self._incidence


@dataclass
class _Run:
    """Result of one MES run."""

    selected: list[int]
    rounds: list[dict[str, Any]] = field(default_factory=list)
    left: dict[int, Fraction] = field(default_factory=dict)
    capped: dict[int, int] = field(default_factory=dict)
    rhos: list[Fraction] = field(default_factory=list)  # price of each round's winner

def _start(prep: _Prepared) -> tuple[_Run, list[int], set[int], np.ndarray, int]:
    """The state every run starts from: free projects bought, caps reduced, candidates open."""
    run = _Run(selected=list(prep.free))
    cap_left = list(prep.cap_limits)
    for q in prep.free:
        for k in prep.cap_of[q]:
            cap_left[k] -= prep.costs[q]
    remaining = set(prep.candidates)
    lower = prep.floor.copy()  # a lower bound of each price
    return run, cap_left, remaining, lower, sum(prep.costs[q] for q in run.selected)



def _prepare(election: Election, tie_break: TieBreak, use_caps: bool) -> _Prepared:
    profile = election.profile
    m = len(election.projects)
    n = max(profile.n_voters, 1)
    dens = [Fraction(election.budget).denominator] + [
        Fraction(p.cost).denominator for p in election.projects]
    caps = election.caps if use_caps else ()
    dens += [Fraction(c.limit).denominator for c in caps]
    scale = n
    for d in dens:
        scale = scale * d // gcd(scale, d)
    costs = [int(p.cost * scale) for p in election.projects]
    weights = np.asarray(profile.weights, dtype=np.int64)
    rows_l: list[int] = []
    cols_l: list[int] = []
    for d, ballot in enumerate(profile.ballots):
        if profile.points is not None:
            ballot = tuple(i for i, x in zip(ballot, profile.points[d]) if x > 0)
        if len(set(ballot)) != len(ballot):  # not from build_profile; count a project once
            ballot = tuple(dict.fromkeys(ballot))
        rows_l.extend([d] * len(ballot))
        cols_l.extend(ballot)
    rows = np.asarray(rows_l, dtype=np.int64)
    cols = np.asarray(cols_l, dtype=np.int64)
    support = np.zeros(m, dtype=np.int64)
    if rows.size:
        np.add.at(support, cols, weights[rows])
    # Supporters of each project in increasing ballot order (a stable sort keeps rows sorted).
    order = np.argsort(cols, kind="stable")
    bounds = np.searchsorted(cols[order], np.arange(m + 1))
    by_col = rows[order]
    ballots_of = [by_col[bounds[q]:bounds[q + 1]] for q in range(m)]
    candidates = [q for q in range(m) if support[q] > 0 and costs[q] > 0]
    free = [q for q in range(m) if support[q] > 0 and costs[q] == 0]
    rank = tie_break.rank(election)
    wf_of = [weights[b].astype(np.float64) for b in ballots_of]
    return _Prepared(scale, costs, weights, (rows, cols), ballots_of, support, candidates, free,
                     n, rank, [int(c.limit * scale) for c in caps],
                     [election.caps_for(q) if use_caps else () for q in range(m)],
                     np.asarray(rank, dtype=np.int64),
                     # Each supporter pays at most rho * cost, so rho >= 1 / support; the float
                     # quotient is lowered by a few ulps to stay below the exact one.
                     np.where(support > 0, (1.0 / np.maximum(support, 1)) * (1 - 2.0 ** -49), 0.0),
                     wf_of, [float(x.sum()) for x in wf_of])


def _mes_run(prep: _Prepared, share: Fraction, *, trace: bool = False) -> _Run:
    """One run of MES with every voter starting with ``share`` (in currency units), per budget
    class and entirely exact: every remaining project's price is computed exactly in every
    round (``exact=True`` and the tests' yardstick; no float is involved)."""
    m = len(prep.costs)
    costs = prep.costs
    # Money of a class = num[c] / den; den is common to all classes.
    share_scaled = share * prep.scale
    den = share_scaled.denominator
    num: list[int] = [share_scaled.numerator]
    k_classes = 1
    cnt = np.zeros((16, m), dtype=np.int64)
    cnt[0] = prep.support
    class_of = np.zeros(len(prep.weights), dtype=np.int64)
    run, cap_left, remaining, _, spent = _start(prep)
    round_no = 0
    while True:
        exact_rho: dict[int, tuple[Fraction, int]] = {}
        for q in sorted(remaining):
            if any(costs[q] > cap_left[k] for k in prep.cap_of[q]):
                remaining.discard(q)
                run.capped[q] = min(prep.cap_of[q], key=lambda k: cap_left[k])
                continue
            solved = _exact_payment(cnt[:k_classes, q], num, den, costs[q])
            if solved is None:
                remaining.discard(q)
                continue
            x_num, w_rich = solved
            exact_rho[q] = (Fraction(x_num, w_rich * den * costs[q]), w_rich)
        if not exact_rho:
            break
        winner = min(exact_rho, key=lambda q: (exact_rho[q][0], prep.rank[q]))
        rho = exact_rho[winner][0]
        round_no += 1
        if trace:
            run.rounds.append(_round_info(prep, round_no, winner, rho, exact_rho,
                                          cnt[:k_classes, winner], num, den))
        run.selected.append(winner)
        remaining.discard(winner)
        for k in prep.cap_of[winner]:
            cap_left[k] -= costs[winner]
        # Payment cap per supporter t = rho * cost = pay_num / pay_den (exact).
        t = rho * costs[winner]
        new_den = den * t.denominator // gcd(den, t.denominator)
        f_old, f_t = new_den // den, new_den // t.denominator
        num = [x * f_old for x in num]
        t_num = t.numerator * f_t
        den = new_den
        ds = prep.ballots_of[winner]
        old = class_of[ds]
        alive = old >= 0
        ds, old = ds[alive], old[alive]
        touched = np.unique(old)
        mapping = np.full(k_classes, -1, dtype=np.int64)
        for c in touched.tolist():
            if num[c] > t_num:
                if k_classes >= cnt.shape[0]:
                    cnt = np.vstack([cnt, np.zeros_like(cnt)])
                mapping[c] = k_classes
                num.append(num[c] - t_num)
                k_classes += 1
        rows = prep.incidence[ds]
        np.subtract.at(cnt, old, rows)
        new = mapping[old]
        keep = new >= 0
        if keep.any():
            np.add.at(cnt, new[keep], rows[keep])
        class_of[ds] = new
        g = gcd(den, *num)
        if g > 1:
            den //= g
            num = [x // g for x in num]
    if trace:
        live = class_of >= 0
        for q in range(m):
            if q not in run.selected:
                run.left[q] = _left_money(prep, class_of, num, den, live, prep.incidence[:, q])
    return run


# --------------------------------------------------------------------------------------------
# Per-ballot run (default): exact money as "share minus the payment caps paid so far".
# --------------------------------------------------------------------------------------------

_EPS = 2.0 ** -52


class _Ledger:
    """Exact money of distinct ballots during one run, without per-class bookkeeping.

    A live ballot (money > 0) has paid, in each round r, either nothing (not a supporter) or the
    round's payment cap t_r (it was "rich" in the water-fill); a ballot that paid less than t_r
    paid all it had and is dead (money 0). So its exact money is ``share - sum of t_r over the
    rounds it paid t_r``. ``paid`` (ballots x rounds, 0/1) records those rounds and every t_r is
    kept exactly as ``t_num[r] / den`` (one common denominator, rescaled when a round adds a new
    one: only R + 1 integers). The exact money of any set of live ballots is then
    ``(share_num * W - sum_r t_num[r] * C_r) / den`` with W their weight and C_r = weight of those
    that paid t_r: NumPy integer sums plus R big-integer products. Floats (``fm``) keep an
    approximation of every ballot's money; its absolute error is at most ``err`` (each round adds
    at most two roundings of size <= 2**-53 * share), which the run uses to decide when an exact
    check is needed.
    """

    def __init__(self, prep: _Prepared, share_scaled: Fraction) -> None:
        d_count = len(prep.weights)
        self.w = prep.weights
        self.den = share_scaled.denominator
        self.share_num = share_scaled.numerator
        self.share_f = float(share_scaled)
        self.fm = np.full(d_count, self.share_f, dtype=np.float64)
        self.alive = np.ones(d_count, dtype=bool)
        # Rounds x ballots, 0/1. Stored as floats so that the weighted counts C_r are one BLAS
        # matrix-vector product; exact because every partial sum is an integer below 2**24
        # (float32) or 2**53 (float64).
        self.ftype = np.float32 if int(prep.weights.sum()) < 2**24 else np.float64
        self.wf = prep.weights.astype(self.ftype)
        # One buffer per election, reused by the runs one after the other (the Add1 loop makes
        # dozens): only the rows the previous run wrote are cleared.
        buf = prep.paid_buffer
        if buf is None or buf.dtype != self.ftype:
            buf = np.zeros((max(len(prep.candidates), 1), d_count), dtype=self.ftype)
            prep.paid_buffer = buf
        else:
            buf[:prep.paid_dirty] = 0
        prep.paid_dirty = 0
        self.prep = prep
        self.paid = buf
        self.size = d_count
        self.t_num: list[int] = []
        self.rounds = 0
        self.err = self.share_f * _EPS

    def money(self, idx: np.ndarray) -> int:
        """Exact total money of the live ballots ``idx``, times ``den``."""
        total = self.share_num * int(self.w[idx].sum())
        if self.rounds:
            rows = self.paid[:self.rounds]
            if 4 * idx.size < self.size:
                counts = rows[:, idx] @ self.wf[idx]
            else:
                vec = np.zeros(self.size, dtype=self.ftype)
                vec[idx] = self.wf[idx]
                counts = rows @ vec
            total -= sum(int(c) * t for c, t in zip(counts.tolist(), self.t_num) if c)
        return total

    def each(self, idx: np.ndarray) -> list[int]:
        """Exact money of each ballot in ``idx``, times ``den``."""
        if not self.rounds or len(idx) == 0:
            return [self.share_num] * len(idx)
        sub = self.paid[:self.rounds, idx].T.astype(np.int8)
        rows, inverse = np.unique(sub, axis=0, return_inverse=True)
        t = self.t_num
        values = [self.share_num - sum(t[r] for r in np.flatnonzero(row).tolist())
                  for row in rows]
        return [values[i] for i in np.asarray(inverse).reshape(-1).tolist()]

    def add_round(self, t: Fraction, rich: np.ndarray) -> None:
        """Record a payment cap ``t`` (scaled money) paid by the live ballots ``rich``."""
        new_den = self.den * t.denominator // gcd(self.den, t.denominator)
        f = new_den // self.den
        if f != 1:
            self.t_num = [x * f for x in self.t_num]
            self.share_num *= f
        self.den = new_den
        self.t_num.append(t.numerator * (new_den // t.denominator))
        if self.rounds == self.paid.shape[0]:
            self.paid = np.vstack([self.paid, np.zeros_like(self.paid)])  # a private copy
        self.paid[self.rounds, rich] = 1
        if self.paid is self.prep.paid_buffer:
            self.prep.paid_dirty = self.rounds + 1
        self.rounds += 1
        self.fm[rich] -= float(t)
        self.err += 2 * self.share_f * _EPS


def _water(ledger: _Ledger, idx: np.ndarray, cost: int, split: bool = False
           ) -> tuple[float, float, float, float, np.ndarray | None, np.ndarray | None]:
    """Float water-fill over the live supporters ``idx``.

    Returns (rho, error bound of rho, total money, error bound of the total, poor, rich); with
    ``split`` the supporters are split into those below the float level (they pay all they
    have) and the others, else both are None. See :func:`_float_fill`.
    """
    w = ledger.w[idx].astype(np.float64)
    rho, err, total, tol_total, poor_mask = _float_fill(ledger, ledger.fm[idx], w,
                                                        float(w.sum()), cost, split)
    if poor_mask is None:
        return rho, err, total, tol_total, None, None
    return rho, err, total, tol_total, idx[poor_mask], idx[~poor_mask]


def _water_all(ledger: _Ledger, prep: _Prepared, q: int
               ) -> tuple[float, float, float, float, np.ndarray | None]:
    """Float water-fill over all supporters of ``q``, dead ones included (they have 0, pay 0).

    Same level as over the live ones, without selecting them first; (rho, its error bound,
    total money, its error bound, mask of the supporters below the level or None when the
    supporters clearly cannot pay).
    """
    idx = prep.ballots_of[q]
    return _float_fill(ledger, ledger.fm[idx], prep.wf_of[q], prep.wsum_of[q], prep.costs[q],
                       False, keep_mask=True)


def _screen(prep: _Prepared, ledger: _Ledger, run: _Run, q: int, remaining: set[int],
            cap_left: list[int]) -> tuple[float, float, float, float, np.ndarray | None] | None:
    """The float fill of ``q`` (see :func:`_water_all`), or None after dropping ``q`` from
    ``remaining`` because it would exceed a group cap or its supporters clearly cannot pay."""
    if any(prep.costs[q] > cap_left[k] for k in prep.cap_of[q]):
        remaining.discard(q)
        run.capped[q] = min(prep.cap_of[q], key=lambda k: cap_left[k])
        return None
    fill = _water_all(ledger, prep, q)
    if fill[2] + fill[3] < prep.costs[q]:
        remaining.discard(q)
        return None
    return fill


def _float_fill(ledger: _Ledger | _NoError, b: np.ndarray, w: np.ndarray, total_w: float, cost: int,
                split: bool, keep_mask: bool = False
                ) -> tuple[float, float, float, float, np.ndarray | None]:
    """Water level of money ``b`` with weights ``w`` paying ``cost``, in floats.

    Returns (rho, error bound of rho, total money, error bound of the total, mask of the poor
    when ``split`` or ``keep_mask``; without ``split`` a clearly unaffordable cost returns at
    once). The error bound of the total is rigorous (float money is off by at most
    ``ledger.err`` per ballot, summation by n * eps relative); for rho it is that bound
    propagated through the level, generously, plus a relative 1e-9 margin. rho only means
    something when the supporters can afford the cost.

    The level is found without sorting by the fixed point L <- (cost - money below L) /
    (weight at or above L), started at cost / W: it increases and stops when the set below
    the level no longer changes (a few passes); after 8 passes, or when the supporters can
    hardly afford the cost, the classic sorted fill is used.
    """
    total = float(np.dot(w, b))
    tol_total = (total_w * ledger.err + 2 * b.size * _EPS * (total + total_w * ledger.err)
                 + 1e-300)
    if total + tol_total < cost and not split:
        return float("inf"), float("inf"), total, tol_total, None
    poor_mask = None
    paid, rich = 0.0, total_w
    level = cost / total_w
    if total > cost * (1 + 1e-6):
        count = -1
        wb = None
        for _ in range(8):
            mask = b < level
            n_poor = int(np.count_nonzero(mask))
            if n_poor == count or n_poor == 0:  # nobody below cost / W: everybody pays that
                poor_mask = mask
                break
            count = n_poor
            if wb is None:
                wb = w * b
            paid = float(np.dot(wb, mask))
            rich = total_w - float(np.dot(w, mask))
            if rich <= 0:
                break
            level = (cost - paid) / rich
    if poor_mask is None:
        sort = np.argsort(b, kind="stable")
        sb, sw = b[sort], w[sort]
        cum_w = np.cumsum(sw)
        cum_wb = np.cumsum(sw * sb)
        filled = cum_wb + sb * (total_w - cum_w)
        k = int(np.searchsorted(filled, cost, side="left"))
        k = min(k, b.size - 1)
        paid = float(cum_wb[k - 1]) if k > 0 else 0.0
        rich = total_w - (float(cum_w[k - 1]) if k > 0 else 0.0)
        if split or keep_mask:
            poor_mask = np.zeros(b.size, dtype=bool)
            poor_mask[sort[:k]] = True
    rho = (cost - paid) / rich / cost
    # A perturbation of every ballot's money by <= err moves the level by at most
    # (perturbation of the money below it) / (weight above it); be generous.
    err = 4 * (tol_total + total_w * ledger.err) / (rich * cost) + 1e-9 * abs(rho)
    return rho, err, total, tol_total, poor_mask if split or keep_mask else None


def _exact_fill(ledger: _Ledger, idx: np.ndarray, cost: int, affordable: bool = False,
                split: tuple[np.ndarray, np.ndarray] | None = None
                ) -> tuple[Fraction, np.ndarray, np.ndarray] | None:
    """Exact water-fill: (payment cap t, ballots that pay t and keep money, ballots left at 0).

    None when the supporters cannot pay ``cost``. The float order proposes the breakpoint; only
    ballots whose float money is within the error bound of the level are compared exactly, and
    if the proposal is wrong the fill is redone exactly over the distinct money values.
    ``affordable=True`` skips the exact affordability check (the caller proved it with floats);
    ``split`` is a float proposal (live ballots below the level, the others) already at hand.
    """
    den = ledger.den
    need = cost * den
    if not affordable and ledger.money(idx) < need:
        return None
    if split is None:
        _, _, _, _, poor, rich = _water(ledger, idx, cost, split=True)
        assert poor is not None and rich is not None
    else:
        poor, rich = split
    sidx = idx
    k = poor.size
    w_rich = int(ledger.w[rich].sum())
    t = Fraction(need - (ledger.money(poor) if k else 0), w_rich * den)
    tf = float(t)
    # |float money - exact| <= err and |tf - t| <= eps * t: outside this margin floats decide.
    margin = 4 * ledger.err + 4 * _EPS * max(ledger.share_f, abs(tf))
    near_poor = poor[ledger.fm[poor] >= tf - margin]
    near_rich = rich[ledger.fm[rich] <= tf + margin]
    t_num_den = t * den  # money values are integers over den; compare m <= t*den
    ok = all(m <= t_num_den for m in ledger.each(near_poor)) and \
        all(m >= t_num_den for m in ledger.each(near_rich))
    if not ok:
        # Exact fallback: group by exact money, then the textbook water-fill.
        values = ledger.each(sidx)
        weights = ledger.w[sidx].tolist()
        groups: dict[int, int] = {}
        for m, w in zip(values, weights):
            groups[m] = groups.get(m, 0) + w
        items = sorted(groups.items())
        richw = sum(w for _, w in items)
        paid = 0
        for m, w in items:
            x = need - paid
            if x <= m * richw:
                t = Fraction(x, richw * den)
                break
            paid += m * w
            richw -= w
        t_num_den = t * den
        exact = np.asarray([m > t_num_den for m in values], dtype=bool)
        return t, sidx[exact], sidx[~exact]
    # Rich ballots exactly at the level pay everything too.
    dead_rich = np.zeros(rich.size, dtype=bool)
    if near_rich.size:
        eq = {int(d) for d, m in zip(near_rich.tolist(), ledger.each(near_rich))
              if m == t_num_den}
        if eq:
            dead_rich = np.isin(rich, np.fromiter(eq, dtype=np.int64))
    return t, rich[~dead_rich], np.concatenate([poor, rich[dead_rich]])


def _mes_run_ballots(prep: _Prepared, share: Fraction, *, trace: bool = False,
                     limit: int | None = None, guide: _Run | None = None) -> _Run | None:
    """One run of MES per distinct ballot (see :class:`_Ledger`); same result as _mes_run.

    With ``limit`` (scaled money) the run stops as soon as its selection costs more than
    ``limit``: the Add1 loop discards such a run whatever it would buy next (costs only add up),
    so the truncated selection leads to the same decision.

    With ``guide``, a complete run at a *smaller* share, the run proves that every share between
    the two buys exactly the guide's projects in the guide's order, or returns None as soon as
    it cannot (see :func:`_certified_round`).
    """
    m = len(prep.costs)
    costs = prep.costs
    ledger = _Ledger(prep, share * prep.scale)
    run, cap_left, remaining, lower, spent = _start(prep)
    if trace:
        # The traced run prices every project in every round, so the 1/support bound saves
        # nothing; starting from 0 keeps the order of evaluation, which decides the runners-up
        # shown among equal float prices, as it always was.
        lower[:] = 0.0
    round_no = 0
    while guide is not None:
        step = _certified_round(prep, ledger, guide, run, remaining, lower, cap_left)
        if step is None:
            return None
        winner, solved = step
        if solved is None:
            return run
        run.selected.append(winner)
        run.rhos.append(solved[0] / costs[winner])
        remaining.discard(winner)
        for k in prep.cap_of[winner]:
            cap_left[k] -= costs[winner]
        ledger.alive[solved[2]] = False
        ledger.fm[solved[2]] = 0.0
        ledger.add_round(solved[0], solved[1])
    # Lazy evaluation: a heap of (lower bound of the price, tie-break rank, project); a round
    # evaluates projects from the top until the next lower bound exceeds the best upper bound,
    # and puts them back with their new bounds (stale entries of dropped projects are skipped).
    bound = lower.tolist()
    heap = [(bound[q], prep.rank[q], q) for q in remaining]
    heapq.heapify(heap)
    while True:
        best_hi = float("inf")
        evaluated: dict[int, tuple[float, float]] = {}
        sure: dict[int, np.ndarray | None] = {}  # affordable in floats: mask of the poor
        known: dict[int, tuple[Fraction, np.ndarray, np.ndarray] | None] = {}
        while heap:
            if not trace and heap[0][0] > best_hi:
                break
            q = heapq.heappop(heap)[2]
            if q not in remaining:
                continue
            fill = _screen(prep, ledger, run, q, remaining, cap_left)
            if fill is None:
                continue
            rho_f, err, total, tol_total, mask = fill
            if total - tol_total < costs[q]:
                # Affordability too close to call in floats: decide it exactly.
                idx = prep.ballots_of[q]
                solved = _exact_fill(ledger, idx[ledger.alive[idx]], costs[q])
                if solved is None:
                    remaining.discard(q)
                    continue
                known[q] = solved
                rho_f = float(solved[0] / costs[q])
                err = 4 * _EPS * rho_f
            else:
                sure[q] = mask
            bound[q] = max(bound[q], rho_f - err)
            evaluated[q] = (rho_f, err)
            best_hi = min(best_hi, rho_f + err)
        for q in evaluated:
            heapq.heappush(heap, (bound[q], prep.rank[q], q))
        if not evaluated:
            break
        shown = set(sorted(evaluated, key=lambda x: evaluated[x][0])[:4]) if trace else set()
        exact_rho: dict[int, tuple[Fraction, Any]] = {}
        for q, (rho_f, err) in evaluated.items():
            if rho_f - err <= best_hi or q in shown:
                if q in known:
                    solved = known[q]
                else:
                    idx = prep.ballots_of[q]
                    mask = sure.get(q)
                    # Dead supporters (money 0) are below any level: the rest is alive.
                    split = None if mask is None else (
                        idx[mask & ledger.alive[idx]], idx[~mask])
                    solved = _exact_fill(ledger, idx[ledger.alive[idx]], costs[q], q in sure,
                                         split)
                if solved is None:
                    remaining.discard(q)
                    continue
                exact_rho[q] = (solved[0] / costs[q], solved)
        if not exact_rho:
            continue
        winner = min(exact_rho, key=lambda q: (exact_rho[q][0], prep.rank[q]))
        rho = exact_rho[winner][0]
        t, rich, dead = exact_rho[winner][1]
        round_no += 1
        if trace:
            runners = []
            for q in sorted((q for q in exact_rho if q != winner),
                            key=lambda q: (exact_rho[q][0], prep.rank[q]))[:3]:
                q_rho = exact_rho[q][0]
                runners.append({"project": q, "rho": q_rho, "effective_support": rho / q_rho})
            paid = Fraction(ledger.money(dead), ledger.den) + t * int(ledger.w[rich].sum())
            run.rounds.append({"round": round_no, "project": winner, "rho": rho,
                               "max_payment": t / prep.scale, "paid": paid / prep.scale,
                               "supporters": int(prep.support[winner]),
                               "runners_up": runners})
        run.selected.append(winner)
        run.rhos.append(rho)
        remaining.discard(winner)
        if limit is not None:
            spent += costs[winner]
            if spent > limit:
                break
        for k in prep.cap_of[winner]:
            cap_left[k] -= costs[winner]
        ledger.alive[dead] = False
        ledger.fm[dead] = 0.0
        ledger.add_round(t, rich)
    if trace:
        for q in range(m):
            if q not in run.selected:
                idx = prep.ballots_of[q]
                idx = idx[ledger.alive[idx]]
                run.left[q] = Fraction(ledger.money(idx), ledger.den * prep.scale)
    return run


def _certified_round(prep: _Prepared, ledger: _Ledger, guide: _Run, run: _Run,
                     remaining: set[int], lower: np.ndarray, cap_left: list[int]
                     ) -> tuple[int, tuple[Fraction, np.ndarray, np.ndarray] | None] | None:
    """The next round of a run that must repeat ``guide`` (a run at a smaller share) for all
    shares in between.

    Why it is enough to look at the two ends: while the winners of the earlier rounds are the
    same, every ballot's money is a non-decreasing function of the share (by induction: the
    water level of a round does not rise when the supporters have more, so ``money - level``
    does not fall), hence every price is non-increasing and affordability can only appear. So if
    at this (larger) share every other project costs more per utility than the guide's winner
    did at the guide's share, or the same with a later place in the tie-break order, then at
    every share in between the guide's winner is still affordable at a price no higher than it
    had there, and every other project no lower than here: the same winner. After the guide's
    last round nothing may be affordable here (then nothing is at any smaller share).

    Returns (winner, its exact fill), (-1, None) when the run is complete, or None when the
    proof fails (then the outcome may differ somewhere between the two shares).
    """
    costs = prep.costs
    winners = guide.selected[len(prep.free):]
    r = len(run.rhos)
    last = r == len(winners)
    w = -1 if last else winners[r]
    tau = Fraction(0) if last else guide.rhos[r]
    tau_hi = 0.0 if last else nextafter(float(tau), inf)
    for q in np.lexsort((prep.rank_array, lower)).tolist():
        if not last and lower[q] > tau_hi:
            break
        if q == w or q not in remaining:
            continue
        fill = _screen(prep, ledger, run, q, remaining, cap_left)
        if fill is None:
            continue
        rho_f, err, total, tol_total, _ = fill
        clearly_affordable = total - tol_total >= costs[q]
        if last and clearly_affordable:
            return None
        if clearly_affordable and rho_f - err > tau_hi:
            lower[q] = max(lower[q], rho_f - err)
            continue
        idx = prep.ballots_of[q]
        solved = _exact_fill(ledger, idx[ledger.alive[idx]], costs[q], clearly_affordable)
        if solved is None:
            remaining.discard(q)
            continue
        if last:
            return None
        rho_q = solved[0] / costs[q]
        if rho_q < tau or (rho_q == tau and prep.rank[q] < prep.rank[w]):
            return None
        lower[q] = max(lower[q], float(rho_q) * (1 - 4 * _EPS))
    if last:
        return -1, None
    idx = prep.ballots_of[w]
    solved = _exact_fill(ledger, idx[ledger.alive[idx]], costs[w])
    if solved is None:  # cannot happen (more money than at the guide's share); stay safe
        return None
    return w, solved


class _NoError:
    """Stands in for a :class:`_Ledger` in :func:`_float_fill` where no error bound is needed."""

    err = 0.0


_GUESS_AFTER = 16
"""A guided run that proved this many steps switches the Add1 loop to guessing its reach."""


def _predicted_repeats(prep: _Prepared, run: _Run, share: Fraction) -> int:
    """How many more Add1 steps a guided run from ``run`` (complete, at ``share``) can probably
    prove: a guess, -1 when the replay fails.

    Only a guess, used to choose how far the next guided run looks (:func:`_certified_round`
    proves or refutes it; no decision rests on this). Within a stretch of shares that buy the
    same projects in the same order, every ballot's money and every price is piecewise linear
    in the share. This function replays ``run``'s rounds in floats with the derivative of every
    ballot's money with respect to one Add1 step and extrapolates linearly what the proof
    needs: in each round, the first share at which another project's price would fall to the
    winner's price at ``share``; after the last round, the first share at which a remaining
    project would become affordable. Returns the number of steps strictly before the earliest
    of these (a large number when nothing approaches).
    """
    scale = float(prep.scale)
    money = np.full(len(prep.weights), float(share * prep.scale))
    slope = np.full(len(prep.weights), scale)  # d money / d step, scaled units
    costs = prep.costs
    cap_left = list(prep.cap_limits)
    for q in prep.free:
        for k in prep.cap_of[q]:
            cap_left[k] -= costs[q]
    remaining = set(prep.candidates)
    best = inf
    exact_money = _NoError()
    for w in run.selected[len(prep.free):]:
        prices: dict[int, tuple[float, float, np.ndarray, float]] = {}  # rho, slope, idx, t
        for q in remaining:
            if any(costs[q] > cap_left[k] for k in prep.cap_of[q]):
                continue
            idx = prep.ballots_of[q]
            b, wq = money[idx], prep.wf_of[q]
            rho, _, total, _, poor = _float_fill(exact_money, b, wq, prep.wsum_of[q], costs[q],
                                                 False, keep_mask=True)
            if total < costs[q] or poor is None:
                continue
            rich = prep.wsum_of[q] - float(np.dot(wq, poor))
            d_paid = float(np.dot(wq * slope[idx], poor))
            prices[q] = (rho, -d_paid / rich / costs[q], idx, rho * costs[q])
        if w not in prices:  # the float replay lost track: no guess
            return -1
        rho_w, d_w, idx, t = prices[w]
        dt = d_w * costs[w]
        for q, (rho_q, d_q, _, _) in prices.items():
            if q != w and d_q < 0:
                best = min(best, max(rho_q - rho_w, 0.0) / -d_q)
        b = money[idx]
        poor = idx[b <= t]
        rich_idx = idx[b > t]
        money[poor] = 0.0
        slope[poor] = 0.0
        money[rich_idx] -= t
        slope[rich_idx] -= dt
        remaining.discard(w)
        for k in prep.cap_of[w]:
            cap_left[k] -= costs[w]
    for q in remaining:
        if any(costs[q] > cap_left[k] for k in prep.cap_of[q]):
            continue
        idx = prep.ballots_of[q]
        total = float(np.dot(prep.wf_of[q], money[idx]))
        d_total = float(np.dot(prep.wf_of[q], slope[idx]))
        if d_total > 0:
            best = min(best, max(float(costs[q]) - total, 0.0) / d_total)
    if best == inf:
        return 1 << 62
    return max(int(np.ceil(best)) - 1, 0)


def _left_money(prep: _Prepared, class_of: np.ndarray, num: list[int], den: int,
                live: np.ndarray, col: np.ndarray) -> Fraction:
    """Money (in currency units) that the supporters of a project have left."""
    mask = live & (col > 0)
    total = 0
    for c, w in zip(class_of[mask].tolist(), col[mask].tolist()):
        total += w * num[c]
    return Fraction(total, den * prep.scale)


def _exact_payment(col: np.ndarray, num: list[int], den: int, cost: int) -> tuple[int, int] | None:
    """Exact water-fill: (X, W) with payment cap t = X / (W * den), or None if unaffordable."""
    idx = np.flatnonzero(col).tolist()
    items = sorted(((num[c], int(col[c])) for c in idx), key=lambda x: x[0])
    need = cost * den
    if sum(b * w for b, w in items) < need:
        return None
    rich = sum(w for _, w in items)
    paid = 0
    for b, w in items:
        x = need - paid
        if x <= b * rich:
            return x, rich
        paid += b * w
        rich -= w
    raise AssertionError("affordable project without a payment level")


def _round_info(prep: _Prepared, round_no: int, winner: int, rho: Fraction,
                exact_rho: dict[int, tuple[Fraction, int]],
                col: np.ndarray, num: list[int], den: int) -> dict[str, Any]:
    cost = prep.costs[winner]
    t = rho * cost
    idx = np.flatnonzero(col).tolist()
    paid = sum(min(Fraction(num[c], den), t) * int(col[c]) for c in idx)
    runners = []
    for q in sorted((q for q in exact_rho if q != winner),
                    key=lambda q: (exact_rho[q][0], prep.rank[q]))[:3]:
        q_rho = exact_rho[q][0]
        runners.append({"project": q, "rho": q_rho, "effective_support": rho / q_rho})
    return {"round": round_no, "project": winner, "rho": rho,
            "max_payment": t / prep.scale, "paid": paid / prep.scale,
            "supporters": int(prep.support[winner]), "runners_up": runners}


def _exhaustive(prep: _Prepared, selected: list[int], limit: int) -> bool:
    """True when no unselected supported project fits in the budget (and its caps)."""
    chosen = set(selected)
    spent = sum(prep.costs[q] for q in chosen)
    cap_used = [0] * len(prep.cap_limits)
    for q in chosen:
        for k in prep.cap_of[q]:
            cap_used[k] += prep.costs[q]
    return all(q in chosen or spent + prep.costs[q] > limit
               or any(cap_used[k] + prep.costs[q] > prep.cap_limits[k] for k in prep.cap_of[q])
               for q in prep.candidates)


@one_blas_thread
def mes_selection(election: Election, tie_break: TieBreak | None = None, *, add1: bool = True,
                  exact: bool = False, trace: bool = False,
                  use_caps: bool = True) -> tuple[_Run, dict[str, Any], _Prepared]:
    """Run MES (with Add1 when asked); return the final run, the Add1 summary and the data."""
    tie_break = tie_break or TieBreak()
    prep = _prepare(election, tie_break, use_caps)
    limit = int(election.budget * prep.scale)
    one_run: Callable[..., _Run]
    if exact:
        def one_run(p: _Prepared, s: Fraction, trace: bool = False,
                    limit: int | None = None) -> _Run:
            return _mes_run(p, s, trace=trace)
    else:
        one_run = cast(Callable[..., _Run], _mes_run_ballots)  # unguided runs always end in a _Run
    start = Fraction(election.budget) / prep.n
    share = start
    run = one_run(prep, share, trace=trace and not add1)
    summary: dict[str, Any] = {"iterations": 0, "share_start": start, "share_final": share,
                               "stop": "no-completion"}
    if add1:
        # Past this share a single supporter can pay any project: nothing new can happen.
        last_step = max(prep.costs, default=0) // prep.scale + 2  # first step past that bound
        step = 0
        # Skipping: after `patience` steps in a row with the same outcome, try to prove that
        # the next `probe` steps repeat it too (a guided run `probe` steps on); on success try
        # twice as far, on failure half as far. Where outcomes change every few steps (large
        # cities) failed probes are wasted runs, so each failed first probe doubles the patience.
        probe, patience, repeats, proved, guess = 0, 1, 0, False, False
        previous = run
        while True:
            spent = sum(prep.costs[q] for q in run.selected)
            if spent > limit:
                summary.update(stop="over-budget", share_final=share - 1)
                run = previous
                break
            if _exhaustive(prep, run.selected, limit):
                summary.update(stop="exhaustive", share_final=share)
                break
            if step >= last_step:
                summary.update(stop="bound", share_final=share)
                break
            while probe >= 2 and not exact:
                if guess:
                    # Look as far as a proof probably reaches (a float replay's guess).
                    guess = False
                    reach = _predicted_repeats(prep, run, share)
                    if 0 <= reach < 2:  # no proof reaches two steps: go step by step
                        probe = 0
                        continue
                    probe = reach
                target = min(step + probe, last_step)
                if target - step < 2:
                    probe = 0
                    continue
                ahead = _mes_run_ballots(prep, start + target, guide=run)
                if ahead is not None:
                    step, share, run = target, start + target, ahead
                    # A long stretch: guess how far the next proof reaches instead of doubling
                    # (a guess costs a few runs on large elections, so only where it pays).
                    guess = probe >= _GUESS_AFTER
                    probe *= 2
                    patience, proved = 1, True
                    break
                if probe == 2 and not proved:  # not even the first probe after a step held
                    patience *= 2
                probe //= 2
            else:
                previous = run
                step += 1
                share += 1
                # A run that goes over the budget is discarded: it may stop as soon as it does.
                run = one_run(prep, share, limit=limit)
                repeats = repeats + 1 if run.selected == previous.selected else 0
                probe = 2 if repeats >= patience else 0
                guess = False
                proved = False
            summary["iterations"] = step
    if trace and add1:
        run = one_run(prep, summary["share_final"], trace=True)
    return run, summary, prep


@one_blas_thread
def _outcome(election: Election, tie_break: TieBreak, rule: str, *, add1: bool, fill: bool,
             exact: bool, use_caps: bool) -> Outcome:
    run, summary, prep = mes_selection(election, tie_break, add1=add1, exact=exact, trace=True,
                                       use_caps=use_caps)
    ids = [p.id for p in election.projects]
    decisions: dict[int, Decision] = {}
    by_project = {r["project"]: r for r in run.rounds}
    for q in run.selected:
        r = by_project.get(q)
        if r is None:  # free project (cost 0)
            decisions[q] = decide(election, q, True, "mes-funded", round=0,
                                  supporters=int(prep.support[q]), paid=0, max_payment=0)
        else:
            decisions[q] = decide(election, q, True, "mes-funded", round=r["round"],
                                  supporters=r["supporters"], paid=normalise(r["paid"]),
                                  max_payment=r["max_payment"], rho=r["rho"])
    selected = list(run.selected)
    fill_steps: list[dict[str, Any]] = []
    if fill:
        remaining = election.budget - election.cost(selected)
        cap_left = [c.limit - election.cost([q for q in selected if k in election.caps_for(q)])
                    for k, c in enumerate(election.caps)] if use_caps else []
        for q in greedy_order(election, tie_break):
            cost = election.projects[q].cost
            if q in decisions or election.profile.scores[q] <= 0:
                continue
            fits = cost <= remaining and all(
                cost <= cap_left[k] for k in (election.caps_for(q) if use_caps else ()))
            if fits:
                decisions[q] = decide(election, q, True, "funded-fill", remaining=remaining)
                fill_steps.append({"project": ids[q], "cost": cost, "remaining_before": remaining})
                remaining -= cost
                for k in election.caps_for(q) if use_caps else ():
                    cap_left[k] -= cost
                selected.append(q)
    for q in range(len(election.projects)):
        if q in decisions:
            continue
        if prep.support[q] == 0:
            decisions[q] = decide(election, q, False, "no-votes", score=0)
        elif q in run.capped:
            cap = election.caps[run.capped[q]]
            used = election.cost([i for i in run.selected if run.capped[q] in election.caps_for(i)])
            decisions[q] = decide(election, q, False, "cap", group=cap.group, limit=cap.limit,
                                  cap_left=cap.limit - used)
        else:
            decisions[q] = decide(election, q, False, "supporters-short",
                                  left=normalise(run.left.get(q, Fraction(0))))
    rounds = []
    for r in run.rounds:
        rounds.append({**r, "project": ids[r["project"]],
                       "runners_up": [{**x, "project": ids[x["project"]]}
                                      for x in r["runners_up"]]})
    trace: dict[str, Any] = {"rounds": rounds}
    if add1:
        trace["add1"] = summary
    if fill:
        trace["fill"] = fill_steps
    return Outcome(election, rule, tuple(selected), tie_break,
                   tuple(decisions[q] for q in range(len(election.projects))), trace)


def equal_shares(election: Election, tie_break: TieBreak | None = None, *,
                 use_caps: bool = True, exact: bool = False) -> Outcome:
    """Method of Equal Shares with cost utilities, without completion (``equalshares``).

    Args:
        election: the election to count.
        tie_break: order among projects with exactly the same price; default file order.
        use_caps: respect the election's group caps (drop projects that would exceed one).
        exact: compute every evaluated project exactly instead of filtering with floats.

    Returns:
        The outcome with a trace of every round (see module docstring).
    """
    return _outcome(election, tie_break or TieBreak(), "equalshares", add1=False, fill=False,
                    exact=exact, use_caps=use_caps)


def equal_shares_add1(election: Election, tie_break: TieBreak | None = None, *,
                      use_caps: bool = True, exact: bool = False) -> Outcome:
    """Method of Equal Shares with the Add1 completion (``equalshares/add1``), as pabulib counts.

    Args:
        election: the election to count.
        tie_break: order among projects with exactly the same price; default file order.
        use_caps: respect the election's group caps (drop projects that would exceed one).
        exact: compute every evaluated project exactly instead of filtering with floats.

    Returns:
        The outcome; the trace holds the rounds of the final run and an Add1 summary.
    """
    return _outcome(election, tie_break or TieBreak(), "equalshares/add1", add1=True,
                    fill=False, exact=exact, use_caps=use_caps)


def equal_shares_add1_greedy(election: Election, tie_break: TieBreak | None = None, *,
                             use_caps: bool = True, exact: bool = False) -> Outcome:
    """Equal Shares with Add1, then a utilitarian greedy fill (``equalshares/add1+greedy``).

    Args:
        election: the election to count.
        tie_break: order among equal prices and equal scores; default file order.
        use_caps: respect the election's group caps.
        exact: compute every evaluated project exactly instead of filtering with floats.

    Returns:
        The outcome; projects funded by the fill get the code ``funded-fill``.
    """
    return _outcome(election, tie_break or TieBreak(), "equalshares/add1+greedy", add1=True,
                    fill=True, exact=exact, use_caps=use_caps)
