"""Pairing one article's predicted facts with its gold facts, one to one.

What belongs here: the amount rule (within 1% of the amount, an alternate, or
both range bounds), the maximum-weight assignment, and the matching of one
block of facts given which organisation keys meet. What does not: deciding
which names a fact carries (`scoring`) or comparing names (`names`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.evaluate.gold import GoldFact
from pipeline.evaluate.predictions import PredictedFact

AMOUNT_TOLERANCE = 0.01  # "within 1%" of the gold amount
# Guards the exact 1% edge against binary floating point (35e6 * 1.01 is not exact).
_FLOAT_SLACK = 1e-9

@dataclass(frozen=True)
class OrgKeys:
    """What a fact's organisation can be matched through.

    `names`: comparison keys (`names.normalise_org_name`) of every name the fact may match by;
    `kinds`: the collective kinds it stands for (`names.collective_kinds`), set only where the
    guidelines let a collective match any collective of the same kind.
    """

    names: frozenset[str]
    kinds: frozenset[frozenset[str]] = frozenset()

    def meets(self, other: OrgKeys) -> bool:
        return bool(self.names & other.names or self.kinds & other.kinds)


def amounts_match(gold: GoldFact, predicted: PredictedFact) -> bool:
    """Within 1% of amount_gbp or an alternate, or both range bounds within 1%."""
    singles = [a for a in (gold.amount_gbp, *gold.alternates) if a is not None]
    if predicted.amount_gbp is not None and any(_close(predicted.amount_gbp, a) for a in singles):
        return True
    return (gold.amount_low is not None and gold.amount_high is not None
            and predicted.amount_low_gbp is not None and predicted.amount_high_gbp is not None
            and _close(predicted.amount_low_gbp, gold.amount_low)
            and _close(predicted.amount_high_gbp, gold.amount_high))


def _close(predicted: float, gold: float) -> bool:
    # The tolerance is relative to the gold figure: gold is the reference.
    return abs(predicted - gold) <= abs(gold) * AMOUNT_TOLERANCE * (1 + _FLOAT_SLACK)


def period_of(fact: GoldFact | PredictedFact) -> tuple:
    return (fact.fy_start, fact.fy_end, fact.horizon_years)


def max_weight_assignment(weights: list[list[int]]) -> list[tuple[int, int]]:
    """Row/column pairs of a maximum-weight assignment; zero weight means "no edge" and is dropped.

    The Hungarian algorithm (O(n^2 m)); articles hold a few dozen facts at most.
    """
    if not weights or not weights[0]:
        return []
    # The algorithm needs no more rows than columns.
    transposed = len(weights) > len(weights[0])
    oriented = [list(column) for column in zip(*weights)] if transposed else weights
    n, m = len(oriented), len(oriented[0])
    cost = [[-w for w in row] for row in oriented]
    u, v = [0] * (n + 1), [0] * (m + 1)
    row_of_column, way = [0] * (m + 1), [0] * (m + 1)
    for row in range(1, n + 1):
        row_of_column[0] = row
        column = 0
        min_slack = [float("inf")] * (m + 1)
        used = [False] * (m + 1)
        while row_of_column[column]:
            used[column] = True
            current_row, delta, next_column = row_of_column[column], float("inf"), 0
            for j in range(1, m + 1):
                if used[j]:
                    continue
                slack = cost[current_row - 1][j - 1] - u[current_row] - v[j]
                if slack < min_slack[j]:
                    min_slack[j], way[j] = slack, column
                if min_slack[j] < delta:
                    delta, next_column = min_slack[j], j
            for j in range(m + 1):
                if used[j]:
                    u[row_of_column[j]] += delta
                    v[j] -= delta
                else:
                    min_slack[j] -= delta
            column = next_column
        while column:
            previous = way[column]
            row_of_column[column] = row_of_column[previous]
            column = previous
    pairs = [(row_of_column[j] - 1, j - 1) for j in range(1, m + 1) if row_of_column[j]]
    pairs = [(j, i) if transposed else (i, j) for i, j in pairs]
    return sorted((i, j) for i, j in pairs if weights[i][j] > 0)


@dataclass
class BlockResult:
    """The outcome of matching one article's facts of one table."""

    pairs: list[tuple[GoldFact, PredictedFact]]
    unmatched_gold: list[GoldFact]
    unmatched_predicted: list[tuple[PredictedFact, bool]]  # (prediction, is a duplicate)


def match_block(gold: list[GoldFact], predicted: list[PredictedFact],
                gold_keys: list[OrgKeys], predicted_keys: list[OrgKeys]) -> BlockResult:
    """One-to-one matching that maximises matches, then same-measure pairs, then same-period pairs.

    A gold and a predicted fact can pair when their organisation keys meet and their amounts match.
    """
    n = min(len(gold), len(predicted))
    measure_bonus = n + 1  # one more same-measure pair outweighs every same-period pair
    match_base = n * (measure_bonus + 1) + 1  # one more match outweighs every bonus
    edges = [[(g_keys.meets(p_keys) and amounts_match(g, p)) for p, p_keys in zip(predicted, predicted_keys)]
             for g, g_keys in zip(gold, gold_keys)]
    weights = [[(match_base + measure_bonus * (g.measure == p.measure) + (period_of(g) == period_of(p)))
                if edges[i][j] else 0
                for j, p in enumerate(predicted)] for i, g in enumerate(gold)]
    pairs = max_weight_assignment(weights)
    matched_gold = {i for i, _ in pairs}
    matched_predicted = {j for _, j in pairs}
    return BlockResult(
        pairs=[(gold[i], predicted[j]) for i, j in pairs],
        unmatched_gold=[g for i, g in enumerate(gold) if i not in matched_gold],
        # In a maximum matching an unmatched prediction can only have edges to matched gold facts.
        unmatched_predicted=[(p, any(edges[i][j] for i in range(len(gold))))
                             for j, p in enumerate(predicted) if j not in matched_predicted],
    )
