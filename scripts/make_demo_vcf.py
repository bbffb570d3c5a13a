"""Build the SYNTHETIC yeast demo VCF shipped in glm_explore/data/yeast/demo_variants.vcf.gz.

No real yeast variant set is available offline, so this samples single-nucleotide substitutions
from the bundled S288c genome (seeded, reproducible):

* ``--per-class`` sites from each non-CDS region class (glm_explore.io.annotation labels), ALT
  uniform among the three other bases;
* ``--per-codon-pos`` sites at each codon position (1, 2, 3) of protein-coding CDSs. CDS parts
  are joined per CDS ID in transcription order (minus-strand parts reversed and complemented),
  the first part's GFF phase is skipped, and only CDSs that translate cleanly (length a multiple
  of 3, ATG start, stop at the end, no internal stop; Biopython's standard table 1) are used.
  EFFECT = synonymous / missense / nonsense / stop_lost from Biopython's codon table (the coding
  logic lives in glm_explore.variants.effects);
* a few deliberately bad records (indel, symbolic, REF mismatch, unknown contig, out of range,
  multi-allelic) so the page's skipped-record summary has something to show.

    .venv/bin/python scripts/make_demo_vcf.py            # writes the .vcf.gz + .tbi
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from glm_explore.io.annotation import CLASS_CODE, CLASSES
from glm_explore.io.datasets import load_dataset
from glm_explore.variants import DEMO_VCF as OUT
from glm_explore.variants.effects import coding_snv, coding_transcripts


def sample_cds(data, rng: np.random.Generator, per_codon_pos: int) -> list[dict]:
    tx = coding_transcripts(data)
    rows, seen = [], set()
    for codon_pos in (1, 2, 3):
        n = 0
        while n < per_codon_pos:
            t = tx[rng.integers(len(tx))]
            codon_i = rng.integers(len(t.seq) // 3)
            i = 3 * codon_i + codon_pos - 1
            g = int(t.pos[i])
            if (t.chrom, g) in seen or data.labels[t.chrom][g] != CLASS_CODE["CDS"]:
                continue
            alt_coding = "ACGT".replace(t.seq[i], "")[rng.integers(3)]
            snv = coding_snv(t, i, alt_coding)
            assert data.genome.fetch(t.chrom, g, g + 1) == snv["ref"]
            rows.append({"chrom": t.chrom, "pos0": g, "ref": snv["ref"], "alt": snv["alt"], "CLASS": "CDS",
                         "CODON_POS": codon_pos, "EFFECT": snv["effect"], "GENE": t.id, "AA": snv["aa"]})
            seen.add((t.chrom, g))
            n += 1
    return rows


def sample_classes(data, rng: np.random.Generator, per_class: int) -> list[dict]:
    rows = []
    chroms = list(data.labels)
    for cls in CLASSES:
        if cls == "CDS":
            continue
        hits = [(c, np.flatnonzero(data.labels[c] == CLASS_CODE[cls])) for c in chroms]
        sizes = np.array([len(h) for _, h in hits])
        if sizes.sum() == 0:
            continue
        k = 0
        while k < min(per_class, sizes.sum()):
            j = rng.choice(len(hits), p=sizes / sizes.sum())
            c, idx = hits[j]
            g = int(idx[rng.integers(len(idx))])
            ref = data.genome.fetch(c, g, g + 1)
            if ref not in "ACGT":
                continue
            alt = "ACGT".replace(ref, "")[rng.integers(3)]
            rows.append({"chrom": c, "pos0": g, "ref": ref, "alt": alt, "CLASS": cls})
            k += 1
    return rows


def bad_records(data) -> list[str]:
    """Deliberately unscorable records (IDs say why) for the skipped-record summary."""
    c = data.genome.chroms[0]
    seq = data.genome.fetch(c, 0, 2000)
    wrong = "ACGT".replace(seq[1499], "")[0]
    other = [b for b in "ACGT" if b != seq[1599]]
    n = data.genome.lengths[c]
    return [
        f"{c}\t1000\tdemo_bad_indel\t{seq[999:1001]}\t{seq[999]}\t.\tPASS\tCLASS=bad_example",
        f"{c}\t1100\tdemo_bad_symbolic\t{seq[1099]}\t<DEL>\t.\tPASS\tCLASS=bad_example",
        f"{c}\t1500\tdemo_bad_ref_mismatch\t{wrong}\t{seq[1499]}\t.\tPASS\tCLASS=bad_example",
        f"{c}\t1600\tdemo_multiallelic\t{seq[1599]}\t{other[0]},{other[1]}\t.\tPASS\tCLASS=bad_example",
        f"{c}\t{n + 10}\tdemo_bad_out_of_range\tA\tC\t.\tPASS\tCLASS=bad_example",
        "chrMito\t100\tdemo_bad_unknown_contig\tA\tG\t.\tPASS\tCLASS=bad_example",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--per-class", type=int, default=80)
    ap.add_argument("--per-codon-pos", type=int, default=200)
    args = ap.parse_args()
    import pysam

    data = load_dataset("yeast")
    rng = np.random.default_rng(args.seed)
    rows = pd.DataFrame(sample_cds(data, rng, args.per_codon_pos) + sample_classes(data, rng, args.per_class))
    rows = rows.drop_duplicates(["chrom", "pos0"])
    order = {c: i for i, c in enumerate(data.genome.chroms)}
    rows = rows.sort_values(["chrom", "pos0"], key=lambda s: s.map(order) if s.name == "chrom" else s)

    header = [
        "##fileformat=VCFv4.2",
        "##source=glm-explore scripts/make_demo_vcf.py",
        f"##demo_seed={args.seed}",
        "##SYNTHETIC=These are SYNTHETIC single-nucleotide variants sampled at random from the S288c "
        "reference (no real yeast variant calls). They exist to demonstrate variant scoring only.",
        "##reference=glm_explore/data/yeast/genome.fa.gz",
        *[f"##contig=<ID={c},length={n}>" for c, n in data.genome.lengths.items()],
        '##INFO=<ID=CLASS,Number=1,Type=String,Description="Region class of the site (glm_explore.io.annotation)">',
        '##INFO=<ID=CODON_POS,Number=1,Type=Integer,Description="Position 1-3 within the codon (CDS only)">',
        '##INFO=<ID=EFFECT,Number=1,Type=String,Description="synonymous, missense, nonsense or stop_lost '
        '(CDS only; Biopython standard codon table)">',
        '##INFO=<ID=GENE,Number=1,Type=String,Description="Systematic name of the CDS (CDS only)">',
        '##INFO=<ID=AA,Number=1,Type=String,Description="Amino-acid change RefCodonAlt, 1-based codon">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    lines = []
    for i, r in enumerate(rows.itertuples(index=False)):
        info = f"CLASS={r.CLASS}"
        if r.CLASS == "CDS":
            info += f";CODON_POS={int(r.CODON_POS)};EFFECT={r.EFFECT};GENE={r.GENE};AA={r.AA}"
        lines.append(f"{r.chrom}\t{r.pos0 + 1}\tsynthetic_{i + 1}\t{r.ref}\t{r.alt}\t.\tPASS\t{info}")
    def key(line: str) -> tuple[int, int]:
        chrom, pos = line.split("\t")[:2]
        return order.get(chrom, len(order)), int(pos)
    body = sorted(lines + bad_records(data), key=key)
    out = Path(args.out)
    plain = out.with_suffix("")  # .vcf
    plain.write_text("\n".join(header + body) + "\n")
    pysam.tabix_index(str(plain), preset="vcf", force=True)  # writes plain + ".gz" and ".gz.tbi"
    print(f"wrote {out} ({len(lines)} synthetic SNVs + {len(bad_records(data))} bad examples)")
    print(rows["CLASS"].value_counts().to_string())
    print(rows.get("EFFECT", pd.Series(dtype=str)).value_counts().to_string())


if __name__ == "__main__":
    main()
