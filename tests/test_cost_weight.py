"""train.cost_weight: the task cost's state entries weigh more in every loss, through the normaliser."""
import math

import pytest
import torch

from adaptive_control.config import ConfigError, ExperimentConfig, ModelConfig, TrainConfig, cost_indices, load_config
from adaptive_control.training import train_checkpoint
from models.checkpoint import load_checkpoint
from models.dynamics import MLPDynamics
from sim.costs import ANT_VX, HALF_CHEETAH_VX


def _data(n=256, nx=5, nu=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    obs = torch.randn(n, nx, generator=g)
    act = torch.randn(n, nu, generator=g)
    nxt = obs + 0.1 * torch.randn(n, nx, generator=g) * torch.arange(1, nx + 1)
    return obs, act, nxt


def test_weighted_normaliser_weighs_the_loss_and_leaves_predictions_alone():
    obs, act, nxt = _data()
    w = torch.tensor([1.0, 1.0, 9.0, 1.0, 4.0])
    plain, weighted = MLPDynamics(5, 2, (16,)), MLPDynamics(5, 2, (16,))
    plain.fit_normalizer(obs, act, nxt)
    weighted.fit_normalizer(obs, act, nxt, delta_weight=w)
    torch.testing.assert_close(plain.normalizer.delta_std / weighted.normalizer.delta_std, w.sqrt())
    # the same function: the weighted net's output rows scaled by sqrt(w) (normalised targets are too)
    weighted.load_state_dict(plain.state_dict() | {"normalizer.delta_std": weighted.normalizer.delta_std})
    with torch.no_grad():
        last = weighted.net[-1]
        last.weight.mul_(w.sqrt()[:, None])
        last.bias.mul_(w.sqrt())
    p, q = dict(plain.named_parameters()), dict(weighted.named_parameters())
    torch.testing.assert_close(weighted.predict_next(q, obs, act), plain.predict_next(p, obs, act))
    with torch.no_grad():
        err = plain.predict_delta_n(p, obs, act) - plain.normalizer.normalize_delta(nxt - obs)
        expected = (err.pow(2) * w).mean()
        torch.testing.assert_close(weighted.loss(q, obs, act, nxt), expected)
        assert not math.isclose(float(plain.loss(p, obs, act, nxt)), float(expected), rel_tol=1e-3)


def test_bad_weights_are_rejected():
    obs, act, nxt = _data()
    m = MLPDynamics(5, 2, (16,))
    with pytest.raises(ValueError, match="delta_weight"):
        m.fit_normalizer(obs, act, nxt, delta_weight=torch.ones(4))
    with pytest.raises(ValueError, match="delta_weight"):
        m.fit_normalizer(obs, act, nxt, delta_weight=torch.tensor([1.0, 0.0, 1.0, 1.0, 1.0]))


def test_cost_weight_is_validated_with_key_and_file(tmp_path):
    for bad in ("0", "-2", ".nan", "heavy"):
        p = tmp_path / "exp.yaml"
        p.write_text(f"train: {{cost_weight: {bad}}}\n")
        with pytest.raises(ConfigError, match="cost_weight") as err:
            load_config(p)
        assert str(p) in str(err.value)
    assert cost_indices("half_cheetah") == (HALF_CHEETAH_VX,) and cost_indices("ant") == (ANT_VX,)


def test_checkpoint_carries_the_weighting_and_init_keeps_its_own(tmp_path, cheetah_dataset):
    def cfg(method, weight):
        return ExperimentConfig(model=ModelConfig(hidden_sizes=(16, 16)),
                                train=TrainConfig(method=method, steps=3, meta_batch_size=4, adapt_window=4,
                                                  future_window=4, cost_weight=weight))

    paths = {name: str(tmp_path / f"{name}.pt") for name in ("plain", "weighted", "grbal")}
    train_checkpoint(cfg("mb", 1.0), cheetah_dataset, paths["plain"], show_progress=False, logs=False)
    train_checkpoint(cfg("mb", 16.0), cheetah_dataset, paths["weighted"], show_progress=False, logs=False)
    # GrBAL from the weighted MB: the normaliser (and so the weighting) is the init's, whatever its config says
    train_checkpoint(cfg("grbal", 1.0), cheetah_dataset, paths["grbal"], init=paths["weighted"],
                     show_progress=False, logs=False)
    std = {k: load_checkpoint(p).model.normalizer.delta_std for k, p in paths.items()}
    ratio = std["plain"] / std["weighted"]
    expected = torch.ones_like(ratio)
    expected[HALF_CHEETAH_VX] = 4.0
    torch.testing.assert_close(ratio, expected)
    torch.testing.assert_close(std["grbal"], std["weighted"])
