"""Data-parallel meta-training (issue 14): real ``torchrun`` processes talking gloo over loopback.

A 2-process run and a single process drawing the same global batches (``streams=2``) end with the
same weights; ``adaptive-control meta-train`` runs unchanged under torchrun and its checkpoint loads.
"""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch

from models.checkpoint import CheckpointError, load_checkpoint
from models.dynamics import MLPDynamics
from models.recurrent import RecurrentDynamics
from models.training import seeded_init, train_dynamics

TORCHRUN = shutil.which("torchrun", path=os.path.dirname(sys.executable)) or shutil.which("torchrun")
STEPS = 6


def _model(method):
    return RecurrentDynamics(17, 6, (16,), 8) if method == "rebal" else MLPDynamics(17, 6, (16, 16))


def _kwargs(method):
    return dict(method=method, adapt_window=4, future_window=4, batch_size=8, steps=STEPS, eval_every=3,
                learn_inner_lr=method == "grbal", keep_best=True, seed=5)


# what each torchrun process runs: the library call itself, on the dataset the test saved
WORKER = textwrap.dedent("""
    import faulthandler, sys, torch
    faulthandler.enable()  # a native crash prints every thread's Python stack
    torch.set_num_threads(1)
    from models.dataset import TransitionDataset
    from models.distributed import init_from_env, shutdown
    from models.dynamics import MLPDynamics
    from models.recurrent import RecurrentDynamics
    from models.training import seeded_init, train_dynamics
    method, data, out = sys.argv[1:4]
    state, stop_at = (sys.argv[4], int(sys.argv[5])) if len(sys.argv) > 4 else (None, None)
    info = init_from_env("cpu")
    model = RecurrentDynamics(17, 6, (16,), 8) if method == "rebal" else MLPDynamics(17, 6, (16, 16))
    seeded_init(model, 0)

    def cb(step, metrics):  # every rank stops at the same step, as a killed job does
        if step == stop_at:
            shutdown(info)
            sys.exit(3)

    res = train_dynamics(model, TransitionDataset.load(data), method=method, adapt_window=4, future_window=4,
                         batch_size=8, steps=%d, eval_every=3, learn_inner_lr=method == "grbal", keep_best=True,
                         seed=5, state_path=state, save_every=2, resume=state is not None, callback=cb)
    torch.save({"rank": info.rank, "weights": model.state_dict(), "inner_lr": res.inner_lr,
                "history": res.metrics["history"]}, out + f".rank{info.rank}")
    shutdown(info)
""" % STEPS)


def _env(tmp_path):
    # loopback only; no ROS or GPU involved
    return {**os.environ, "MUJOCO_GL": "disable", "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo",
            "MASTER_ADDR": "127.0.0.1", "TORCHELASTIC_ERROR_FILE": str(tmp_path / "error.json")}


def _torchrun(tmp_path, *cmd, nproc=2, timeout=240, restarts=0):
    """``restarts``: torchrun's ``--max-restarts``, how a fault-tolerant job is launched: a failed group
    is restarted whole and, with a training state, resumes from it."""
    assert TORCHRUN, "torchrun (installed with torch) not found"
    return subprocess.run([TORCHRUN, "--standalone", f"--nproc-per-node={nproc}", f"--max-restarts={restarts}", *cmd],
                          env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("method", ["grbal", "mb", "rebal"])
def test_two_processes_update_as_one_process_on_the_same_global_batch(method, cheetah_dataset, tmp_path):
    data = str(tmp_path / "d.npz")
    cheetah_dataset.save(data)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out = str(tmp_path / "w")
    proc = _torchrun(tmp_path, str(script), method, data, out, restarts=1)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [torch.load(f"{out}.rank{r}", weights_only=True) for r in (0, 1)]

    single = _model(method)
    seeded_init(single, 0)
    res = train_dynamics(single, cheetah_dataset, streams=2, **_kwargs(method))
    alone = _model(method)  # one stream: other batches, so other weights (the test can tell)
    seeded_init(alone, 0)
    train_dynamics(alone, cheetah_dataset, **_kwargs(method))

    for k, v in single.state_dict().items():
        for r in ranks:  # both ranks hold the single process's weights
            assert torch.allclose(r["weights"][k], v, atol=1e-5, rtol=1e-4), (k, (r["weights"][k] - v).abs().max())
    assert any(not torch.allclose(alone.state_dict()[k], v, atol=1e-5) for k, v in single.state_dict().items())
    if method == "grbal":  # learned step sizes too
        for k, v in res.inner_lr.items():
            assert torch.allclose(ranks[0]["inner_lr"][k], v, atol=1e-7, rtol=1e-4), k
    # the logged loss is the global batch's (all-reduced), as the single process computes it
    assert [h["step"] for h in ranks[0]["history"]] == [h["step"] for h in res.metrics["history"]]
    for h0, h in zip(ranks[0]["history"], res.metrics["history"]):
        assert h0["val_loss_adapted"] == pytest.approx(h["val_loss_adapted"], rel=1e-4)
        assert h0["loss"] == pytest.approx(h["loss"], rel=1e-4)


def test_a_two_process_run_resumes_to_the_uninterrupted_weights(cheetah_dataset, tmp_path):
    data = str(tmp_path / "d.npz")
    cheetah_dataset.save(data)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    state = str(tmp_path / "state.pt")
    ref = _torchrun(tmp_path, str(script), "grbal", data, str(tmp_path / "ref"), restarts=1)
    assert ref.returncode == 0, ref.stderr[-3000:]
    stopped = _torchrun(tmp_path, str(script), "grbal", data, str(tmp_path / "cut"), state, "5")
    assert stopped.returncode != 0 and torch.load(state, weights_only=True)["step"] == 4
    # launched as a fault-tolerant job (CI once saw a rank abort at exit after a finished run: restarted,
    # the group resumes from the same state, so the weights compared below are unaffected)
    resumed = _torchrun(tmp_path, str(script), "grbal", data, str(tmp_path / "res"), state, "-1", restarts=1)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a, b = (torch.load(str(tmp_path / f"{n}.rank0"), weights_only=True) for n in ("ref", "res"))
    for k, v in a["weights"].items():
        assert torch.allclose(b["weights"][k], v, atol=1e-6), k
    for k, v in a["inner_lr"].items():
        assert torch.allclose(b["inner_lr"][k], v, atol=1e-7), k
    # the state holds both ranks' streams; a single process may not take it over
    model = _model("grbal")
    seeded_init(model, 0)
    with pytest.raises(CheckpointError, match="streams"):
        train_dynamics(model, cheetah_dataset, state_path=state, resume=True, **_kwargs("grbal"))


def test_batch_must_split_over_the_processes(cheetah_dataset):
    with pytest.raises(ValueError, match="multiple of the number of processes"):
        train_dynamics(_model("mb"), cheetah_dataset, streams=3, **_kwargs("mb"))


def test_meta_train_under_torchrun_writes_a_loadable_checkpoint_and_logs(cheetah_dataset, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model: {hidden_sizes: [32, 32]}\n"
                   "train: {method: grbal, adapt_window: 4, future_window: 4, meta_batch_size: 8, steps: 200,\n"
                   "        learn_inner_lr: true, keep_best: true, seed: 1}\n")
    data = str(tmp_path / "d.npz")
    cheetah_dataset.save(data)
    cli = shutil.which("adaptive-control", path=os.path.dirname(sys.executable))
    assert cli
    out = tmp_path / "g.pt"
    proc = _torchrun(tmp_path, "--no-python", cli, "meta-train", "--config", str(cfg), "--data", data,
                     "--threads", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 processes" in proc.stdout and proc.stdout.count("wrote grbal checkpoint") == 1  # rank 0 alone
    ckpt = load_checkpoint(str(out), robot="half_cheetah")
    assert ckpt.kind == "grbal" and ckpt.metrics["best_step"] in (100, 200)
    assert not (tmp_path / "g.train_state.pt").exists()
    events = list((tmp_path / "g.tb").glob("events.out.tfevents.*"))
    assert len(events) == 1  # rank 0's log only

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path / "g.tb"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"train/loss", "val/loss_prior", "val/loss_adapted", "val/rollout_adapted", "inner_lr/mean",
            "inner_lr/min", "inner_lr/max", "perf/steps_per_s"} <= tags
    assert [e.step for e in acc.Scalars("val/loss_adapted")] == [100, 200]
