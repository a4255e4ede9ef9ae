"""train.weight_decay: AdamW decay of the network's weight matrices, not its biases nor GrBAL's step sizes."""
import pytest
import torch

from adaptive_control.config import ConfigError, ExperimentConfig, ModelConfig, TrainConfig, load_config
from adaptive_control.training import train_checkpoint
from models.checkpoint import load_checkpoint
from models.dynamics import MLPDynamics
from models.training import seeded_init, train_dynamics


def _train(ds, weight_decay):
    m = MLPDynamics(ds.obs_size, ds.action_size, hidden_sizes=(32, 32))
    seeded_init(m, 0)
    # lr 1e-4: Adam moves any entry by at most 30 * 1e-4 = 0.003 in 30 steps; lr * weight_decay = 0.2 shrinks a
    # decayed entry to 0.8^30 ~ 0.1% of itself
    r = train_dynamics(m, ds, method="grbal", adapt_window=8, future_window=8, batch_size=8, steps=30, lr=1e-4,
                       weight_decay=weight_decay, learn_inner_lr=True, inner_lr=0.01, seed=1, eval_every=30)
    return m, r


def test_decay_shrinks_the_weight_matrices_only(cheetah_dataset):
    plain, r_plain = _train(cheetah_dataset, 0.0)
    decayed, r_decayed = _train(cheetah_dataset, 2000.0)
    q = dict(decayed.named_parameters())
    for name, p in plain.named_parameters():
        ratio = float(q[name].detach().norm() / p.detach().norm())
        if p.dim() > 1:
            assert ratio < 0.1, (name, ratio)
        else:  # biases: only Adam's bounded steps
            assert ratio > 0.9, (name, ratio)
    for name, alpha in r_decayed.inner_lr.items():  # learned step sizes start at 0.01; decayed they would be ~0
        assert float(alpha.min()) > 0.005, name
    assert torch.isfinite(torch.tensor(r_decayed.metrics["val_loss_adapted"]))


def test_weight_decay_is_validated_with_key_and_file(tmp_path, cheetah_dataset):
    for bad in ("-1", ".nan", ".inf", "strong", "true"):
        p = tmp_path / "exp.yaml"
        p.write_text(f"train: {{weight_decay: {bad}}}\n")
        with pytest.raises(ConfigError, match="weight_decay") as err:
            load_config(p)
        assert str(p) in str(err.value)
    with pytest.raises(ValueError, match="weight_decay"):
        ds = cheetah_dataset
        train_dynamics(MLPDynamics(ds.obs_size, ds.action_size, (4,)), ds, weight_decay=-1.0)


def test_the_config_reaches_training(tmp_path, cheetah_dataset):
    def norms(weight_decay):
        cfg = ExperimentConfig(model=ModelConfig(hidden_sizes=(16, 16)),
                               train=TrainConfig(method="mb", steps=20, meta_batch_size=4, adapt_window=4,
                                                 future_window=4, lr=1e-4, weight_decay=weight_decay))
        path = str(tmp_path / f"mb_{weight_decay}.pt")
        train_checkpoint(cfg, cheetah_dataset, path, show_progress=False, logs=False)
        return {k: float(v.detach().norm()) for k, v in load_checkpoint(path).model.named_parameters() if v.dim() > 1}

    plain, decayed = norms(0.0), norms(2000.0)
    assert all(decayed[k] < 0.1 * plain[k] for k in plain)
