"""train.meta_loss_trim: GrBAL's meta-loss without the worst windows of each batch (README "Outlier windows
steer GrBAL")."""
import dataclasses

import numpy as np
import pytest
import torch

from adaptive_control.config import ConfigError, ExperimentConfig, ModelConfig, TrainConfig, load_config
from adaptive_control.training import train_checkpoint
from models.adaptation import GradientAdapter
from models.checkpoint import load_checkpoint
from models.dynamics import MLPDynamics
from models.training import meta_loss, seeded_init, train_dynamics


def _model(ds, hidden=(16, 16)):
    m = MLPDynamics(ds.obs_size, ds.action_size, hidden_sizes=hidden)
    seeded_init(m, 0)
    m.normalizer.fit(torch.as_tensor(ds.obs).float(), torch.as_tensor(ds.act).float(),
                     torch.as_tensor(ds.next_obs).float())
    return m


def _windows(ds, b=8, length=16):
    starts = [i * 60 for i in range(b)]  # one window at the start of each 60-step path
    return tuple(torch.stack([torch.as_tensor(x[s:s + length]) for s in starts]).float()
                 for x in (ds.obs, ds.act, ds.next_obs))


def test_trim_leaves_out_exactly_the_worst_windows_and_their_gradient(cheetah_dataset):
    m = _model(cheetah_dataset)
    params = {k: v.detach().requires_grad_(True) for k, v in m.named_parameters()}
    adapter = GradientAdapter(m, 0.01)
    obs, act, nxt = _windows(cheetah_dataset)
    nxt = nxt.clone()
    nxt[3] += 50.0  # window 3 far outside the rest (a robot on its back)
    per = meta_loss(m, params, adapter, obs, act, nxt, 8, reduce=False)
    assert int(per.argmax()) == 3
    torch.testing.assert_close(meta_loss(m, params, adapter, obs, act, nxt, 8), per.mean())
    torch.testing.assert_close(meta_loss(m, params, adapter, obs, act, nxt, 8, trim=0.1), per.mean())  # floor(0.8)=0
    keep = [i for i in range(8) if i != 3]
    trimmed = meta_loss(m, params, adapter, obs, act, nxt, 8, trim=0.125)  # floor(1.0) = 1 window
    rest = meta_loss(m, params, adapter, obs[keep], act[keep], nxt[keep], 8)
    torch.testing.assert_close(trimmed, rest)
    g_trim = torch.autograd.grad(trimmed, list(params.values()))
    g_rest = torch.autograd.grad(rest, list(params.values()))
    for a, b in zip(g_trim, g_rest):
        torch.testing.assert_close(a, b)
    worst_two = per.detach().argsort()[-2:].tolist()
    kept = [i for i in range(8) if i not in worst_two]
    torch.testing.assert_close(meta_loss(m, params, adapter, obs, act, nxt, 8, trim=0.25),
                               per[kept].mean())


def _corrupted(ds):
    """The dataset with one path's next observations thrown far off (every other path unchanged)."""
    nxt = ds.next_obs.copy()
    bad = ds.path_id == 2
    nxt[bad] += np.random.default_rng(0).normal(0.0, 30.0, size=nxt[bad].shape)
    return dataclasses.replace(ds, next_obs=nxt), bad


def test_trimmed_meta_training_is_not_steered_by_one_bad_path(cheetah_dataset):
    ds, bad = _corrupted(cheetah_dataset)

    def clean_loss(trim):
        m = MLPDynamics(ds.obs_size, ds.action_size, hidden_sizes=(32, 32))
        seeded_init(m, 0)
        m.normalizer.fit(*(torch.as_tensor(x[~bad]).float() for x in (ds.obs, ds.act, ds.next_obs)))
        train_dynamics(m, ds, method="grbal", adapt_window=8, future_window=8, batch_size=16, steps=150, lr=3e-3,
                       inner_lr=0.01, seed=1, eval_every=150, validation_fraction=0.0, fit_normalizer=False,
                       meta_loss_trim=trim)
        params = m.params()
        with torch.no_grad():  # the prior's one-step loss on the clean paths it was trained on
            return float(m.loss(params, *(torch.as_tensor(x[~bad]).float()
                                          for x in (cheetah_dataset.obs, cheetah_dataset.act, cheetah_dataset.next_obs))))

    plain, trimmed = clean_loss(0.0), clean_loss(0.2)
    assert trimmed < 0.8 * plain


def test_meta_loss_trim_is_validated_with_key_and_file(tmp_path, cheetah_dataset):
    for bad in ("-0.1", "0.5", ".nan", "most", "true"):
        p = tmp_path / "exp.yaml"
        p.write_text(f"train: {{meta_loss_trim: {bad}}}\n")
        with pytest.raises(ConfigError, match="meta_loss_trim") as err:
            load_config(p)
        assert str(p) in str(err.value)
    ds = cheetah_dataset
    with pytest.raises(ValueError, match="meta_loss_trim must be in"):
        train_dynamics(MLPDynamics(ds.obs_size, ds.action_size, (4,)), ds, meta_loss_trim=0.5)
    with pytest.raises(ValueError, match="meta_loss_trim trims GrBAL"):
        train_dynamics(MLPDynamics(ds.obs_size, ds.action_size, (4,)), ds, method="mb", meta_loss_trim=0.1)


def test_the_config_reaches_grbal_training_and_mb_ignores_it(tmp_path, cheetah_dataset):
    ds, _ = _corrupted(cheetah_dataset)

    def train(method, trim):
        cfg = ExperimentConfig(model=ModelConfig(hidden_sizes=(16, 16)),
                               train=TrainConfig(method=method, steps=20, meta_batch_size=8, adapt_window=4,
                                                 future_window=4, lr=3e-3, meta_loss_trim=trim, seed=2))
        path = str(tmp_path / f"{method}_{trim}.pt")
        train_checkpoint(cfg, ds, path, show_progress=False, logs=False)
        ck = load_checkpoint(path)
        assert ck.config["train"]["meta_loss_trim"] == trim
        return {k: v.detach().clone() for k, v in ck.model.named_parameters()}

    g0, g2 = train("grbal", 0.0), train("grbal", 0.25)
    assert any(not torch.equal(g0[k], g2[k]) for k in g0)
    m0, m2 = train("mb", 0.0), train("mb", 0.25)  # a YAML with the trim still trains the MB of a recipe, unchanged
    assert all(torch.equal(m0[k], m2[k]) for k in m0)
