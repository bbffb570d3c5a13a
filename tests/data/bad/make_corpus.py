"""Regenerate the bad-input corpus in this folder: ``python tests/data/bad/make_corpus.py``.

The files are committed; this script documents how each one was made (deterministic). The
expected outcome of each case lives in ``cases.toml`` next to it, not here.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
rng = random.Random(8)


def dna(n: int) -> str:
    return "".join(rng.choice("ACGT") for _ in range(n))


def wrap(seq: str, width: int = 60) -> str:
    return "\n".join(seq[i:i + width] for i in range(0, len(seq), width)) + "\n"


def write(rel: str, data: str | bytes) -> None:
    path = HERE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


# --- the small reference genome every annotation / VCF / region case is checked against ---------
CTG_A, CTG_B = dna(5000), dna(300)
write("ref.fa", f">ctgA test contig A\n{wrap(CTG_A)}>ctgB\n{wrap(CTG_B)}")

# --- FASTA ---------------------------------------------------------------------------------------
write("fasta/iupac.fa", ">s1\nACGTRYKMSWBDHVNACGT\nACGTACGTAC\n")
write("fasta/lowercase_softmasked.fa", ">s1\nacgtACGTacgtnnACGT\n>s2\nttttGGGGcccc\n")
write("fasta/n_only.fa", ">s1\nNNNNNNNNNN\nNNNNNNNNNN\n")
write("fasta/n_only_record.fa", ">good\nACGTACGTAC\n>gap\nNNNNNNNN\n")
write("fasta/empty.fa", b"")
write("fasta/whitespace_only.fa", "\n\n   \n\t\n")
write("fasta/binary.fa", bytes(rng.randrange(256) for _ in range(512)) + b"\x00\x00")
write("fasta/windows_line_ends.fa", ">s1 crlf\r\nACGTACGTAC\r\nGGCCTTAA\r\n>s2\r\nTTTT\r\n")
write("fasta/old_mac_line_ends.fa", ">s1\rACGTACGTAC\rGGCC\r")
write("fasta/duplicate_names.fa", ">s1\nACGTACGT\n>s2\nCCCC\n>s1 again\nGGGG\n")
write("fasta/huge_single_line.fa.gz", gzip.compress(b">big one line\n" + b"ACGTTGCA" * 125_000 + b"\n", 9, mtime=0))
write("fasta/no_header.fa", "ACGTACGTACGT\nACGT\n")
write("fasta/header_only.fa", ">s1\n")
write("fasta/protein.fa", ">sp|P69905|HBA_HUMAN\nMVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF\n")
write("fasta/alignment_gaps.fa", ">s1\nACGT--ACGT\n>s2\nACGTTTACGT\n")
write("fasta/digits.fa", ">s1\n1 acgtacgtac 11 gtac\n")
write("fasta/truncated.fa.gz", gzip.compress(f">s1\n{wrap(dna(8000))}".encode(), mtime=0)[:1000])
write("fasta/non_utf8_header.fa", b">s1 caf\xe9\nACGTACGT\n")
write("fasta/utf8_bom.fa", b"\xef\xbb\xbf>s1\nACGTACGTAC\n")
write("fasta/empty_name.fa", ">\nACGTACGT\n")
write("fasta/blank_lines_spaces.fa", ">s1\n\nACGT ACGT\n\n  ACGT\n\n>s2\nGGGG\n")
write("fasta/fastq_instead.fa", "@read1\nACGTACGT\n+\nIIIIIIII\n")

# --- annotations (against ref.fa: ctgA 5000 bp, ctgB 300 bp) -------------------------------------
GFF_HEAD = "##gff-version 3\n"
gene = "ctgA\ttest\tgene\t101\t400\t.\t+\t.\tID=g1;Name=G1\n"
cds = "ctgA\ttest\tCDS\t101\t400\t.\t+\t0\tID=c1;Parent=g1\n"
write("annotation/gff_ok.gff3", GFF_HEAD + gene + cds)
write("annotation/gff_wrong_columns.gff3", GFF_HEAD + "ctgA\ttest\tgene\t101\t400\t.\t+\tID=g1\n")
write("annotation/gff_spaces_not_tabs.gff3", GFF_HEAD + "ctgA test gene 101 400 . + . ID=g1\n")
write("annotation/gff_negative_start.gff3", GFF_HEAD + gene.replace("\t101\t", "\t-5\t"))
write("annotation/gff_reversed.gff3", GFF_HEAD + gene.replace("\t101\t400\t", "\t400\t101\t"))
write("annotation/gff_zero_start.gff3", GFF_HEAD + gene.replace("\t101\t", "\t0\t"))
write("annotation/gff_non_numeric.gff3", GFF_HEAD + gene.replace("\t101\t", "\tabc\t"))
write("annotation/gff_unknown_contigs.gff3", GFF_HEAD + gene.replace("ctgA", "chrZ") + cds.replace("ctgA", "chrZ"))
write("annotation/gff_some_unknown_contigs.gff3", GFF_HEAD + gene + cds.replace("ctgA", "chrZ"))
write("annotation/gff_past_end.gff3", GFF_HEAD + gene.replace("\t400\t", "\t9000\t"))
write("annotation/gff_non_utf8.gff3", (GFF_HEAD + gene).encode() + b"ctgA\ttest\tgene\t500\t600\t.\t+\t.\tID=g2;Name=caf\xe9\n")
write("annotation/gff_comments_only.gff3", GFF_HEAD + "# nothing here\n")
write("annotation/gff_binary.gff3", b"\x00\x01\x02" + bytes(rng.randrange(256) for _ in range(300)))
write("annotation/gff_damaged.gff3.gz", gzip.compress((GFF_HEAD + gene * 50).encode(), mtime=0)[:60])
write("annotation/gff_crlf.gff3", (GFF_HEAD + gene + cds).replace("\n", "\r\n"))
write("annotation/gtf_ok.gtf",
      'ctgA\ttest\texon\t101\t200\t.\t+\t.\tgene_id "g1"; transcript_id "t1";\n'
      'ctgA\ttest\texon\t301\t400\t.\t+\t.\tgene_id "g1"; transcript_id "t1";\n'
      'ctgA\ttest\tCDS\t101\t200\t.\t+\t0\tgene_id "g1"; transcript_id "t1";\n')
write("annotation/gtf_wrong_columns.gtf", 'ctgA\ttest\texon\t101\t200\t.\t+\tgene_id "g1";\n')
write("annotation/gtf_reversed.gtf", 'ctgA\ttest\texon\t200\t101\t.\t+\t.\tgene_id "g1"; transcript_id "t1";\n')
write("annotation/bed_ok.bed", "track name=test\n# comment\nctgA\t100\t400\tg1\t0\t+\nctgB\t0\t50\tg2\t0\t-\n")
write("annotation/bed_two_columns.bed", "ctgA\t100\n")
write("annotation/bed_negative.bed", "ctgA\t-10\t400\n")
write("annotation/bed_reversed.bed", "ctgA\t400\t100\n")
write("annotation/bed_unknown_contigs.bed", "chr1\t100\t400\tg1\nchr2\t1\t50\tg2\n")
write("annotation/bed_non_utf8.bed", b"ctgA\t100\t400\tna\xefve\n")
write("annotation/bed_mixed_columns.bed", "ctgA\t100\t400\tg1\nctgA\t500\t600\ng2\t0\t+\n")
write("annotation/bed_crlf.bed", "ctgA\t100\t400\tg1\r\nctgB\t0\t50\tg2\r\n")
write("annotation/bed_float_coords.bed", "ctgA\t100.5\t400\n")
write("annotation/annotation.txt", "ctgA\t100\t400\n")

# --- VCF (against ref.fa) ------------------------------------------------------------------------
VCF_HEAD = ("##fileformat=VCFv4.2\n##contig=<ID=ctgA,length=5000>\n##contig=<ID=ctgB,length=300>\n"
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")


def rec(chrom: str, pos: int, ref: str | None = None, alt: str | None = None, vid: str = ".") -> str:
    seq = CTG_A if chrom == "ctgA" else CTG_B
    if ref is None:
        ref = seq[pos - 1]
    if alt is None:
        alt = "T" if ref != "T" else "G"
    return f"{chrom}\t{pos}\t{vid}\t{ref}\t{alt}\t.\tPASS\t.\n"


def wrong(base: str) -> str:
    return {"A": "C", "C": "G", "G": "T", "T": "A"}[base]


write("vcf/ok.vcf", VCF_HEAD + rec("ctgA", 100) + rec("ctgA", 2500) + rec("ctgB", 10))
write("vcf/ref_mismatch.vcf", VCF_HEAD + rec("ctgA", 100) + rec("ctgA", 200, ref=wrong(CTG_A[199]), alt=CTG_A[199]))
write("vcf/multiallelic.vcf", VCF_HEAD + rec("ctgA", 100) +
      rec("ctgA", 300, alt=",".join(b for b in "ACGT" if b != CTG_A[299])))
write("vcf/indels.vcf", VCF_HEAD + rec("ctgA", 100) + rec("ctgA", 400, ref=CTG_A[399:402], alt=CTG_A[399]) +
      rec("ctgA", 500, ref=CTG_A[499], alt=CTG_A[499] + "GG"))
write("vcf/symbolic_alleles.vcf", VCF_HEAD.replace("#CHROM", '##ALT=<ID=DEL,Description="Deletion">\n#CHROM') +
      rec("ctgA", 100) + rec("ctgA", 600, alt="<DEL>") + rec("ctgA", 700, alt="*"))
write("vcf/missing_header.vcf", rec("ctgA", 100) + rec("ctgA", 200))
write("vcf/no_fileformat.vcf", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + rec("ctgA", 100))
write("vcf/unknown_contig.vcf", VCF_HEAD.replace("#CHROM", "##contig=<ID=chrQ>\n#CHROM") + rec("ctgA", 100) +
      "chrQ\t10\t.\tA\tC\t.\tPASS\t.\n")
write("vcf/all_unknown_contigs.vcf", VCF_HEAD.replace("#CHROM", "##contig=<ID=chrQ>\n#CHROM") +
      "chrQ\t10\t.\tA\tC\t.\tPASS\t.\nchrQ\t20\t.\tA\tG\t.\tPASS\t.\n")
write("vcf/past_end.vcf", VCF_HEAD + rec("ctgA", 100) + "ctgB\t301\t.\tA\tC\t.\tPASS\t.\n")
write("vcf/unsorted.vcf", VCF_HEAD + rec("ctgA", 2500) + rec("ctgA", 100) + rec("ctgB", 10) + rec("ctgA", 50))
write("vcf/header_only.vcf", VCF_HEAD)
write("vcf/binary.vcf", b"\x00BCF\x02" + bytes(rng.randrange(256) for _ in range(200)))
write("vcf/non_numeric_pos.vcf", VCF_HEAD + "ctgA\tten\t.\tA\tC\t.\tPASS\t.\n")
# these three crashed the whole process inside cyvcf2/htslib (segfault) before variants checked lines first
write("vcf/crash_pos_not_number_with_format.vcf", VCF_HEAD + "100\tT\tN\t.\t\tacg\tchrQ\tN\tctgA\n")
write("vcf/crash_blank_line.vcf", VCF_HEAD + rec("ctgA", 100) + "\n" + rec("ctgA", 200))
write("vcf/crash_nul_in_chrom.vcf", VCF_HEAD + rec("ctgA", 100) + "ct\x00A\t500\t.\tA\tC\t.\tPASS\t.\n")
write("vcf/lowercase_alleles.vcf", VCF_HEAD + rec("ctgA", 100, ref=CTG_A[99].lower(), alt=wrong(CTG_A[99]).lower()))

# --- regions: one case per line in regions/regions.tsv (written by hand, see that file) ------------

# --- model directories ---------------------------------------------------------------------------
CONV = {"objective": "mlm", "width": 8, "kernel_sizes": [3], "dilations": [1]}
write("model/empty_dir/.keep", "")
write("model/hf_no_weights/config.json", json.dumps({"model_type": "bert", "vocab_size": 8, "hidden_size": 8,
                                                     "num_hidden_layers": 1, "num_attention_heads": 1,
                                                     "intermediate_size": 8}, indent=1))
write("model/convlm_no_weights/config.json", json.dumps(CONV))
write("model/convlm_garbage_weights/config.json", json.dumps(CONV))
write("model/convlm_garbage_weights/model.safetensors", b"this is not a safetensors file\n")
write("model/config_not_json/config.json", "{objective: mlm,")
write("model/config_not_json/model.safetensors", b"")


def _torch_models() -> None:
    """Tiny model folders that need torch / transformers to write (a few KB each)."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, BertForMaskedLM

    from glm_explore.models.convnet import ConvLM, ConvLMConfig

    torch.manual_seed(0)
    small = ConvLM(ConvLMConfig("mlm", width=8, kernel_sizes=[3], dilations=[1]))
    out = HERE / "model/convlm_wrong_shapes"
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({**CONV, "width": 16}))
    save_file({k: v.contiguous() for k, v in small.state_dict().items()}, str(out / "model.safetensors"))

    out = HERE / "model/convlm_pickle_only"
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(CONV))
    torch.save(small.state_dict(), out / "pytorch_model.bin")

    cfg = BertConfig(vocab_size=9, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8,
                     max_position_embeddings=64)
    bert = BertForMaskedLM(cfg)
    out = HERE / "model/hf_pickle_only"
    bert.save_pretrained(out)  # recent transformers always writes safetensors: swap them for a pickle
    (out / "model.safetensors").unlink()
    torch.save(bert.state_dict(), out / "pytorch_model.bin")
    (out / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nA\nC\nG\nT\n")
    (out / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "BertTokenizer", "do_lower_case": False}))

    class RunsCode:  # unpickling this runs code: torch.load(weights_only=True) must refuse it
        def __reduce__(self):
            return exec, ("import pathlib, tempfile; pathlib.Path(tempfile.gettempdir(), 'glm_explore_pickle_ran').touch()",)

    out = HERE / "model/hf_malicious_pickle"
    bert.save_pretrained(out)
    (out / "model.safetensors").unlink()
    torch.save({**bert.state_dict(), "payload": RunsCode()}, out / "pytorch_model.bin")
    (out / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nA\nC\nG\nT\n")
    (out / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "BertTokenizer", "do_lower_case": False}))

    out = HERE / "model/hf_wrong_tokenizer"
    bert.save_pretrained(out, safe_serialization=True)
    (out / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\nthe\ncat\n")
    (out / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "BertTokenizer", "do_lower_case": True}))

    out = HERE / "model/hf_no_tokenizer"
    bert.save_pretrained(out, safe_serialization=True)

    out = HERE / "model/hf_remote_code"
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({
        "model_type": "evil-dna", "architectures": ["EvilForMaskedLM"],
        "auto_map": {"AutoConfig": "modeling_evil.EvilConfig", "AutoModelForMaskedLM": "modeling_evil.EvilForMaskedLM"},
    }, indent=1))
    (out / "modeling_evil.py").write_text(
        'raise RuntimeError("remote code from hf_remote_code was executed: trust_remote_code must never be implied")\n')
    save_file({"w": torch.zeros(2)}, str(out / "model.safetensors"))


_torch_models()
