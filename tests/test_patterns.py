"""TF-MoDISco patterns across many windows (glm_explore/patterns.py), hypothetical contributions,
the motifs page's patterns section and ``motifs --patterns``.

Independent references: a thresholded PWM oracle (tests/toy_models.py's PWMOracle scores with a
ReLU at τ bits, so random sequence contributes exactly nothing) with a JASPAR fungal motif's
consensus planted once in every window; per-reference captum runs for the hypothetical
contributions; the planted positions for the seqlets' positional distribution.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from helpers import app_on_page, random_dna  # noqa: F401  (used below)
from toy_models import PWMOracle, plant

from glm_explore import attribution as A
from glm_explore import motifs as M
from glm_explore import patterns as pt
from glm_explore.attribution.hypothetical import hypothetical_contributions, modisco_inputs
from glm_explore.errors import GlmExploreError
from glm_explore.sequence import one_hot

MOTIF_ID = "MA0412.3"  # UME6 (URS1), 12 bp; the motif tests of test_attribution.py plant it too
N_WINDOWS, LENGTH, TAU = 60, 200, 10.0
SETTINGS = pt.PatternSettings(n_windows=N_WINDOWS, n_steps=20, n_baselines=2, leiden_runs=5)


class ThresholdOracle(PWMOracle):
    """Σ_j relu(S_j − τ): only offsets scoring above τ bits count (a planted site scores ~19 bits;
    random 12-mers almost never pass 10), so attributions of random sequence are exactly 0."""

    def __init__(self, pwm: np.ndarray, tau: float) -> None:
        super().__init__(pwm)
        self.tau = tau

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(F.conv1d(x, self.weight)[:, 0] - self.tau).sum(dim=1)


@pytest.fixture(scope="module")
def planted():
    motif = M.find_motif(MOTIF_ID, M.jaspar_motifs("fungi"))
    site = "".join("ACGT"[i] for i in motif.pwm.argmax(axis=0))
    rng = np.random.default_rng(0)
    starts = rng.integers(10, LENGTH - 30, size=N_WINDOWS)
    seqs = [plant(random_dna(rng, LENGTH), site, [int(a)])[0] for a in starts]
    return ThresholdOracle(motif.pwm, TAU), seqs, starts + len(site) / 2, motif


def _maps(oracle, seqs):
    return [A.attribute(oracle, s, method="integrated_gradients", baseline="shuffle", n_steps=20, n_baselines=2,
                        correct=True, seed=i, model="oracle") for i, s in enumerate(seqs)]


@pytest.fixture(scope="module")
def oracle_report(planted):
    oracle, seqs, _, _ = planted
    shuffled = pt.shuffled_windows(pd.DataFrame({"sequence": seqs}), seed=1)["sequence"].tolist()
    return pt.patterns_from_attributions(_maps(oracle, seqs), _maps(oracle, shuffled), settings=SETTINGS,
                                         region_class="planted")


def test_hypothetical_contributions_equal_per_reference_projection(planted):
    """H from the averaged map equals mean_k (g_k[b] − Σ_c x′_k[c] g_k[c]) computed reference by reference."""
    from captum.attr import IntegratedGradients

    oracle, seqs, _, _ = planted
    seq = seqs[0]
    attr = A.attribute(oracle, seq, method="integrated_gradients", baseline="shuffle", n_steps=20, n_baselines=3,
                       correct=True, seed=5)
    x = torch.from_numpy(one_hot(seq))[None]
    refs = A.dinucleotide_shuffles(seq, 3, seed=5)
    want = []
    for ref in refs:
        g = IntegratedGradients(oracle, multiply_by_inputs=False).attribute(
            x, baselines=torch.from_numpy(ref)[None], n_steps=20).detach().numpy()[0].astype(float)
        want.append(g - (ref * g).sum(axis=0, keepdims=True))
    h = hypothetical_contributions(attr)
    np.testing.assert_allclose(h, np.mean(want, axis=0), atol=1e-4)
    # at the observed base H is the map itself (so TF-MoDISco's contributions are the IG map)
    np.testing.assert_allclose((h * one_hot(seq)).sum(axis=0), attr.values.sum(axis=0), atol=1e-5)
    xs, hs = modisco_inputs([attr, attr])
    assert xs.shape == hs.shape == (2, len(seq), 4) and np.array_equal(xs[0].T, one_hot(seq))


def test_saliency_hypothetical_is_the_gradient(planted):
    oracle, seqs, _, _ = planted
    attr = A.attribute(oracle, seqs[1], method="saliency")
    np.testing.assert_allclose(hypothetical_contributions(attr), attr.hypothetical, atol=1e-6)


@pytest.mark.slow  # the oracle_report fixture runs TF-MoDISco (~2 min)
def test_modisco_finds_the_planted_motif_and_tomtom_names_it(oracle_report, planted):
    _, _, centres, motif = planted
    rep = oracle_report
    assert rep.patterns, "TF-MoDISco formed no pattern from 60 planted windows"
    best = max(rep.patterns, key=lambda p: p.n_seqlets)
    assert best.sign == 1 and best.matches[0][0] == motif.matrix_id and best.matches[0][2] <= 0.05
    assert best.label() == motif.name
    assert best.n_seqlets >= N_WINDOWS // 3 and best.n_windows == best.n_seqlets  # one site per window
    # the pattern's consensus is the planted site (or its reverse complement)
    site = "".join("ACGT"[i] for i in motif.pwm.argmax(axis=0))
    rc = site[::-1].translate(str.maketrans("ACGT", "TGCA"))
    assert best.consensus in site or site in best.consensus or best.consensus in rc or rc in best.consensus, \
        best.consensus
    # positional distribution: every seqlet centre lies on a planted site of some window
    planted_centres = set(np.floor(centres).astype(int))
    near = [min(abs(c - p) for p in planted_centres) for c in best.centres]
    assert max(near) <= 3
    # CWM: mean contributions sum to positive values carried by the site's bases
    assert best.cwm.shape == best.ppm.shape and best.cwm.sum() > 0
    np.testing.assert_allclose(best.ppm.sum(axis=0), 1.0, atol=1e-6)


@pytest.mark.slow  # the oracle_report fixture runs TF-MoDISco (~2 min)
def test_shuffled_control_finds_fewer_patterns(oracle_report):
    rep = oracle_report
    assert len(rep.control) < len(rep.patterns)
    assert rep.named(rep.control) < rep.named()


@pytest.mark.slow  # the oracle_report fixture runs TF-MoDISco (~2 min)
def test_report_round_trips_through_json_and_table(oracle_report, tmp_path):
    rep = oracle_report
    path = tmp_path / "r.json"
    rep.save(path)
    back = pt.PatternReport.load(path)
    assert len(back.patterns) == len(rep.patterns) and back.settings == rep.settings
    for a, b in zip(rep.patterns, back.patterns):
        np.testing.assert_allclose(a.cwm, b.cwm, atol=1e-5)
        assert a.matches[0][:2] == b.matches[0][:2] and list(a.centres) == list(b.centres)
    table = back.table()
    assert table["seqlets"].tolist() == [p.n_seqlets for p in rep.patterns]
    assert table.loc[0, "median_position"] == pytest.approx(np.median(rep.patterns[0].centres) + 1)


def test_trim_bounds_hand_case():
    cwm = np.zeros((4, 8))
    cwm[0, 2], cwm[1, 3], cwm[3, 5], cwm[2, 7] = 1.0, -0.5, 0.31, 0.2
    assert pt.trim_bounds(cwm) == (2, 6)  # 0.2 < 0.3 · 1.0 at column 7; 0.31 ≥ 0.3 at column 5


def test_shuffled_windows_keep_dinucleotides(rng):
    from collections import Counter

    seqs = [random_dna(rng, 120) for _ in range(3)]
    out = pt.shuffled_windows(pd.DataFrame({"sequence": seqs, "chrom": "c", "start": [0, 1, 2]}), seed=3)
    for a, b in zip(seqs, out["sequence"]):
        assert a != b and Counter(zip(a, a[1:])) == Counter(zip(b, b[1:]))
    assert out["start"].tolist() == [0, 1, 2]


def test_settings_errors():
    for kw, word in [({"n_windows": 3}, "at least 10"), ({"method": "saliency"}, "reference-based"),
                     ({"n_windows": 5000}, "at most 2000")]:
        with pytest.raises(GlmExploreError, match=word):
            pt.check_settings(pt.PatternSettings(**kw))
    with pytest.raises(GlmExploreError, match="Only 4 windows"):
        pt.check_settings(pt.PatternSettings(), 4)


def test_find_patterns_driver_on_a_tiny_model(tiny_mlm, rng):
    windows = pd.DataFrame({"chrom": "c", "start": np.arange(12) * 1000, "sequence": [random_dna(rng, 96)
                                                                                      for _ in range(12)]})
    seen = []
    rep = pt.find_patterns(tiny_mlm, windows, settings=pt.PatternSettings(n_windows=12, n_steps=5, n_baselines=1,
                                                                          leiden_runs=2),
                           region_class="toy", progress=lambda f, m: seen.append(f))
    assert rep.n_windows == 12 and rep.window_length == 96 and rep.model == "tiny-mlm"
    assert rep.attribution_s > 0 and rep.modisco_s > 0 and seen == sorted(seen) and seen[-1] >= 0.8
    with pytest.raises(GlmExploreError, match="Only 12 windows"):
        pt.find_patterns(tiny_mlm, windows, settings=pt.PatternSettings(n_windows=20))


def test_shipped_report_is_small_and_matches_the_default_weights(default_mlm):
    from glm_explore.models.fingerprint import tensors_fingerprint

    path = pt.shipped_path("default-mlm", "yeast", "promoter")
    assert path.exists() and path.stat().st_size <= 1_100_000
    d = json.loads(path.read_text())
    assert d["fingerprint"] == tensors_fingerprint(default_mlm) and d["region_class"] == "promoter"
    rep = pt.shipped_patterns("default-mlm", "yeast", "promoter", tensors_fingerprint(default_mlm))
    assert rep is not None and rep.n_windows >= pt.MIN_WINDOWS
    assert pt.shipped_patterns("default-mlm", "yeast", "promoter", "0" * 16) is None


# --------------------------------------------------------------------------------------------
# The motifs page's patterns section (AppTest) and `motifs --patterns`
# --------------------------------------------------------------------------------------------

def _metric(at, label: str):
    return next(m for m in at.metric if m.label.startswith(label))


@pytest.mark.slow  # ~20 s: the patterns page with the default model
def test_page_shows_the_shipped_default_at_once():
    rep = pt.PatternReport.load(pt.shipped_path("default-mlm", "yeast", "promoter"))
    at = app_on_page("motifs", dataset="yeast")
    assert not at.exception and not at.error
    assert any("Precomputed for exactly these weights" in s.value for s in at.success)
    assert str(_metric(at, "Patterns").value) == str(len(rep.patterns))
    assert f"shuffled control: {len(rep.control)}" in str(_metric(at, "Patterns").delta)
    assert str(_metric(at, "Named by JASPAR").value) == str(rep.named())
    assert any(f"{rep.n_windows} promoter windows" in c.value for c in at.caption)


@pytest.mark.slow  # ~2 min: attributions + TF-MoDISco through the page
def test_page_runs_patterns_on_a_few_windows(chloroplast):
    at = app_on_page("motifs")
    assert not at.exception and not at.error
    assert any("Find patterns" in i.value for i in at.info)  # no shipped report for the chloroplast
    at.selectbox(key="patterns_pclass").set_value("intergenic")
    at.slider(key="patterns_pwindows").set_value(pt.MIN_WINDOWS)
    at.button(key="patterns_go").click()
    at.run()
    assert not at.exception and not at.error
    assert any(f"{pt.MIN_WINDOWS} intergenic windows" in c.value for c in at.caption)
    n = int(_metric(at, "Patterns").value)
    assert "shuffled control:" in str(_metric(at, "Patterns").delta)
    assert len([c for c in at.get("plotly_chart")]) >= 1 + min(n, 8)


@pytest.mark.slow  # ~30 s: attributions + TF-MoDISco through the CLI
def test_cli_motifs_patterns_writes_the_report(tmp_path, capsys, chloroplast):
    from glm_explore.cli import main

    out = tmp_path / "p.json"
    assert main(["motifs", "--patterns", "--genome", "chloroplast", "--class", "intergenic", "--n", "10",
                 "--steps", "5", "--n-baselines", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rep = pt.PatternReport.load(out)
    assert rep.n_windows == 10 and rep.region_class == "intergenic" and rep.settings["n_steps"] == 5
    assert f"TF-MoDISco: {len(rep.patterns)} patterns" in printed
    assert f"shuffled control: {len(rep.control)} patterns" in printed and "pattern\tsign" in printed
    for argv, word in [(["--n", "5"], "at least|10 to"), (["--method", "saliency"], "reference-based"),
                       (["--n", "400"], "Only")]:
        assert main(["motifs", "--patterns", "--genome", "chloroplast", "--class", "intergenic", *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and re.search(word, err[0]), err
    assert main(["motifs", "--genome", "chloroplast", "--out", str(tmp_path / "x.json")]) == 2
    assert "--patterns" in capsys.readouterr().err
