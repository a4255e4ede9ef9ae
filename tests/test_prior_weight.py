"""train.prior_weight: GrBAL's meta-loss plus w times the prior's own one-step loss on each whole window."""
import pytest
import torch

from adaptive_control.config import ConfigError, ExperimentConfig, ModelConfig, TrainConfig, load_config
from adaptive_control.training import train_checkpoint
from models.adaptation import GradientAdapter
from models.checkpoint import load_checkpoint
from models.dynamics import MLPDynamics
from models.training import meta_loss, seeded_init, train_dynamics


def _windows(ds, b=6, length=16):
    obs = torch.stack([torch.as_tensor(ds.obs[i * 60:i * 60 + length]) for i in range(b)]).float()
    act = torch.stack([torch.as_tensor(ds.act[i * 60:i * 60 + length]) for i in range(b)]).float()
    nxt = torch.stack([torch.as_tensor(ds.next_obs[i * 60:i * 60 + length]) for i in range(b)]).float()
    return obs, act, nxt


def test_the_term_is_the_priors_loss_on_the_whole_window(cheetah_dataset):
    ds = cheetah_dataset
    m = MLPDynamics(ds.obs_size, ds.action_size, hidden_sizes=(16, 16))
    seeded_init(m, 0)
    m.normalizer.fit(torch.as_tensor(ds.obs).float(), torch.as_tensor(ds.act).float(),
                     torch.as_tensor(ds.next_obs).float())
    params = {k: v.detach() for k, v in m.named_parameters()}
    adapter = GradientAdapter(m, 0.01)
    obs, act, nxt = _windows(ds)
    plain = meta_loss(m, params, adapter, obs, act, nxt, 8)
    prior = m.loss(params, obs.flatten(0, 1), act.flatten(0, 1), nxt.flatten(0, 1))
    assert float(prior) > 0
    for w in (0.5, 3.0):
        both = meta_loss(m, params, adapter, obs, act, nxt, 8, prior_weight=w)
        torch.testing.assert_close(both, plain + w * prior, rtol=1e-5, atol=1e-7)


def _train(ds, prior_weight):
    m = MLPDynamics(ds.obs_size, ds.action_size, hidden_sizes=(32, 32))
    seeded_init(m, 0)
    r = train_dynamics(m, ds, method="grbal", adapt_window=8, future_window=8, batch_size=8, steps=60, lr=3e-3,
                       prior_weight=prior_weight, learn_inner_lr=True, inner_lr=0.05, seed=1, eval_every=60)
    return r.metrics


def test_a_weighted_prior_is_a_better_model_on_its_own(cheetah_dataset):
    plain, weighted = _train(cheetah_dataset, 0.0), _train(cheetah_dataset, 5.0)
    # the term trains the prior itself: its held-out loss drops; without it only the adapted model is scored
    assert weighted["val_loss_prior"] < plain["val_loss_prior"]
    assert torch.isfinite(torch.tensor(weighted["val_loss_adapted"]))


def test_prior_weight_is_validated_with_key_and_file(tmp_path, cheetah_dataset):
    for bad in ("-1", ".nan", ".inf", "heavy", "true"):
        p = tmp_path / "exp.yaml"
        p.write_text(f"train: {{prior_weight: {bad}}}\n")
        with pytest.raises(ConfigError, match="prior_weight") as err:
            load_config(p)
        assert str(p) in str(err.value)
    ds = cheetah_dataset
    with pytest.raises(ValueError, match="prior_weight"):
        train_dynamics(MLPDynamics(ds.obs_size, ds.action_size, (4,)), ds, prior_weight=-1.0)
    with pytest.raises(ValueError, match="prior_weight is a term of GrBAL"):
        train_dynamics(MLPDynamics(ds.obs_size, ds.action_size, (4,)), ds, method="mb", prior_weight=1.0)


def test_the_config_reaches_grbal_training_and_mb_ignores_it(tmp_path, cheetah_dataset):
    def train(method, prior_weight):
        cfg = ExperimentConfig(model=ModelConfig(hidden_sizes=(16, 16)),
                               train=TrainConfig(method=method, steps=20, meta_batch_size=4, adapt_window=4,
                                                 future_window=4, lr=3e-3, prior_weight=prior_weight, seed=2))
        path = str(tmp_path / f"{method}_{prior_weight}.pt")
        train_checkpoint(cfg, cheetah_dataset, path, show_progress=False, logs=False)
        return {k: v.detach().clone() for k, v in load_checkpoint(path).model.named_parameters()}

    g0, g5 = train("grbal", 0.0), train("grbal", 5.0)
    assert any(not torch.equal(g0[k], g5[k]) for k in g0)
    m0, m5 = train("mb", 0.0), train("mb", 5.0)  # a YAML with the term still trains the MB of a recipe, unchanged
    assert all(torch.equal(m0[k], m5[k]) for k in m0)
