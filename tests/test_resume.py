"""Resumable meta-training (issue 12): a killed run continues from its training state and ends with
the weights an uninterrupted run ends with."""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from adaptive_control.cli import main
from adaptive_control.training import train_state_path
from models.checkpoint import CheckpointError, load_checkpoint
from models.dynamics import MLPDynamics
from models.recurrent import RecurrentDynamics
from models.training import seeded_init, train_dynamics


class Interrupted(Exception):
    pass


def _train(data, method, state, resume=False, stop_at=None, steps=25, weight_average=0.0):
    model = RecurrentDynamics(17, 6, (16,), 8) if method == "rebal" else MLPDynamics(17, 6, (16, 16))
    seeded_init(model, 0)

    def cb(step, metrics):
        if stop_at is not None and step == stop_at:
            raise Interrupted

    res = train_dynamics(model, data, method=method, adapt_window=4, future_window=4, batch_size=4, steps=steps,
                         eval_every=5, learn_inner_lr=method == "grbal", keep_best=True, seed=3, callback=cb,
                         state_path=state, save_every=4, resume=resume, weight_average=weight_average)
    return model, res


@pytest.mark.parametrize("method,weight_average", [("grbal", 0.0), ("mb", 0.0), ("rebal", 0.0), ("grbal", 0.8)])
def test_resumed_training_ends_with_the_uninterrupted_weights(method, weight_average, cheetah_dataset, tmp_path):
    state = str(tmp_path / "s.pt")
    ref, ref_res = _train(cheetah_dataset, method, None, weight_average=weight_average)
    with pytest.raises(Interrupted):  # dies at step 15: the state of step 12 is on disk
        _train(cheetah_dataset, method, state, stop_at=15, weight_average=weight_average)
    assert torch.load(state, weights_only=True)["step"] == 12
    got, res = _train(cheetah_dataset, method, state, resume=True, weight_average=weight_average)
    for k, v in ref.state_dict().items():
        assert torch.allclose(got.state_dict()[k], v, atol=1e-6), k
    if method == "grbal":  # learned step sizes too
        for k, v in ref_res.inner_lr.items():
            assert torch.allclose(res.inner_lr[k], v, atol=1e-7)
    assert res.metrics["best_step"] == ref_res.metrics["best_step"]
    assert [h["step"] for h in res.metrics["history"]] == [5, 10, 15, 20, 25]


def test_a_state_from_another_run_is_refused(cheetah_dataset, tmp_path):
    state = str(tmp_path / "s.pt")
    with pytest.raises(Interrupted):
        _train(cheetah_dataset, "mb", state, stop_at=9)
    with pytest.raises(CheckpointError, match="other steps"):
        _train(cheetah_dataset, "mb", state, resume=True, steps=30)
    with open(state, "wb") as fh:
        fh.write(b"not a torch file")
    with pytest.raises(CheckpointError, match="cannot read training state"):
        _train(cheetah_dataset, "mb", state, resume=True)


def test_meta_train_killed_with_sigkill_resumes_to_the_same_checkpoint(cheetah_dataset, tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model: {hidden_sizes: [64, 64]}\n"
                   "train: {method: grbal, adapt_window: 4, future_window: 4, meta_batch_size: 8, steps: 400,\n"
                   "        save_every: 20, learn_inner_lr: true, seed: 1}\n")
    data = str(tmp_path / "d.npz")
    cheetah_dataset.save(data)
    args = ["meta-train", "--config", str(cfg), "--data", data, "--threads", "1"]
    ref, out = str(tmp_path / "ref.pt"), str(tmp_path / "g.pt")
    assert main(args + ["--out", ref]) == 0
    assert not os.path.exists(train_state_path(ref))  # removed once the run is complete
    env = {**os.environ, "MUJOCO_GL": "disable"}
    proc = subprocess.Popen([sys.executable, "-m", "adaptive_control.cli", *args, "--out", out], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = train_state_path(out)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if os.path.exists(state) and torch.load(state, weights_only=True)["step"] >= 60:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not os.path.exists(out) and os.path.exists(state)
    killed_at = torch.load(state, weights_only=True)["step"]
    assert 60 <= killed_at < 400
    assert main(args + ["--out", out, "--resume"]) == 0
    assert "resuming from" in capsys.readouterr().out
    a, b = load_checkpoint(ref), load_checkpoint(out)
    for k, v in a.model.state_dict().items():
        assert torch.allclose(b.model.state_dict()[k], v, atol=1e-6), k
    for k, v in a.inner_lr.items():
        assert torch.allclose(b.inner_lr[k], v, atol=1e-7)
