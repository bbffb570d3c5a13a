"""Training at tiny size: resumable runs add up in the ledger, class-balanced sampling, weighted loss."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from glm_explore.io.annotation import CLASS_CODE
from glm_explore.models import load_model
from glm_explore.train import (
    ClassIndex,
    TrainSettings,
    batch_loss,
    sample_windows,
    train_model,
    training_arrays,
    training_labels,
)


@pytest.fixture(scope="module")
def yeast_training():
    train, _ = training_arrays()
    return train, training_labels()


def test_labels_align_with_training_chromosomes(yeast_training):
    train, labels = yeast_training
    assert [len(x) for x in train] == [len(x) for x in labels]


def test_class_balanced_windows_are_centred_on_each_class_about_equally(yeast_training):
    train, labels = yeast_training
    index = ClassIndex.build(labels)
    length, n = 65, 2000  # odd: the centre stays the centre after reverse-complementing
    codes, lab = sample_windows(train, n, length, np.random.default_rng(0), labels=labels, index=index, balance=1.0)
    assert codes.shape == lab.shape == (n, length)
    centre = np.bincount(lab[:, length // 2], minlength=len(CLASS_CODE))
    present = sorted(index.positions)
    expected = n / len(present)  # uniform over present classes; CDS alone would be ~72 % without balancing
    for c in present:
        assert abs(centre[c] - expected) < 100, (c, centre[c], expected)  # ~7 binomial SDs
    # the returned labels are the annotation at the returned bases (forward windows checked against the genome)
    uniform, lab_u = sample_windows(train, 500, length, np.random.default_rng(1), labels=labels)
    assert np.mean(lab_u[:, length // 2] == CLASS_CODE["CDS"]) > 0.5


def test_unbalanced_sampling_draws_are_unchanged_by_the_new_options(yeast_training):
    train, labels = yeast_training
    a = sample_windows(train, 16, 100, np.random.default_rng(5))
    b, _ = sample_windows(train, 16, 100, np.random.default_rng(5), labels=labels)
    assert np.array_equal(a, b)


def test_weighted_loss_equals_hand_computation():
    from glm_explore.models.convnet import ConvLM, ConvLMConfig

    torch.manual_seed(0)
    model = ConvLM(ConvLMConfig(objective="clm", width=8)).eval()
    codes = torch.randint(0, 4, (2, 40))
    w = torch.rand(2, 40)
    got = batch_loss(model, codes, torch.Generator().manual_seed(0), w)
    from glm_explore.models.convnet import channels_from_codes

    logp = torch.log_softmax(model.forward_channels(channels_from_codes(codes)), dim=1)  # (N, 4, L)
    nll = -logp.gather(1, codes[:, None, :])[:, 0, :]
    assert torch.allclose(got, (nll * w).sum() / w.sum(), rtol=1e-5)
    assert torch.allclose(batch_loss(model, codes, torch.Generator(), torch.ones(2, 40)),
                          batch_loss(model, codes, torch.Generator()), rtol=1e-6)


def test_tiny_run_saves_a_loadable_model_and_resumes_into_the_ledger(tmp_path):
    threads = torch.get_num_threads()
    out, ck = tmp_path / "tiny-mlm", tmp_path / "ck"
    s = TrainSettings(objective="mlm", out=out, steps=2, batch_size=2, window=64, width=8, eval_every=1,
                      checkpoint_dir=ck, class_balance=0.5, repeat_weight=0.5, threads=threads + 1)
    lines: list[str] = []
    train_model(s, log=lines.append)
    first = json.loads((out / "training.json").read_text())
    assert first["steps"] == 2 and len(first["ledger"]) == 1 and first["ledger"][0]["steps_to"] == 2
    train_model(TrainSettings(**{**s.__dict__, "steps": 4, "resume": True}), log=lines.append)
    meta = json.loads((out / "training.json").read_text())
    assert meta["steps"] == 4 and [e["steps_from"] for e in meta["ledger"]] == [0, 2]
    assert meta["windows_seen"] == sum(e["windows"] for e in meta["ledger"]) == 8
    assert meta["class_balance"] == 0.5 and meta["repeat_weight"] == 0.5
    assert any("resuming at step 2" in line for line in lines)
    model = load_model(str(out))
    lp = model.log_probs(["ACGTACGTAACCGGTT"])
    assert lp.shape == (1, 4, 16) and np.allclose(np.exp(lp).sum(axis=1), 1, atol=1e-4)
    assert torch.get_num_threads() == threads, "training restores the caller's thread count"


def test_init_from_continues_trained_weights_and_keeps_their_ledger(tmp_path):
    from safetensors.torch import load_file

    src = tmp_path / "src"
    train_model(TrainSettings(objective="clm", out=src, steps=2, batch_size=2, window=64, width=8, eval_every=1,
                              checkpoint_dir=tmp_path / "ck-src"))
    out = tmp_path / "continued"
    s = TrainSettings(objective="clm", out=out, steps=1, batch_size=2, window=64, width=99, lr=1e-9,
                      eval_every=1, checkpoint_dir=tmp_path / "ck", init_from=src)
    train_model(s)
    before, after = load_file(str(src / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert after["embed.weight"].shape == before["embed.weight"].shape, "the architecture comes from init_from"
    assert all(torch.allclose(before[k], after[k], atol=1e-6) for k in before), "a tiny step keeps the weights"
    meta = json.loads((out / "training.json").read_text())
    assert [(e["steps_from"], e["steps_to"]) for e in meta["ledger"]] == [(0, 2), (0, 1)]
    assert meta["windows_seen"] == 4 + 2 and meta["init_from"] == str(src)
    ck = torch.load(tmp_path / "ck" / "checkpoint.pt", weights_only=True)
    assert {"np_rng", "torch_rng"} <= set(ck), "the checkpoint keeps the sampling RNG state"
    with pytest.raises(ValueError, match="holds a clm model"):
        train_model(TrainSettings(**{**s.__dict__, "objective": "mlm", "checkpoint_dir": tmp_path / "ck2"}))


def _saved_tiny(path, seed: int):
    from glm_explore.models.convnet import ConvLM, ConvLMConfig
    from glm_explore.train import save_weights

    torch.manual_seed(seed)
    save_weights(ConvLM(ConvLMConfig("mlm", width=8, kernel_sizes=[3, 3], dilations=[1, 2])), path, {"steps": seed})
    return path


def test_paired_comparison_of_two_versions_on_the_same_positions(tmp_path):
    from glm_explore.count_baselines import cross_entropy_bits
    from glm_explore.evaluate import model_positions_and_log_probs, paired_comparison
    from glm_explore.io.datasets import DATASETS
    from glm_explore.io.genome import Genome
    from glm_explore.models.builtin import load_convlm_dir

    a, b = _saved_tiny(tmp_path / "a", 1), _saved_tiny(tmp_path / "b", 2)
    ab = paired_comparison(a, b, offsets=2, max_windows=2, threads=1)
    ba = paired_comparison(b, a, offsets=2, max_windows=2, threads=1)
    assert ab["margin_bits"] == pytest.approx(-ba["margin_bits"], abs=2e-4)
    assert ab["margin_ci95"][0] <= ab["margin_bits"] <= ab["margin_ci95"][1]
    assert ab["margin_bits"] == pytest.approx(ab["bits"] - ab["other_bits"], abs=2e-4)
    # the first model's bits, recomputed from its own log-probs on the same held-out positions
    test = Genome(DATASETS["yeast"].fasta).codes("chrXVI")
    pos, lp, _ = model_positions_and_log_probs(load_convlm_dir(a), test, offsets=2, max_windows=2)
    keep = test[pos] < 4
    assert ab["n_positions"] == int(keep.sum())
    assert ab["bits"] == pytest.approx(cross_entropy_bits(lp[keep], test[pos[keep]]).mean(), abs=1e-4)
    same = paired_comparison(a, a, offsets=2, max_windows=2, threads=1)
    assert abs(same["margin_bits"]) < 1e-6 and same["windows_better"] == 0


def test_card_keeps_the_ledger_the_recipe_and_earlier_versions(tmp_path):
    from glm_explore.evaluate import card_markdown, previous_versions, write_card
    from glm_explore.models.builtin import WEIGHTS_DIR

    old = json.loads((WEIGHTS_DIR / "yeast-mlm" / "card.json").read_text())
    history = previous_versions(WEIGHTS_DIR / "yeast-mlm")
    assert history[-1]["model"]["bits"] == old["heldout"]["model"]["bits"]
    card = {**old, "training": {**old["training"], "class_balance": 0.3, "repeat_weight": 0.1, "init_from": "x"},
            "ledger": [{"steps_from": 0, "steps_to": 10, "windows": 320, "cpu_hours": 0.5, "threads": 1},
                       {"steps_from": 0, "steps_to": 5, "windows": 160, "cpu_hours": 0.25, "threads": 1,
                        "class_balance": 0.3, "repeat_weight": 0.1}],
            "history": history}
    md = card_markdown(card)
    assert "class-balanced windows 0.3" in md and "repeat loss weight 0.1" in md and "continued from `x`" in md
    assert "| 2 | 0→5 | 160 | 0.25 | 1 | 0.3 | 0.1 |" in md and "Total: 0.75 CPU-hours" in md
    assert f"| {old['heldout']['model']['bits']:.4f} |" in md
    (tmp_path / "card.json").write_text(json.dumps(card))
    write_card(tmp_path, {k: v for k, v in card.items() if k != "history"})
    assert json.loads((tmp_path / "card.json").read_text())["history"] == history, "an existing card's history is kept"


def test_large_preset_with_bf16_autocast_trains_at_tiny_size(tmp_path):
    from glm_explore.train import PRESETS

    out = tmp_path / "large"
    train_model(TrainSettings(objective="mlm", out=out, steps=2, batch_size=2, window=64, width=8, preset="large",
                              bf16=True, eval_every=1, checkpoint_dir=tmp_path / "ck"))
    config = json.loads((out / "config.json").read_text())
    assert config["dilations"] == PRESETS["large"]["dilations"] and config["width"] == 8
    meta = json.loads((out / "training.json").read_text())
    assert meta["bf16"] and meta["preset"] == "large"
    assert all(np.isfinite(r["val_loss_bits"]) for r in meta["log"])
    lp = load_model(str(out)).log_probs(["ACGT" * 10])
    assert np.isfinite(lp).all()


def test_training_command_names_the_recipe_options():
    from glm_explore.evaluate import training_command

    t = {"planned_steps": 6500, "max_minutes": 132, "init_from": "w/old", "lr": 1e-3, "class_balance": 0.3,
         "repeat_weight": 0.1, "threads": 1}
    assert training_command(t, "mlm", "w/new") == ("python -m glm_explore.train --objective mlm --steps 6500 "
                                                   "--max-minutes 132 --init-from w/old --lr 0.001 --class-balance 0.3 "
                                                   "--repeat-weight 0.1 --threads 1 --out w/new")
    plain = training_command({"planned_steps": 3000, "threads": 1, "repeat_weight": 1.0}, "clm", "o")
    assert plain == "python -m glm_explore.train --objective clm --steps 3000 --threads 1 --out o"


def test_cpu_budget_stops_the_run_and_the_log_records_cpu_time(tmp_path):
    """``max_cpu_minutes`` counts the process's CPU time: a 1-second budget stops a 100,000-step run early, and
    the saved settings and every evaluation record carry the CPU minutes spent."""
    out = tmp_path / "cpu"
    train_model(TrainSettings(objective="clm", out=out, steps=100_000, batch_size=2, window=64, width=8,
                              eval_every=1, max_cpu_minutes=1 / 60, checkpoint_dir=tmp_path / "ck"))
    meta = json.loads((out / "training.json").read_text())
    assert 1 <= meta["steps"] < 100_000 and meta["max_cpu_minutes"] == 1 / 60
    assert len(meta["log"]) == meta["steps"] and all("cpu_minutes" in r for r in meta["log"])
    cpu = [r["cpu_minutes"] for r in meta["log"]]
    assert cpu == sorted(cpu) and cpu[-1] <= 1 / 60 + 0.01  # at most one step past the budget (rounded to 0.01)
    from glm_explore.evaluate import training_command

    assert "--max-cpu-minutes 0.0166667" in training_command(meta, "clm", str(out))
