"""Credible intervals of Bradley-Terry scores: the posterior sampled around its mode.

The posterior of the log-strengths ``s`` given a matrix of (pseudo-)wins ``W`` (``W[i, j]``:
wins of ``i`` over ``j``, prior pseudo-wins included) is proportional to
``prod_{i != j} sigmoid(s_i - s_j) ** W[i, j]``; it is log-concave and invariant under adding a
constant to every score, so scores are sampled centred (on the plane ``sum(s) = 0``).

Sampling is importance sampling: draws from a multivariate Student-t (4 degrees of freedom)
centred on the mode, shaped by the Laplace approximation (the inverse Hessian there, widened),
each weighted by posterior / proposal. The t's heavy tails cover the posterior's long side when a
variant won (or lost) every judgement, where the Laplace interval alone is badly off. The interval
is the equal-tailed weighted percentile of each centred score.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = ["posterior_interval"]

Array = npt.NDArray[np.float64]

PROPOSAL_DF = 4.0
"""Degrees of freedom of the Student-t proposal (heavier tails than the posterior's)."""
PROPOSAL_WIDTH = 1.5
"""How much wider than the Laplace approximation the proposal is."""


def _centred_basis(size: int) -> Array:
    """Orthonormal columns spanning the plane ``sum(s) = 0`` (size x size-1)."""
    # the QR of [1 | I] gives the constant vector first; the rest span its complement
    full, _ = np.linalg.qr(np.column_stack([np.ones(size), np.eye(size)[:, : size - 1]]))
    return np.asarray(full[:, 1:size], dtype=float)


def _log_posterior(
    scores: Array, wins: Array, pairs: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]
) -> Array:
    """Unnormalised log posterior of each row of ``scores`` (draws x items)."""
    first, second = pairs
    diff = scores[:, first] - scores[:, second]
    return np.asarray(
        special.log_expit(diff) @ wins[first, second]
        + special.log_expit(-diff) @ wins[second, first],
        dtype=float,
    )


def _hessian(mode: Array, wins: Array) -> Array:
    """Negative Hessian of the log posterior at ``mode`` (a weighted graph Laplacian)."""
    total = wins + wins.T
    p = special.expit(mode[:, None] - mode[None, :])
    weight = total * p * (1 - p)
    np.fill_diagonal(weight, 0.0)
    return np.asarray(np.diag(weight.sum(axis=1)) - weight, dtype=float)


def posterior_interval(
    wins: Array, mode: Array, *, draws: int, seed: int, confidence: float
) -> tuple[Array, Array]:
    """The equal-tailed credible interval of each centred score.

    Args:
        wins: ``W[i, j]``, wins (and prior pseudo-wins) of item ``i`` over item ``j``; every
            item must be connected to the others (a prior > 0 does that).
        mode: the posterior mode, centred on 0.
        draws: importance samples (more: steadier bounds).
        seed: the sampling seed (the same seed gives the same interval).
        confidence: the interval's probability (0.95 for 95 %).
    """
    size = len(mode)
    if size < 2:
        return np.zeros(size), np.zeros(size)
    basis = _centred_basis(size)
    reduced = basis.T @ _hessian(mode, wins) @ basis
    covariance = np.linalg.inv(reduced) * PROPOSAL_WIDTH**2
    root = np.linalg.cholesky(covariance)
    rng = np.random.default_rng(seed)
    dim = size - 1
    normal = rng.standard_normal((draws, dim))
    chi = rng.chisquare(PROPOSAL_DF, draws) / PROPOSAL_DF
    steps = normal / np.sqrt(chi)[:, None]  # standard multivariate t
    samples = mode[None, :] + (steps @ root.T) @ basis.T
    log_proposal = -(PROPOSAL_DF + dim) / 2 * np.log1p(np.sum(steps**2, axis=1) / PROPOSAL_DF)
    first, second = np.triu_indices(size, 1)
    pairs = (first.astype(np.intp), second.astype(np.intp))
    log_weight = _log_posterior(samples, wins, pairs) - log_proposal
    weight = np.exp(log_weight - log_weight.max())
    tail = (1 - confidence) / 2
    low = np.empty(size)
    high = np.empty(size)
    for item in range(size):
        low[item], high[item] = _weighted_quantiles(samples[:, item], weight, (tail, 1 - tail))
    return low, high


def _weighted_quantiles(
    values: Array, weights: Array, quantiles: tuple[float, float]
) -> tuple[float, float]:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    cumulative /= cumulative[-1]
    found = np.searchsorted(cumulative, quantiles)
    found = np.minimum(found, len(values) - 1)
    ordered = values[order]
    return float(ordered[found[0]]), float(ordered[found[1]])
