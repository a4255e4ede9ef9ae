"""train.snapshot_every: one training's live weights every k steps, each a checkpoint of its own."""
import os

import pytest
import torch

from adaptive_control.config import ConfigError, ExperimentConfig, ModelConfig, TrainConfig, load_config
from adaptive_control.training import snapshot_path, train_checkpoint
from models.checkpoint import load_checkpoint


def _cfg(method="grbal", steps=25, every=10, keep_best=False):
    return ExperimentConfig(model=ModelConfig(hidden_sizes=(16, 16)),
                            train=TrainConfig(method=method, steps=steps, meta_batch_size=4, adapt_window=4,
                                              future_window=4, lr=3e-3, learn_inner_lr=True, seed=3,
                                              snapshot_every=every, keep_best=keep_best))


def _same(a, b):
    sa, sb = a.model.state_dict(), b.model.state_dict()
    if not all(torch.equal(sa[k], sb[k]) for k in sa):
        return False
    if isinstance(a.inner_lr, dict):
        return all(torch.equal(a.inner_lr[k], b.inner_lr[k]) for k in a.inner_lr)
    return a.inner_lr == b.inner_lr


@pytest.mark.parametrize("method", ["grbal", "mb"])
def test_a_snapshot_is_the_run_stopped_at_its_step(tmp_path, cheetah_dataset, method):
    out = str(tmp_path / f"{method}.pt")
    train_checkpoint(_cfg(method), cheetah_dataset, out, show_progress=False, logs=False)
    steps = [0, 10, 20, 25]  # the start, every 10 steps and the last
    assert sorted(p for p in os.listdir(tmp_path) if ".step" in p) == sorted(
        os.path.basename(snapshot_path(out, k)) for k in steps)
    snaps = {k: load_checkpoint(snapshot_path(out, k), robot="half_cheetah") for k in steps}
    for k, ck in snaps.items():
        assert ck.kind == method and ck.metrics["step"] == k and ck.residual_max is not None
    assert _same(snaps[25], load_checkpoint(out))  # no early stopping: the finished checkpoint is the last step
    short = str(tmp_path / "short.pt")  # the same training stopped at step 10, without snapshots
    train_checkpoint(_cfg(method, steps=10, every=0), cheetah_dataset, short, show_progress=False, logs=False)
    assert _same(snaps[10], load_checkpoint(short))
    assert not _same(snaps[10], snaps[20]) and not _same(snaps[0], snaps[10])
    plain = str(tmp_path / "plain.pt")  # writing snapshots does not move the training
    train_checkpoint(_cfg(method, every=0), cheetah_dataset, plain, show_progress=False, logs=False)
    assert _same(load_checkpoint(plain), load_checkpoint(out))


def test_snapshot_every_is_validated_with_key_and_file(tmp_path):
    for bad in ("-1", "2.5", "true", "often"):
        p = tmp_path / "exp.yaml"
        p.write_text(f"train: {{snapshot_every: {bad}}}\n")
        with pytest.raises(ConfigError, match="snapshot_every") as err:
            load_config(p)
        assert str(p) in str(err.value)
    p = tmp_path / "exp.yaml"
    p.write_text("train: {snapshot_every: 100, method: rebal}\n")
    with pytest.raises(ConfigError, match="snapshot_every: not for rebal"):
        load_config(p)


def test_meta_train_writes_snapshots_and_select_chooses_among_them(tmp_path, capsys):
    from adaptive_control.cli import main

    cfg = tmp_path / "small.yaml"
    cfg.write_text("collect: {paths: 6, path_length: 50}\nmodel: {hidden_sizes: [32, 32]}\n"
                   "train: {steps: 30, meta_batch_size: 8, adapt_window: 8, future_window: 8, learn_inner_lr: true}\n"
                   "planner: {samples: 32, horizon: 4}\ncontroller: {adapt_window: 8}\n")
    data, out, kept = (str(tmp_path / n) for n in ("d.npz", "g.pt", "kept.pt"))
    assert main(["collect", "--config", str(cfg), "--out", data]) == 0
    assert main(["meta-train", "--config", str(cfg), "--snapshot-every", "15", "--data", data, "--out", out]) == 0
    snaps = [snapshot_path(out, k) for k in (0, 15, 30)]
    assert all(os.path.exists(p) for p in snaps)
    assert main(["select", "--config", str(cfg), "--candidates", out, *snaps, "--seeds", "900", "--steps", "20",
                 "--workers", "1", "--out", kept]) == 0
    assert any(_same(load_checkpoint(kept), load_checkpoint(p)) for p in [out, *snaps])
    capsys.readouterr()
    assert main(["meta-train", "--config", str(cfg), "--snapshot-every", "-5", "--data", data, "--out", out]) == 2
    assert "snapshot_every" in capsys.readouterr().err


def test_the_start_of_a_warm_started_grbal_is_its_init_with_the_initial_step_size(tmp_path, cheetah_dataset):
    mb, out = str(tmp_path / "mb.pt"), str(tmp_path / "g.pt")
    train_checkpoint(_cfg("mb", every=0), cheetah_dataset, mb, show_progress=False, logs=False)
    train_checkpoint(_cfg("grbal", steps=5, every=100), cheetah_dataset, out, init=mb, show_progress=False, logs=False)
    start, init = load_checkpoint(snapshot_path(out, 0)), load_checkpoint(mb)
    sa, sb = start.model.state_dict(), init.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)  # MB's weights and normaliser
    assert start.kind == "grbal" and start.metrics["init"] == mb
    assert all(bool((v == TrainConfig().inner_lr).all()) for v in start.inner_lr.values())  # the untrained step
    assert os.path.exists(snapshot_path(out, 5)) and not os.path.exists(snapshot_path(out, 100))
