"""Decision rules: how members' preferred rungs become the alliance's collective rung.

Written once, here. Every rule is stated by one table: the number of members ``need[l]`` who
must prefer rung l or more for the alliance to reach it (l = 1..4), or, for "the leader
decides", the leader's own preference. The rules are nested (need[l] never falls as l rises,
and a member preferring l prefers every lower rung too), so

    L = max { l : #{i : l_i >= l} >= need[l] }    (0 when no rung is reached)

and the victim, which supports every rung its request allows, counts as a supporter. The
tables (n members, victim included):

- consensus:            need[l] = n                 (every member can block; CSC Treaty art. 12
                        and the CSTO Charter art. 12: decisions by consensus);
- consensus from c:     need[l] = n for l >= c, a simple majority n // 2 + 1 below it
                        (consultations happen on any member's request: CSC Treaty art. 2, NATO
                        art. 4);
- q-majority:           need[l] = ceil(q n)        (e.g. two thirds);
- simple majority:      need[l] = n // 2 + 1;
- leader decides:       L = l_leader.

The leader's weight omega (parameters.council.leader_weight) mixes an alliance's own rule with
"the leader decides": in a share omega of trials the leader's preference alone decides
(decide_weighted; in closed form P = omega P_leader + (1 - omega) P_rule).

Two forms use the same table:

- ``decide``: the deterministic rule on the drawn preferences (the engine), with who held the
  alliance back and who alone was pivotal;
- ``reach_weight``: the probability form used by every closed form and likelihood. Given for
  each member a weight y_i of "supports rung l" and n_i of "does not" (independent members;
  unrestricted y = p, n = 1 - p), the weight of the event "the rule reaches l" is a
  Poisson-binomial tail sum over supporters >= need[l] (consensus: prod_i y_i), or for the
  leader y_leader prod_{j != leader} (y_j + n_j); with its derivatives in every y_i and n_i,
  for exact likelihood gradients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alliancesim._jit import njit
from alliancesim.scenario.compile import CompiledCrisis

RULES = ("consensus", "qualified_majority", "simple_majority", "leader")
_COUNT, _LEADER = 0, 1


@dataclass(frozen=True)
class DecisionRule:
    """A decision rule for an alliance of n members (victim included).

    need: members needed at rungs 1..4 (count rules); leader: the deciding member (leader rule).
    """

    name: str
    n: int
    need: tuple[int, int, int, int]
    leader: int = -1
    consensus_from: int = 1

    @classmethod
    def of(cls, name: str, n: int, *, threshold: float | None = None, leader: int = -1,
           consensus_from: int = 1) -> DecisionRule:
        """The rule `name` for n members. threshold: the share needed under qualified_majority;
        consensus_from: under consensus, the lowest rung that needs every member."""
        majority = n // 2 + 1
        if name == "consensus":
            need = tuple(n if level >= consensus_from else majority for level in range(1, 5))
        elif name == "simple_majority":
            need = (majority,) * 4
        elif name == "qualified_majority":
            if threshold is None or not 0.0 < threshold <= 1.0:
                raise ValueError(f"qualified_majority needs a threshold in (0, 1] "
                                 f"(got {threshold})")
            need = (max(1, math.ceil(threshold * n - 1e-9)),) * 4
        elif name == "leader":
            if not 0 <= leader < n:
                raise ValueError("the rule 'leader' needs an alliance with a leader")
            need = (1,) * 4
        else:
            raise ValueError(f"unknown decision rule {name!r} (valid: {', '.join(RULES)})")
        return cls(name, n, need, leader, consensus_from if name == "consensus" else 1)  # type: ignore[arg-type]

    @property
    def quota(self) -> int:
        """Members needed for military help (the top rung)."""
        return self.need[3]

    def _need_array(self) -> np.ndarray:
        return np.array((0, *self.need), dtype=np.int64)

    def _code(self) -> int:
        return _LEADER if self.name == "leader" else _COUNT

    @property
    def compiled(self) -> tuple[int, np.ndarray]:
        """(rule code, members needed at rungs 0..4): trial_decide's arguments for this rule."""
        return self._code(), self._need_array()

    @property
    def has_leader_weight(self) -> bool:
        """Whether the leader's weight applies: an alliance with a leader and another rule."""
        return self.leader >= 0 and self.name != "leader"

    def leader_decides(self) -> DecisionRule:
        """"The leader decides" in the same alliance."""
        return DecisionRule.of("leader", self.n, leader=self.leader)

    # ----------------------------------------------------------------- deterministic form
    def decide_weighted(self, preferred: np.ndarray, cap: np.ndarray, victim: int,
                        draw: np.ndarray, leader_weight: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """decide, except that in the trials with draw < leader_weight (draw uniform on [0, 1),
        the weight omega per trial: parameters.council.leader_weight) the leader's preference
        alone decides. omega = 0 or no leader: decide itself."""
        if not self.has_leader_weight:
            return self.decide(preferred, cap, victim)
        return self._run(preferred, cap, victim, np.broadcast_to(draw, cap.shape),
                         np.broadcast_to(leader_weight, cap.shape))  # one compiled pass

    def decide(self, preferred: np.ndarray, cap: np.ndarray, victim: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The collective rung (capped by the request), holds_out and sole_veto.

        preferred (T, n) int with the victim's entry at its cap; cap (T,). Returns rung (T,)
        int8, holds_out (T, n) bool: the decision fell short of the request (L < cap) and the
        member preferred no more than was decided (l_i <= L); sole_veto (T, n) bool: had this
        member alone supported the request, the rule would have given more than L. The victim
        is never counted as holding out. One compiled pass per trial.
        """
        return self._run(preferred, cap, victim, np.ones(preferred.shape[0]),
                         np.zeros(preferred.shape[0]))

    def _run(self, preferred: np.ndarray, cap: np.ndarray, victim: int, draw: np.ndarray,
             weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        T, M = preferred.shape
        rung = np.empty(T, dtype=np.int8)
        holds = np.empty((T, M), dtype=np.bool_)
        sole = np.empty((T, M), dtype=np.bool_)
        _decide_kernel(np.ascontiguousarray(preferred, dtype=np.int8),
                       np.ascontiguousarray(cap, dtype=np.int8), *self.compiled,
                       self.leader, victim,
                       np.ascontiguousarray(draw, dtype=np.float64),
                       np.ascontiguousarray(weight, dtype=np.float64), rung, holds, sole)
        return rung, holds, sole

    # ----------------------------------------------------------------- probability form
    def reach_weight(self, y: np.ndarray, n: np.ndarray, level: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weight of "the rule reaches `level`" and its derivatives, for independent members.

        y, n: (..., M) weights of each member supporting `level` or more / less (the victim:
        y = 1, n = 0). Returns f (...), df/dy (..., M), df/dn (..., M).
        """
        y = np.asarray(y, dtype=float)
        n = np.asarray(n, dtype=float)
        if self._code() == _LEADER:
            return _leader_weight(y, n, self.leader)
        need = self.need[level - 1]
        M = y.shape[-1]
        if need >= M:  # every member: f = prod_i y_i (the common case, consensus)
            return _all_weight(y)
        lead = y.shape[:-1]
        y2 = np.ascontiguousarray(np.broadcast_to(y, n.shape).reshape(-1, M))
        n2 = np.ascontiguousarray(np.broadcast_to(n, y.shape).reshape(-1, M))
        f = np.empty(y2.shape[0])
        dfdy = np.empty_like(y2)
        dfdn = np.empty_like(y2)
        _count_weight_kernel(y2, n2, need, f, dfdy, dfdn)
        return f.reshape(lead), dfdy.reshape(*lead, M), dfdn.reshape(*lead, M)

    def reach_probability(self, y: np.ndarray, n: np.ndarray, level: int) -> np.ndarray:
        """The weight f of reach_weight without its derivatives (the sampler's likelihood,
        experiments/posterior.py): y, n (..., M); returns (...)."""
        y = np.asarray(y, dtype=float)
        n = np.asarray(n, dtype=float)
        M = y.shape[-1]
        if self._code() == _LEADER:
            others = np.where(np.arange(M) == self.leader, 1.0, y + n)
            return np.asarray(y[..., self.leader] * np.prod(others, axis=-1))
        need = self.need[level - 1]
        if need >= M:
            return np.asarray(np.prod(y, axis=-1))
        lead = y.shape[:-1]
        y2 = np.ascontiguousarray(np.broadcast_to(y, n.shape).reshape(-1, M))
        n2 = np.ascontiguousarray(np.broadcast_to(n, y.shape).reshape(-1, M))
        f = np.empty(y2.shape[0])
        _count_probability_kernel(y2, n2, need, f)
        return f.reshape(lead)


def voter_index(i: int, party: int) -> int:
    """Member i's index among the voters when `party` (a member that attacked) does not vote;
    -1 for the party itself or no member."""
    return -1 if i < 0 or i == party else i - (party >= 0 and i > party)


def voters(model: CompiledCrisis) -> np.ndarray:
    """(M,) bool: the members who vote in the council (rule_of)."""
    keep = np.ones(model.n_members, dtype=np.bool_)
    if model.aggressor_member >= 0:
        keep[model.aggressor_member] = False
    return keep


def rule_of(model: CompiledCrisis) -> DecisionRule:
    """The decision rule of a compiled crisis's alliance, among the members who vote.

    A member that attacked another (a member clash) is a party, not a judge: it neither votes
    nor leads, and the rule counts the other members (n - 1; its leader index is among them;
    "the leader decides" with the leader as the party falls back to consensus). The treaties
    say so: the Rio Treaty, art. 18 ("In the case of a situation or dispute between American
    States, the parties directly interested shall be excluded from the voting"); the Pact of
    the League of Arab States, art. 5 (the states in dispute "shall not participate in the
    deliberations and decisions of the Council"); the UN Charter, art. 27(3). Adopted in issue
    20 on the evidence of the record beyond the CSTO and NATO (docs/validation.md): before it,
    the party voted with a strong prior against acting (coefficients.is_aggressor) and could
    block a consensus on its own clash. The engine gives the party's preference no weight
    (rung 0) and counts `need` among the voters, the same rule in its own indexing."""
    party = model.aggressor_member
    leader = voter_index(model.leader, party)
    name = "consensus" if model.rule == "leader" and leader < 0 else model.rule
    return DecisionRule.of(name, model.n_members - (party >= 0), threshold=model.threshold,
                           leader=leader, consensus_from=model.consensus_from)


@njit(cache=True)
def _count_weight_kernel(y: np.ndarray, n: np.ndarray, need: int, f: np.ndarray,
                         dfdy: np.ndarray, dfdn: np.ndarray) -> None:
    """The count rule's weight and its derivatives for each row b of y, n (B, M).

    f = weight of at least `need` supporters (Poisson-binomial recursion, unnormalised); the
    derivative in y_i is the weight of at least need - 1 supporters among the others, in n_i of
    at least need among them. The others' count is the convolution of the members before i
    (prefix) and after i (suffix): sum_a prefix_i[a] * suffix_tail_i[k - a], O(M^2) per row.
    """
    B, M = y.shape
    pre = np.zeros((M + 1, M + 1))
    suf = np.zeros((M + 1, M + 1))
    tail = np.zeros(M + 2)
    for b in range(B):
        pre[:, :] = 0.0
        pre[0, 0] = 1.0
        for i in range(M):
            pre[i + 1, 0] = pre[i, 0] * n[b, i]
            for c in range(1, i + 2):
                pre[i + 1, c] = pre[i, c] * n[b, i] + pre[i, c - 1] * y[b, i]
        suf[:, :] = 0.0
        suf[M, 0] = 1.0  # suf[i]: members i..M-1
        for i in range(M - 1, -1, -1):
            suf[i, 0] = suf[i + 1, 0] * n[b, i]
            for c in range(1, M - i + 1):
                suf[i, c] = suf[i + 1, c] * n[b, i] + suf[i + 1, c - 1] * y[b, i]
        total = 0.0
        for c in range(max(need, 0), M + 1):
            total += pre[M, c]
        f[b] = total
        for i in range(M):
            # tail[k] = weight of at least k supporters among members i+1..M-1
            tail[M + 1] = 0.0
            for c in range(M, -1, -1):
                tail[c] = tail[c + 1] + suf[i + 1, c]
            at_least_less = 0.0  # >= need - 1 among the others
            at_least = 0.0  # >= need among the others
            for a in range(i + 1):
                k1 = need - 1 - a
                k0 = need - a
                at_least_less += pre[i, a] * (tail[k1] if k1 > 0 else tail[0])
                at_least += pre[i, a] * (tail[k0] if k0 > 0 else tail[0])
            dfdy[b, i] = at_least_less
            dfdn[b, i] = at_least


@njit(cache=True)
def _count_probability_kernel(y: np.ndarray, n: np.ndarray, need: int, f: np.ndarray) -> None:
    """f of _count_weight_kernel alone: the prefix recursion over all members."""
    B, M = y.shape
    pre = np.zeros(M + 1)
    for b in range(B):
        pre[:] = 0.0
        pre[0] = 1.0
        for i in range(M):
            for c in range(i + 1, 0, -1):
                pre[c] = pre[c] * n[b, i] + pre[c - 1] * y[b, i]
            pre[0] = pre[0] * n[b, i]
        total = 0.0
        for c in range(max(need, 0), M + 1):
            total += pre[c]
        f[b] = total


def _all_weight(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f = prod_i y_i (every member must support), df/dy_i = prod_{j != i} y_j, df/dn = 0."""
    M = y.shape[-1]
    eye = np.eye(M, dtype=bool)
    loo = np.prod(np.where(eye, 1.0, y[..., None, :]), axis=-1)  # (..., M)
    return np.asarray(np.prod(y, axis=-1)), loo, np.zeros_like(y)


def _leader_weight(y: np.ndarray, n: np.ndarray, leader: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f = y_leader prod_{j != leader} (y_j + n_j): the others only carry any restriction."""
    both = y + n
    M = y.shape[-1]
    eye = np.eye(M, dtype=bool)
    others = np.where(np.arange(M) == leader, 1.0, both)
    free = np.prod(others, axis=-1)
    lead = y[..., leader]
    f = lead * free
    # d f / d y_j = d f / d n_j = y_leader prod_{k != j, leader} both_k   (j != leader)
    loo = np.prod(np.where(eye, 1.0, others[..., None, :]), axis=-1)  # (..., M)
    dfdy = lead[..., None] * loo
    dfdn = dfdy.copy()
    dfdy[..., leader] = free
    dfdn[..., leader] = 0.0
    return np.asarray(f), dfdy, dfdn


@njit(cache=True)
def trial_decide(preferred: np.ndarray, c: int, rule_code: int, need: np.ndarray, leader: int,
                 victim: int, draw: float, weight: float, holds_out: np.ndarray,
                 sole_veto: np.ndarray, cnt: np.ndarray) -> int:
    """The rule in one trial, compiled: the collective rung (capped by the request's c), and
    for each member whether it holds out and whether it alone vetoes (see decide); where
    draw < weight (the leader's weight) the leader decides. preferred, holds_out, sole_veto:
    (M,); cnt: (5,) int scratch.

    cnt[l] counts the members preferring rung l or more; the rule's rung is the highest l
    with cnt[l] >= need[l] (0 if none), and a member alone vetoes when the highest such l,
    counting it as supporting every rung up to c, exceeds the rung. Written with fixed trip
    counts and selects rather than early exits (the numbers of the loops with breaks it
    replaced, issue 23: those mispredicted)."""
    M = preferred.shape[0]
    code = 1 if (leader >= 0 and draw < weight) else rule_code
    cnt[0] = 0
    for level in range(1, 5):
        k = 0
        for i in range(M):
            k += 1 if preferred[i] >= level else 0
        cnt[level] = k
    L = 0
    if code == 1:
        L = preferred[leader]
    else:
        for level in range(1, 5):
            L = level if cnt[level] >= need[level] else L
    L = min(L, c)
    for i in range(M):
        p = preferred[i]
        holds_out[i] = i != victim and L < c and p <= L
        # the rule's outcome had i alone supported the request (p_i := cap)
        if code == 1:
            alt = c if i == leader else L
        else:
            alt = 0
            for level in range(1, 5):
                extra = 1 if p < level <= c else 0
                alt = level if cnt[level] + extra >= need[level] else alt
            alt = min(alt, c)
        sole_veto[i] = i != victim and alt > L
    return L


@njit(cache=True)
def decide_lanes(preferred: np.ndarray, c: np.ndarray, rule_code: int, need: np.ndarray,
                 leader: int, victim: int, draw: np.ndarray, t0: int, weight: np.ndarray,
                 n: int, rung: np.ndarray, holds_out: np.ndarray, sole_veto: np.ndarray,
                 cnt: np.ndarray, code: np.ndarray) -> None:
    """trial_decide for n trials side by side, bit for bit: preferred, holds_out, sole_veto
    (M, n), member-major; c, weight, rung (n,); draw (T,) from t0; cnt (5, n) and code (n,)
    int scratch. Each of trial_decide's loops runs over the trials inside (selects: vector
    code)."""
    M = preferred.shape[0]
    for j in range(n):
        code[j] = 1 if (leader >= 0 and draw[t0 + j] < weight[j]) else rule_code
    for level in range(1, 5):
        for j in range(n):
            cnt[level, j] = 0
        for i in range(M):
            for j in range(n):
                cnt[level, j] += 1 if preferred[i, j] >= level else 0
    for j in range(n):
        L = 0
        for level in range(1, 5):
            L = level if cnt[level, j] >= need[level] else L
        L = preferred[leader, j] if code[j] == 1 else L  # (as trial_decide's, index and all)
        rung[j] = min(L, c[j])
    for i in range(M):
        for j in range(n):
            p = preferred[i, j]
            L, cj = rung[j], c[j]
            holds_out[i, j] = i != victim and L < cj and p <= L
            alt = 0
            for level in range(1, 5):
                extra = 1 if p < level <= cj else 0
                alt = level if cnt[level, j] + extra >= need[level] else alt
            alt = min(alt, cj)
            alt = (cj if i == leader else L) if code[j] == 1 else alt
            sole_veto[i, j] = i != victim and alt > L


@njit(cache=True)
def _decide_kernel(preferred: np.ndarray, cap: np.ndarray, rule_code: int, need: np.ndarray,
                   leader: int, victim: int, draw: np.ndarray, weight: np.ndarray,
                   rung: np.ndarray, holds_out: np.ndarray, sole_veto: np.ndarray) -> None:
    """trial_decide for every trial."""
    cnt = np.zeros(5, dtype=np.int64)
    for t in range(preferred.shape[0]):
        rung[t] = trial_decide(preferred[t], cap[t], rule_code, need, leader, victim, draw[t],
                               weight[t], holds_out[t], sole_veto[t], cnt)
