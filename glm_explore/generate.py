"""Sequence generation: autoregressive sampling (CLM) and iterative mask-and-fill (MLM), with the
log-probability of every generated base kept.

Typical use::

    s = sample_clm(clm, prefix="ATG", length=200, n=8, temperature=0.8, top_p=0.9, seed=1)
    s = sample_mlm(mlm, 200, rounds=10, method="mask-predict")              # de novo
    s = infill_region(mlm, data.genome, "chrI:1001-1300", (100, 150))       # regenerate 50 bp in place
    samples_table(s); samples_fasta(s)                                      # for people / files

Rules shared by every sampler (documented once here):

* **Distribution drawn from.** The model's column p over A,C,G,T, then temperature T
  (q ∝ p^(1/T); T = 0 is greedy: the most likely base, ties to the first of A,C,G,T), then
  top-k (the k most likely bases), then top-p (the nucleus: bases in decreasing order while the
  probability before them is < p — the Hugging Face order and rule), renormalised.
* **Log-probabilities.** ``Sample.log_probs`` is log q(base) under that drawn distribution (0 for a
  greedy pick); ``Sample.model_log_probs`` is log p(base) under the model's own column (T = 1, no
  truncation) in the context it was drawn in. Both are NaN at fixed (prefix / outside-span) bases.
* **Seeds.** Sample j of a call with ``seed`` s uses its own generator seeded s + j
  (``Sample.seed``), so re-running with that seed and ``n=1`` reproduces it whatever the batch.
  Draws are inverse-CDF from one uniform per base, so they repeat up to floating-point differences
  of the model between batch sizes.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from .errors import (
    InputTooLargeError,
    ObjectiveError,
    RegionError,
    SamplingError,
)
from .io.genome import Genome, Region, parse_region
from .logits import mask_groups
from .models.base import GenomicLM, Progress
from .results.generate import Sample
from .sequence import clean_sequence

METHODS = ("mask-predict", "gibbs")
SCHEDULES = ("cosine", "linear")
_LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)


# -- the distribution drawn from ------------------------------------------------------------------
def check_sampling(temperature: float, top_k: int | None, top_p: float | None) -> None:
    """Raise :class:`SamplingError` unless T ≥ 0, top_k ≥ 1 (or None) and top_p in (0, 1] (or None)."""
    if not np.isfinite(temperature) or temperature < 0:
        raise SamplingError(f"temperature must be 0 (greedy) or more, got {temperature}.")
    if top_k is not None and top_k < 1:
        raise SamplingError(f"top-k must be at least 1 (or unset to keep all 4 bases), got {top_k}.")
    if top_p is not None and not 0 < top_p <= 1:
        raise SamplingError(f"top-p must be in (0, 1] (1 keeps every base), got {top_p}.")


def sampling_log_probs(log_p: np.ndarray, temperature: float = 1.0, top_k: int | None = None,
                       top_p: float | None = None) -> np.ndarray:
    """(M, 4) log q of the distribution drawn from, given model columns ``log_p`` (M, 4) natural log.

    Temperature, then top-k, then top-p (see the module docstring); excluded bases get -inf.
    """
    check_sampling(temperature, top_k, top_p)
    log_p = np.asarray(log_p, dtype=np.float64)
    order = np.argsort(-log_p, axis=1, kind="stable")  # most likely first, ties in A,C,G,T order
    rank = np.argsort(order, axis=1, kind="stable")
    if temperature == 0:
        return np.where(rank == 0, 0.0, -np.inf)
    z = log_p / temperature
    if top_k is not None:
        z = np.where(rank < top_k, z, -np.inf)
    z = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
    if top_p is not None and top_p < 1:
        q_sorted = np.take_along_axis(np.exp(z), order, axis=1)
        before = np.cumsum(q_sorted, axis=1) - q_sorted  # probability of the bases ranked above
        keep = np.take_along_axis(before < top_p, rank, axis=1)
        z = np.where(keep, z, -np.inf)
        z = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
    return z


def draw(log_q: np.ndarray, u: np.ndarray) -> np.ndarray:
    """(M,) base codes drawn by inverse CDF from log q (M, 4) with uniforms ``u`` (M,) in [0, 1)."""
    cum = np.cumsum(np.exp(log_q), axis=1)
    cum /= cum[:, -1:]
    return np.minimum((cum <= np.asarray(u)[:, None]).sum(axis=1), 3)


def mask_schedule(n_positions: int, rounds: int, schedule: str = "cosine") -> np.ndarray:
    """(rounds,) how many span positions stay masked after each round t = 1..rounds.

    ``floor(N·γ(t/T))`` with γ(r) = 1 − r ('linear', mask-predict of Ghazvininejad et al. 2019) or
    cos(πr/2) ('cosine', MaskGIT); 0 after the last round.
    """
    if schedule not in SCHEDULES:
        raise SamplingError(f"Unknown schedule {schedule!r}: choose one of {', '.join(SCHEDULES)}.")
    r = np.arange(1, rounds + 1) / rounds
    gamma = 1 - r if schedule == "linear" else np.cos(np.pi / 2 * r)
    out = np.floor(n_positions * gamma + 1e-9).astype(np.int64)
    out[-1] = 0
    return np.clip(out, 0, n_positions)


# -- shared plumbing --------------------------------------------------------------------------------
def _need(model: GenomicLM, objective: str, what: str) -> None:
    if model.info.objective != objective:
        other = "sample_clm (a causal LM continues a prefix)" if objective == "mlm" else \
            "sample_mlm / infill_region (a masked LM fills masked positions)"
        raise ObjectiveError(f"{what} needs {'an MLM' if objective == 'mlm' else 'a CLM'}, but {model.info.name} is "
                             f"{'an MLM' if model.info.is_mlm else 'a CLM'}; use {other} or pick another model.")


def _check_counts(length: int, n: int) -> None:
    if length < 1:
        raise SamplingError(f"length must be at least 1 base, got {length}.")
    if n < 1:
        raise SamplingError(f"n (samples) must be at least 1, got {n}.")


def _texts(letters: np.ndarray, lo: int = 0, hi: int | None = None) -> list[str]:
    """Rows of a uint8 letter matrix (N, L) → strings of columns lo:hi."""
    return [row.tobytes().decode("ascii") for row in letters[:, lo:hi]]


def _samples(letters: np.ndarray, lq: np.ndarray, lm: np.ndarray, generated: np.ndarray, seed: int, method: str,
             rounds: int) -> list[Sample]:
    return [Sample(sequence=text, log_probs=lq[j].copy(), model_log_probs=lm[j].copy(), generated=generated.copy(),
                   seed=seed + j, method=method, rounds=rounds) for j, text in enumerate(_texts(letters))]


# -- CLM -------------------------------------------------------------------------------------------
def sample_clm(model: GenomicLM, prefix: str = "", length: int = 100, *, n: int = 1, temperature: float = 1.0,
               top_k: int | None = None, top_p: float | None = None, seed: int = 0, batch_size: int = 64,
               progress: Progress | None = None) -> list[Sample]:
    """``n`` continuations of ``prefix`` by ``length`` bases, drawn left to right from a causal LM.

    Each step feeds ``context + 'A'`` and reads the last column, P(x_t | x_<t) (the placeholder
    'A' is never seen by that column); the context is the last R = ``receptive_field`` bases
    (everything an output can see, so this is exact) or, for an unbounded model, the whole
    sequence so far. An empty ``prefix`` starts from the BOS context (column 0 of the protocol;
    a model without a BOS token gives a uniform first base, its ``first_base`` note). Tokenised
    CLMs carry their adapter's per-base approximation. ``prefix`` must be A/C/G/T only.
    The n samples step together in one batch per base.
    """
    _need(model, "clm", "Autoregressive sampling")
    prefix = clean_sequence(prefix, allow_n=False, name="the prefix") if prefix.strip() else ""
    _check_counts(length, n)
    check_sampling(temperature, top_k, top_p)
    rf, P = model.info.receptive_field, len(prefix)
    total = P + length
    if rf is None and model.info.max_len and total > model.info.max_len:
        raise InputTooLargeError(f"{model.info.name} reads at most {model.info.max_len:,} bp; prefix + length is "
                                 f"{total:,} bp. Shorten the prefix or the length.")
    letters = np.full((n, total + 1), ord("A"), dtype=np.uint8)  # column t = the placeholder until drawn
    letters[:, :P] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    lq, lm = np.full((n, total), np.nan), np.full((n, total), np.nan)
    rngs = [np.random.default_rng(seed + j) for j in range(n)]
    for t in range(P, total):
        lo = 0 if rf is None else max(0, t - int(rf))
        col = model.log_probs(_texts(letters, lo, t + 1), batch_size=batch_size)[:, :, -1]
        q = sampling_log_probs(col, temperature, top_k, top_p)
        b = draw(q, np.array([r.random() for r in rngs]))
        rows = np.arange(n)
        letters[:, t], lq[:, t], lm[:, t] = _LETTERS[b], q[rows, b], col[rows, b]
        if progress and ((t - P) % 64 == 0 or t == total - 1):
            progress((t - P + 1) / length, f"base {t - P + 1}/{length}")
    generated = np.arange(total) >= P
    return _samples(letters[:, :total], lq, lm, generated, seed, "clm", 1)


# -- MLM -------------------------------------------------------------------------------------------
def _mlm_start(model: GenomicLM, length: int | None, init: str | None, span: tuple[int, int] | None
               ) -> tuple[str, int, int]:
    """(sequence, span start, span end) checked: a de novo placeholder or a real ``init``."""
    if (length is None) == (init is None):
        raise SamplingError("Give either length (de novo) or init (a sequence to in-fill), not both or neither.")
    if init is None:
        _check_counts(int(length), 1)
        if span is not None:
            raise SamplingError("span applies to in-filling an init sequence; drop it for de novo generation.")
        seq = "A" * int(length)
    else:
        seq = clean_sequence(init, name="the init sequence")
    a, b = (0, len(seq)) if span is None else (int(span[0]), int(span[1]))
    if not 0 <= a < b <= len(seq):
        raise RegionError(f"span {a + 1}-{b} (1-based) must be a non-empty part of the {len(seq):,} bp sequence "
                          f"(1-{len(seq)}).")
    rf = model.info.receptive_field
    need = len(seq) if rf is None else min(len(seq), b - a + 2 * int(rf))
    if model.info.max_len and need > model.info.max_len:
        raise InputTooLargeError(f"{model.info.name} reads at most {model.info.max_len:,} bp; this needs {need:,} bp. "
                                 "Choose a shorter span or sequence.")
    return seq, a, b


def sample_mlm(model: GenomicLM, length: int | None = None, *, init: str | None = None,
               span: tuple[int, int] | None = None, rounds: int = 10, method: str = "mask-predict",
               schedule: str = "cosine", n: int = 1, temperature: float = 1.0, top_k: int | None = None,
               top_p: float | None = None, seed: int = 0, batch_size: int = 64,
               progress: Progress | None = None) -> list[Sample]:
    """``n`` sequences from a masked LM by iterative mask-and-fill.

    De novo: ``length`` bases, all generated. In-filling: ``init`` a real sequence and ``span``
    (0-based half-open, default all of it) the part to regenerate; bases outside stay as they are
    (the span's own bases are never seen). With a finite receptive field R only span ± R bases are
    fed to the model (exact: nothing farther can change a span prediction).

    ``method='mask-predict'`` (Ghazvininejad et al. 2019): the span starts fully masked; each of
    ``rounds`` rounds predicts all masked positions in ONE forward pass, fills them by drawing, then
    re-masks the :func:`mask_schedule` number of span positions with the lowest confidence (the
    model's untempered probability of the base when it was drawn; ties broken at random).

    ``method='gibbs'``: the span starts as uniform random bases; each round resamples every span
    position from its masked marginal P(x_i | x_-i). Positions more than R apart are resampled
    together (:func:`~glm_explore.logits.mask_groups`: exact, they cannot see each other), in a
    fresh random group order each round (one position per group for unbounded models). With
    temperature 0 this is iterated conditional modes. Neural MLM conditionals need not belong to
    one joint distribution, so this is a pseudo-Gibbs chain.
    """
    _need(model, "mlm", "Mask-and-fill generation")
    if method not in METHODS:
        raise SamplingError(f"Unknown method {method!r}: choose one of {', '.join(METHODS)}.")
    if rounds < 1:
        raise SamplingError(f"rounds must be at least 1, got {rounds}.")
    check_sampling(temperature, top_k, top_p)
    seq, a, b = _mlm_start(model, length, init, span)
    _check_counts(b - a, n)
    rf = model.info.receptive_field
    lo, hi = (0, len(seq)) if rf is None else (max(0, a - int(rf)), min(len(seq), b + int(rf)))
    letters = np.tile(np.frombuffer(seq.encode("ascii"), dtype=np.uint8), (n, 1))
    lq, lm = np.full((n, len(seq)), np.nan), np.full((n, len(seq)), np.nan)
    rngs = [np.random.default_rng(seed + j) for j in range(n)]
    fill = _mask_predict if method == "mask-predict" else _gibbs
    fill(model, letters[:, lo:hi], lq[:, lo:hi], lm[:, lo:hi], a - lo, b - lo, rngs, rounds=rounds,
         schedule=schedule, sampling=(temperature, top_k, top_p), batch_size=batch_size, progress=progress)
    generated = (np.arange(len(seq)) >= a) & (np.arange(len(seq)) < b)
    return _samples(letters, lq, lm, generated, seed, method, rounds)


def _fill(model: GenomicLM, letters: np.ndarray, lq: np.ndarray, lm: np.ndarray, masked: np.ndarray,
          rngs: list[np.random.Generator], sampling: tuple, batch_size: int) -> np.ndarray:
    """Predict the ``masked`` (N, W) positions in one pass, draw them in place; returns model log p (N, W)."""
    lp = model.log_probs(_texts(letters), masked, batch_size=batch_size).transpose(0, 2, 1)  # (N, W, 4)
    cols = lp[masked]  # row-major: sample 0's masked positions first, in order
    q = sampling_log_probs(cols, *sampling)
    b = draw(q, np.concatenate([r.random(int(k)) for r, k in zip(rngs, masked.sum(axis=1))]))
    rows = np.arange(len(b))
    letters[masked], lq[masked], lm[masked] = _LETTERS[b], q[rows, b], cols[rows, b]
    return lm


def _mask_predict(model, letters, lq, lm, a, b, rngs, *, rounds, schedule, sampling, batch_size, progress):
    n, W = letters.shape
    masked = np.zeros((n, W), dtype=bool)
    masked[:, a:b] = True
    keep_masked = mask_schedule(b - a, rounds, schedule)
    for t in range(rounds):
        _fill(model, letters, lq, lm, masked, rngs, sampling, batch_size)
        masked[:] = False
        for j, rng in enumerate(rngs):
            tie = rng.random(b - a)
            if keep_masked[t]:
                lowest = np.lexsort((tie, lm[j, a:b]))[:keep_masked[t]]
                masked[j, a + lowest] = True
        if progress:
            progress((t + 1) / rounds, f"round {t + 1}/{rounds}")


def _gibbs(model, letters, lq, lm, a, b, rngs, *, rounds, schedule, sampling, batch_size, progress):
    n, W = letters.shape
    for j, rng in enumerate(rngs):
        letters[j, a:b] = _LETTERS[rng.integers(0, 4, b - a)]
    groups = mask_groups(W, model.info.receptive_field, np.arange(a, b))
    for t in range(rounds):
        orders = [rng.permutation(len(groups)) for rng in rngs]
        for g in range(len(groups)):
            masked = np.zeros((n, W), dtype=bool)
            for j in range(n):
                masked[j, groups[orders[j][g]]] = True
            _fill(model, letters, lq, lm, masked, rngs, sampling, batch_size)
        if progress:
            progress((t + 1) / rounds, f"round {t + 1}/{rounds}")


def infill_region(model: GenomicLM, genome: Genome, region: Region | str, span: tuple[int, int],
                  **kw) -> list[Sample]:
    """:func:`sample_mlm` in-filling ``span`` (0-based half-open offsets inside ``region``) of a genome region.

    ``region``: a :class:`~glm_explore.io.genome.Region` or the 1-based inclusive 'chrom:start-end' users
    type; ``genome``: a Genome or GenomeData. The samples cover the whole region (what the model
    sees), with the span regenerated and the rest the reference. ``kw`` go to :func:`sample_mlm`.
    """
    from .io.datasets import as_genome

    _need(model, "mlm", "In-filling")
    g = as_genome(genome)
    region = g.check_region(parse_region(region) if isinstance(region, str) else region)
    if not 0 <= span[0] < span[1] <= region.length:
        raise RegionError(f"span {span[0] + 1}-{span[1]} must be a non-empty part of region {region} "
                          f"(positions 1-{region.length} inside it).")
    return sample_mlm(model, init=g.fetch(region.chrom, region.start, region.end), span=span, **kw)


def generate(model: GenomicLM, *, prefix: str | None = None, length: int = 100, genome: Genome | None = None,
             region: Region | str | None = None, span: tuple[int, int] | None = None, rounds: int = 10,
             method: str = "mask-predict", schedule: str = "cosine", **common) -> tuple[list[Sample], str]:
    """The sampler the model's objective and the source call for, and a phrase saying what was generated.

    CLM: ``length`` bases continuing ``prefix``, or the sequence of ``region`` (a real prefix), or the BOS
    context. MLM: ``region`` + ``span`` in-fills that span (0-based half-open inside the region; needs
    ``genome``); ``prefix`` fills ``length`` bases after it; neither generates ``length`` bases de novo.
    ``common``: n, temperature, top_k, top_p, seed, batch_size, progress.
    """
    from .io.datasets import as_genome

    if model.info.objective == "clm":
        if span is not None:
            raise ObjectiveError(f"In-filling a span needs a masked LM, but {model.info.name} is a CLM (it only "
                                 "continues a prefix); pick an MLM such as default-mlm.")
        start = prefix or ""
        if region is not None:
            g = as_genome(genome)
            r = g.check_region(parse_region(region) if isinstance(region, str) else region)
            start = clean_sequence(g.fetch(r.chrom, r.start, r.end), allow_n=False, name=f"region {r}")
        return sample_clm(model, start, length, **common), f"{length} bp continuations"
    mlm = dict(rounds=rounds, method=method, schedule=schedule)
    if region is not None:
        if span is None:
            raise ObjectiveError(f"{model.info.name} is an MLM: with a region give the span to in-fill.")
        samples = infill_region(model, genome, region, span, **mlm, **common)
        return samples, f"in-fills of {span[0] + 1}-{span[1]} inside {region}"
    if prefix:
        prefix = clean_sequence(prefix, name="prefix")
        return (sample_mlm(model, init=prefix + "A" * length, span=(len(prefix), len(prefix) + length), **mlm,
                           **common), f"{length} bp after the prefix")
    return sample_mlm(model, length, **mlm, **common), f"{length} bp de novo"


def generated_parts(samples: list[Sample]) -> list[str]:
    """The generated bases of each sample (prefix and fixed flanks removed), for judging against real DNA."""
    return ["".join(np.asarray(list(s.sequence))[s.generated]) for s in samples]


# -- for people ------------------------------------------------------------------------------------
def samples_table(samples: list[Sample]) -> pd.DataFrame:
    """One row per sample: sample (1-based), seed, method, rounds, length, generated_bp, mean_log_prob,
    mean_model_log_prob (nats per generated base), sequence."""
    return pd.DataFrame({
        "sample": np.arange(1, len(samples) + 1),
        "seed": [s.seed for s in samples],
        "method": [s.method for s in samples],
        "rounds": [s.rounds for s in samples],
        "length": [len(s.sequence) for s in samples],
        "generated_bp": [int(s.generated.sum()) for s in samples],
        "mean_log_prob": [s.mean_log_prob for s in samples],
        "mean_model_log_prob": [s.mean_model_log_prob for s in samples],
        "sequence": [s.sequence for s in samples],
    })


def samples_fasta(samples: list[Sample], name: str = "sample") -> str:
    """FASTA text, one record ``{name}_{i}`` per sample (1-based) whose description holds seed, method,
    rounds, generated 1-based range, mean_log_prob and mean_model_log_prob (nats per generated base)."""
    from Bio import SeqIO
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    records = []
    for i, s in enumerate(samples, 1):
        where = np.flatnonzero(s.generated)
        desc = (f"seed={s.seed} method={s.method} rounds={s.rounds} generated={where[0] + 1}-{where[-1] + 1} "
                f"mean_log_prob={s.mean_log_prob:.4f} mean_model_log_prob={s.mean_model_log_prob:.4f}")
        records.append(SeqRecord(Seq(s.sequence), id=f"{name}_{i}", description=desc))
    out = io.StringIO()
    SeqIO.write(records, out, "fasta")
    return out.getvalue()


__all__ = ["METHODS", "SCHEDULES", "Sample", "SamplingError", "check_sampling", "draw", "infill_region",
           "mask_schedule", "sample_clm", "sample_mlm", "samples_fasta", "samples_table", "sampling_log_probs"]
