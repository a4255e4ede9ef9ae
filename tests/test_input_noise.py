"""train.input_noise: Gaussian noise on the network's state inputs in training, the target kept clean."""
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


def _batch(ds, n=64):
    return tuple(torch.as_tensor(x[:n]).float() for x in (ds.obs, ds.act, ds.next_obs))


def test_noise_moves_the_input_and_not_the_target(cheetah_dataset):
    m = _model(cheetah_dataset)
    params = m.params()
    obs, act, nxt = _batch(cheetah_dataset)
    e = torch.randn(obs.shape, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(m.loss(params, obs, act, nxt, torch.zeros_like(obs)), m.loss(params, obs, act, nxt))
    noisy = m.loss(params, obs, act, nxt, 0.1 * e)
    # by hand: the network fed the shifted states, scored against the clean change
    moved = obs + 0.1 * e * m.normalizer.obs_std
    target = m.normalizer.normalize_delta(nxt - obs)
    expected = ((m.predict_delta_n(params, moved, act) - target) ** 2).mean()
    torch.testing.assert_close(noisy, expected)
    assert not torch.allclose(noisy, m.loss(params, obs, act, nxt))


def test_grbal_adapts_on_clean_transitions_and_scores_noisy_inputs(cheetah_dataset):
    ds = cheetah_dataset
    m = _model(ds)
    params = m.params()
    adapter = GradientAdapter(m, 0.01)
    obs, act, nxt = (torch.stack([torch.as_tensor(x[i * 60:i * 60 + 16]).float() for i in range(4)])
                     for x in (ds.obs, ds.act, ds.next_obs))
    e = 0.2 * torch.randn(4, 8, ds.obs_size, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(meta_loss(m, params, adapter, obs, act, nxt, 8, input_noise=torch.zeros_like(e)),
                               meta_loss(m, params, adapter, obs, act, nxt, 8))
    got = meta_loss(m, params, adapter, obs, act, nxt, 8, input_noise=e)
    expected = torch.stack([m.loss(adapter.adapt(params, o[:8], a[:8], n[:8]), o[8:], a[8:], n[8:], ei)
                            for o, a, n, ei in zip(obs, act, nxt, e)]).mean()
    torch.testing.assert_close(got, expected)
    with pytest.raises(ValueError, match="one-step"):
        meta_loss(m, params, adapter, obs, act, nxt, 8, rollout_horizon=2, input_noise=e)


def _train(ds, method, noise, seed=1):
    m = MLPDynamics(ds.obs_size, ds.action_size, hidden_sizes=(16, 16))
    seeded_init(m, 0)
    r = train_dynamics(m, ds, method=method, adapt_window=8, future_window=8, batch_size=8, steps=30, lr=3e-3,
                       input_noise=noise, seed=seed, eval_every=30)
    return {k: v.detach().clone() for k, v in m.named_parameters()}, r


@pytest.mark.parametrize("method", ["mb", "grbal"])
def test_training_with_noise_is_seeded_and_differs_from_without(cheetah_dataset, method):
    plain, _ = _train(cheetah_dataset, method, 0.0)
    noisy, r = _train(cheetah_dataset, method, 0.1)
    again, _ = _train(cheetah_dataset, method, 0.1)
    assert all(torch.equal(noisy[k], again[k]) for k in noisy)  # the noise comes from the seeded stream
    assert any(not torch.equal(noisy[k], plain[k]) for k in noisy)
    assert all(torch.isfinite(torch.tensor(v)) for k, v in r.metrics.items() if k.startswith("val_"))


def test_input_noise_is_validated_with_key_and_file(tmp_path, cheetah_dataset):
    for bad in ("-0.1", ".nan", ".inf", "loud", "true"):
        p = tmp_path / "exp.yaml"
        p.write_text(f"train: {{input_noise: {bad}}}\n")
        with pytest.raises(ConfigError, match="input_noise") as err:
            load_config(p)
        assert str(p) in str(err.value)
    p.write_text("train: {input_noise: 0.1, rollout_horizon: 2}\n")
    with pytest.raises(ConfigError, match="input_noise"):
        load_config(p)
    ds = cheetah_dataset
    with pytest.raises(ValueError, match="input_noise"):
        train_dynamics(MLPDynamics(ds.obs_size, ds.action_size, (4,)), ds, method="mb", input_noise=-1.0)
    with pytest.raises(ValueError, match="input_noise"):
        train_dynamics(MLPDynamics(ds.obs_size, ds.action_size, (4,)), ds, method="mb", input_noise=0.1,
                       rollout_horizon=2, adapt_window=8, future_window=8)


def test_the_config_reaches_training_and_the_checkpoint(tmp_path, cheetah_dataset):
    def train(noise):
        cfg = ExperimentConfig(model=ModelConfig(hidden_sizes=(16, 16)),
                               train=TrainConfig(method="mb", steps=20, meta_batch_size=4, adapt_window=4,
                                                 future_window=4, lr=3e-3, input_noise=noise, seed=2))
        path = str(tmp_path / f"mb_{noise}.pt")
        train_checkpoint(cfg, cheetah_dataset, path, show_progress=False, logs=False)
        ck = load_checkpoint(path)
        return {k: v.detach().clone() for k, v in ck.model.named_parameters()}, ck

    (p0, _), (p1, ck) = train(0.0), train(0.1)
    assert any(not torch.equal(p0[k], p1[k]) for k in p0)
    assert ck.config["train"]["input_noise"] == 0.1
