"""DNA alphabet, cleaning, encoding and reverse complement.

Conventions: the alphabet is ``ACGT`` in that order everywhere; one-hot arrays are ``(4, L)``
float32 (``(N, 4, L)`` for batches). Integer codes are 0..3 for A,C,G,T and 4 for N (any
unknown base).
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np

from .errors import InvalidSequenceError

ALPHABET = "ACGT"
N_CODE = 4
IUPAC = set("ACGTNRYSWKMBDHV")
_IUPAC_BOTH_CASES = IUPAC | {c.lower() for c in IUPAC}

_COMPLEMENT = str.maketrans("ACGTNRYSWKMBDHVacgtnryswkmbdhv", "TGCANYRSWMKVHDBtgcanyrswmkvhdb")
_ENCODE = np.full(256, N_CODE, dtype=np.int8)
for _i, _b in enumerate(ALPHABET):
    _ENCODE[ord(_b)] = _i
    _ENCODE[ord(_b.lower())] = _i
_WHITESPACE = re.compile(r"\s+")


def clean_sequence(seq: str, *, allow_n: bool = True, name: str = "sequence") -> str:
    """Return ``seq`` upper-cased, whitespace and Windows line ends removed, IUPAC codes → ``N``.

    Lowercase (soft-masked) bases are kept as their uppercase base. Raises
    :class:`InvalidSequenceError` naming the first offending character when the sequence holds
    anything that is not an IUPAC nucleotide code, when it is empty, or (``allow_n=False``)
    when it contains N.
    """
    s = _WHITESPACE.sub("", seq)
    if s.startswith(">"):
        raise InvalidSequenceError(
            f"{name} starts with '>' — that is a FASTA header; paste only the bases or upload a FASTA file."
        )
    if not s:
        raise InvalidSequenceError(f"{name} is empty: give at least one A, C, G or T.")
    bad = set(s) - _IUPAC_BOTH_CASES  # checked before upper(): 'ß'.upper() is 'SS', 'ﬆ'.upper() is 'ST'
    if bad:
        first = min(s.index(c) for c in bad)
        raise InvalidSequenceError(
            f"{name} has a character that is not a nucleotide: {s[first]!r} at position {first + 1} "
            f"(1-based). Use A, C, G, T (IUPAC codes such as R or Y become N)."
        )
    s = re.sub("[RYSWKMBDHV]", "N", s.upper())
    if not allow_n and "N" in s:
        raise InvalidSequenceError(f"{name} contains N (or IUPAC ambiguity codes); this step needs A/C/G/T only.")
    if set(s) == {"N"}:
        raise InvalidSequenceError(f"{name} is all N: there is no sequence to analyse.")
    return s


def encode(seq: str) -> np.ndarray:
    """Integer codes ``(L,)`` int64: A=0, C=1, G=2, T=3, anything else 4 (N)."""
    return _ENCODE[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)].astype(np.int64)


def decode(codes: np.ndarray) -> str:
    """Inverse of :func:`encode` (code 4 → ``N``)."""
    return "".join(("ACGTN")[int(c)] for c in np.asarray(codes).ravel())


def one_hot(seq: str) -> np.ndarray:
    """One-hot ``(4, L)`` float32 over A,C,G,T; N columns are all zero."""
    codes = encode(seq)
    out = np.zeros((4, len(codes)), dtype=np.float32)
    ok = codes < 4
    out[codes[ok], np.nonzero(ok)[0]] = 1.0
    return out


def reverse_complement(seq: str) -> str:
    """Reverse complement, IUPAC-aware, case preserved."""
    return seq.translate(_COMPLEMENT)[::-1]


def gc_content(seq: str) -> float:
    """Fraction of G+C among A/C/G/T bases (N ignored); NaN when there are none."""
    s = seq.upper()
    acgt = sum(s.count(b) for b in ALPHABET)
    return (s.count("G") + s.count("C")) / acgt if acgt else float("nan")


def read_text_file(path: Path, error: type[Exception], what: str) -> str:
    """A user's text file (plain or gzip) as str; ``error`` names what is wrong with it.

    Damaged gzip, binary content (a NUL byte in the first 64 kB) and non-UTF-8 bytes (with the line)
    each raise ``error`` with a message that says what to do.
    """
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise error(f"{path.name} is a truncated or damaged gzip file ({exc}); re-download or re-compress it."
                        ) from exc
    if b"\x00" in raw[:65536]:
        raise error(f"{path.name} looks binary, not a text {what}.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(f"{path.name} line {line} is not UTF-8 text; save the {what} as UTF-8 (plain ASCII works)."
                    ) from exc


def parse_positions(text: str) -> tuple[int, ...]:
    """1-based positions and inclusive ranges as users write them ('1-10,50') → sorted 0-based positions.

    An empty text is no positions. Raises :class:`~glm_explore.errors.InvalidSequenceError` saying what to write.
    """
    out: set[int] = set()
    for part in filter(str.strip, text.split(",")):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise InvalidSequenceError(f"write 1-based positions and ranges such as 1-10,50; got {text!r}")
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if a < 1 or b < a:
            raise InvalidSequenceError(f"positions count from 1 and a range a-b needs a ≤ b; got {part.strip()!r}")
        out.update(range(a - 1, b))
    return tuple(sorted(out))
