"""The options of one annotation fit (:class:`AnnotateSettings`), built once by the page or the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

from ..errors import AnnotateError
from ..io.annotation import CLASSES
from .heads import DEFAULT_EPOCHS, HEADS

MAX_KMER_K = 5
PRIORS = ("balanced", "genome")


@dataclass(frozen=True)
class AnnotateSettings:
    """Everything :func:`~glm_explore.annotate.fit_annotator` depends on besides the model and the genome.

    ``head``: a kind in :data:`~glm_explore.annotate.heads.HEADS`. ``layers``: 0 = input embedding, -1 = last;
    several are concatenated (checked against the model by the fit). ``classes``: the classes trained on and
    scored (None: all present). Training: ``window``-bp tiles, up to ``windows_per_class`` per class, up to
    ``bases_per_class`` labelled bases per class. Held-out: every tile (``heldout_windows_per_class=None``) or a
    class-balanced pick. Baseline: k-mers of length 1..``kmer_k`` in a ``kmer_width``-bp window (odd, centred
    on the base). ``epochs``: the conv head's training. ``prior``: ``balanced`` (equal class priors) or
    ``genome`` (the training chromosomes' class frequencies). ``n_boot``: bootstrap replicates. ``seed``: the
    picks, the conv head and the bootstrap. ``batch_size``: windows per forward pass.
    """

    head: str = "logistic"
    layers: tuple[int, ...] = (-1,)
    classes: tuple[str, ...] | None = None
    window: int = 1024
    windows_per_class: int = 16
    bases_per_class: int = 2000
    heldout_windows_per_class: int | None = None
    kmer_k: int = 3
    kmer_width: int = 65
    epochs: int = DEFAULT_EPOCHS
    prior: str = "balanced"
    n_boot: int = 1000
    seed: int = 0
    batch_size: int = 32

    def __post_init__(self) -> None:
        layers = (self.layers,) if isinstance(self.layers, Integral) else tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        if self.classes is not None:
            object.__setattr__(self, "classes", (self.classes,) if isinstance(self.classes, str)
                               else tuple(self.classes))
        _check(self)


def _check(s: AnnotateSettings) -> None:
    """Raise :class:`AnnotateError` naming the first option out of range."""
    if s.head not in HEADS:
        raise AnnotateError(f"Unknown head {s.head!r}: choose one of {', '.join(HEADS)}.")
    if s.prior not in PRIORS:
        raise AnnotateError(f"Unknown prior {s.prior!r}: choose one of {', '.join(PRIORS)}.")
    checks = [("window", s.window, 100, 100_000), ("windows per class", s.windows_per_class, 1, None),
              ("bases per class", s.bases_per_class, 1, None), ("k-mer k", s.kmer_k, 1, MAX_KMER_K),
              ("k-mer window width", s.kmer_width, 3, 10_001), ("epochs", s.epochs, 1, 10_000),
              ("bootstrap replicates", s.n_boot, 10, None), ("batch size", s.batch_size, 1, None),
              ("seed", s.seed, 0, None)]
    if s.heldout_windows_per_class is not None:
        checks.append(("held-out windows per class", s.heldout_windows_per_class, 1, None))
    for what, v, lo, hi in checks:
        if isinstance(v, bool) or not isinstance(v, Integral) or v < lo or (hi is not None and v > hi):
            bounds = f"≥ {lo}" if hi is None else f"in {lo}..{hi}"
            raise AnnotateError(f"The {what} must be a whole number {bounds}, got {v!r}.")
    if s.kmer_width % 2 == 0:
        raise AnnotateError(f"The k-mer window width must be odd (centred on the base), got {s.kmer_width}.")
    if not s.layers or not all(isinstance(v, Integral) and not isinstance(v, bool) for v in s.layers):
        raise AnnotateError(f"Layers must be one or more whole numbers (0 = input embedding, -1 = last), "
                            f"got {list(s.layers)}.")
    unknown = sorted(set(s.classes or ()) - set(CLASSES))
    if unknown:
        raise AnnotateError(f"Unknown region class(es) {', '.join(unknown)}; choose from {', '.join(CLASSES)}.")
    if s.classes is not None and len(set(s.classes)) < 2:
        raise AnnotateError(f"A head needs at least 2 classes to tell apart, got {', '.join(s.classes) or 'none'}.")
