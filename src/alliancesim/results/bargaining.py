"""The record of one expected-utility bargaining game (`alliancesim eum`, `api.eum`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, ConfigDict

from alliancesim.model.council.eum import OFFER_KINDS, Bargaining, EUMSettings
from alliancesim.scenario.stakeholders import StakeholderTable


class Challenge(BaseModel):
    """In one round, the offer `actor` took from `proposer`: it moved from `before` to
    `after` (kind: confrontation, compromise or capitulation)."""

    model_config = ConfigDict(frozen=True)
    actor: str
    proposer: str
    kind: str
    before: float
    after: float


class Round(BaseModel):
    """One round: the risk exponents used, the offers taken, and the positions after it with
    their weighted median and mean."""

    model_config = ConfigDict(frozen=True)
    round: int
    risk: dict[str, float]
    challenges: list[Challenge]
    positions: dict[str, float]
    median: float
    mean: float


class EUMReport(BaseModel):
    """The stakeholder table, the settings, the initial median and mean, and every round.

    settled: the first round after which no position changed again (0: no one ever moved);
    None when positions still moved in the last round.
    """

    model_config = ConfigDict(frozen=True)
    source: str
    settings: dict[str, Any]
    actors: list[str]
    capability: list[float]
    salience: list[float]
    initial: dict[str, float]
    median: float
    mean: float
    span: float
    rounds: list[Round]
    settled: int | None

    @property
    def medians(self) -> list[float]:
        """The weighted median before round 1 and after each round."""
        return [self.median, *(r.median for r in self.rounds)]

    @property
    def means(self) -> list[float]:
        """The weighted mean before round 1 and after each round."""
        return [self.mean, *(r.mean for r in self.rounds)]

    def positions(self) -> list[list[float]]:
        """(rounds + 1) rows of the actors' positions, in the table's order."""
        rows = [[self.initial[a] for a in self.actors]]
        rows += [[r.positions[a] for a in self.actors] for r in self.rounds]
        return rows


def eum_report(table: StakeholderTable, game: Bargaining, settings: EUMSettings) -> EUMReport:
    """The record of a one-trial game played on `table` with `settings`."""
    names = list(table.actors)
    rounds = []
    for k in range(game.risk.shape[0]):
        before, after = game.positions[k, 0], game.positions[k + 1, 0]
        challenges = [
            Challenge(actor=names[i], proposer=names[int(game.proposer[k, 0, i])],
                      kind=OFFER_KINDS[int(game.kind[k, 0, i])], before=float(before[i]),
                      after=float(after[i]))
            for i in range(len(names)) if game.proposer[k, 0, i] >= 0]
        rounds.append(Round(round=k + 1,
                            risk={a: float(v) for a, v in zip(names, game.risk[k, 0],
                                                              strict=True)},
                            challenges=challenges,
                            positions={a: float(v) for a, v in zip(names, after, strict=True)},
                            median=float(game.median[k + 1, 0]),
                            mean=float(game.mean[k + 1, 0])))
    settled = int(game.settled()[0])
    return EUMReport(source=table.source, settings=asdict(settings), actors=names,
                     capability=list(table.capability), salience=list(table.salience),
                     initial={a: float(v) for a, v in zip(names, game.positions[0, 0],
                                                          strict=True)},
                     median=float(game.median[0, 0]), mean=float(game.mean[0, 0]),
                     span=float(game.span[0]), rounds=rounds,
                     settled=None if settled < 0 else settled)
