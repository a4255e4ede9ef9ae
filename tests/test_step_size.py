"""`adaptive-control step-size`: a GrBAL checkpoint copied with every online step size set to one value."""
import os

import pytest
import torch

from adaptive_control.config import ExperimentConfig, ModelConfig, TrainConfig
from adaptive_control.training import train_checkpoint
from models.adaptation import GradientAdapter
from models.checkpoint import CheckpointError, load_checkpoint, write_step_size


def _train(tmp_path, data, method, learn=True, inner="all"):
    cfg = ExperimentConfig(model=ModelConfig(hidden_sizes=(16, 16)),
                           train=TrainConfig(method=method, steps=6, meta_batch_size=4, adapt_window=4,
                                             future_window=4, lr=3e-2, learn_inner_lr=learn, seed=5,
                                             inner_parameters=inner))
    out = str(tmp_path / f"{method}_{learn}_{inner}.pt")
    train_checkpoint(cfg, data, out, show_progress=False, logs=False)
    return out


@pytest.mark.parametrize("learned", [True, False])
def test_every_step_size_is_set_and_nothing_else_moves(tmp_path, cheetah_dataset, learned):
    src = _train(tmp_path, cheetah_dataset, "grbal", learn=learned)
    before_bytes = open(src, "rb").read()
    out = str(tmp_path / "a.pt")
    write_step_size(src, out, 0.003)
    assert open(src, "rb").read() == before_bytes  # the source is untouched
    a, b = load_checkpoint(src), load_checkpoint(out)
    if learned:
        assert isinstance(b.inner_lr, dict) and set(b.inner_lr) == set(a.inner_lr)
        for k, v in b.inner_lr.items():
            assert v.shape == a.inner_lr[k].shape and torch.all(v == 0.003)
        assert not all(torch.all(v == 0.003) for v in a.inner_lr.values())  # it did change something
    else:
        assert b.inner_lr == 0.003 and a.inner_lr != 0.003
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)  # weights and normaliser buffers
    assert torch.equal(a.residual_max, b.residual_max) and a.config == b.config and a.kind == b.kind == "grbal"
    assert b.metrics["step_size_set"] == {"value": 0.003, "from": src}
    # the online step with the copy is the step the original makes with its step size overridden
    d = cheetah_dataset
    obs, act, nxt = (torch.as_tensor(x[:16], dtype=torch.float32) for x in (d.obs, d.act, d.next_obs))
    copy = GradientAdapter(b.model, b.inner_lr).adapt(b.model.params(), obs, act, nxt)
    override = GradientAdapter(a.model, 0.003).adapt(a.model.params(), obs, act, nxt)
    assert all(torch.allclose(copy[k], override[k], rtol=0, atol=1e-7) for k in copy)
    untouched = GradientAdapter(a.model, a.inner_lr).adapt(a.model.params(), obs, act, nxt)
    assert not all(torch.allclose(copy[k], untouched[k]) for k in copy)


def test_parameters_that_take_no_step_keep_zero_step_sizes(tmp_path, cheetah_dataset):
    src = _train(tmp_path, cheetah_dataset, "grbal", inner="biases")
    out = str(tmp_path / "b.pt")
    write_step_size(src, out, 0.002)
    a, b = load_checkpoint(src).inner_lr, load_checkpoint(out).inner_lr
    assert any(k.endswith("bias") for k in b) and any(k.endswith("weight") for k in b)
    for k, v in b.items():
        if k.endswith("weight"):
            assert not bool(a[k].any()) and not bool(v.any())
        else:
            assert bool(a[k].all()) and torch.all(v == 0.002)


def test_refuses_what_has_no_step_size_and_bad_values(tmp_path, cheetah_dataset):
    mb = _train(tmp_path, cheetah_dataset, "mb")
    with pytest.raises(CheckpointError, match="mb checkpoint has no step size"):
        write_step_size(mb, str(tmp_path / "x.pt"), 0.01)
    grbal = _train(tmp_path, cheetah_dataset, "grbal")
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive and finite"):
            write_step_size(grbal, str(tmp_path / "x.pt"), bad)
    assert not os.path.exists(tmp_path / "x.pt")


def test_cli(tmp_path, cheetah_dataset, capsys):
    from adaptive_control.cli import main

    grbal, mb = _train(tmp_path, cheetah_dataset, "grbal"), _train(tmp_path, cheetah_dataset, "mb")
    out = str(tmp_path / "sub" / "g0.001.pt")
    assert main(["step-size", "--checkpoint", grbal, "--value", "0.001", "--out", out]) == 0
    assert "every step size 0.001 (was learned, mean" in capsys.readouterr().out
    assert all(torch.all(v == 0.001) for v in load_checkpoint(out).inner_lr.values())
    assert main(["step-size", "--checkpoint", mb, "--value", "0.001", "--out", out]) == 2
    assert "no step size of its own" in capsys.readouterr().err
    assert main(["step-size", "--checkpoint", str(tmp_path / "missing.pt"), "--value", "0.001", "--out", out]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["step-size", "--checkpoint", grbal, "--value", "-0.1", "--out", out])
