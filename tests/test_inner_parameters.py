"""train.inner_parameters: which of GrBAL's parameters take the adaptation step (all, biases, last_layer)."""
import pytest
import torch

from adaptive_control.config import ConfigError, ExperimentConfig, ModelConfig, TrainConfig, load_config
from adaptive_control.training import train_checkpoint
from models.adaptation import GradientAdapter
from models.checkpoint import load_checkpoint
from models.dynamics import MLPDynamics
from models.training import INNER_PARAMETERS, inner_parameter_names, seeded_init, train_dynamics


def test_names_of_each_subset():
    m = MLPDynamics(5, 2, hidden_sizes=(8, 8, 8))
    params = dict(m.named_parameters())
    assert inner_parameter_names(params, "all") == list(params)
    assert inner_parameter_names(params, "biases") == ["net.0.bias", "net.2.bias", "net.4.bias", "net.6.bias"]
    assert inner_parameter_names(params, "last_layer") == ["net.6.weight", "net.6.bias"]
    with pytest.raises(ValueError, match="inner_parameters"):
        inner_parameter_names(params, "heads")
    from adaptive_control.config import INNER_PARAMETERS as in_config  # the YAML check's copy
    assert in_config == INNER_PARAMETERS


@pytest.mark.parametrize("which", ["biases", "last_layer"])
@pytest.mark.parametrize("learn", [True, False])
def test_training_moves_only_the_subset_online_too(cheetah_dataset, which, learn):
    ds = cheetah_dataset
    m = MLPDynamics(ds.obs_size, ds.action_size, hidden_sizes=(16, 16))
    seeded_init(m, 0)
    r = train_dynamics(m, ds, method="grbal", adapt_window=8, future_window=8, batch_size=8, steps=30, lr=3e-3,
                       inner_parameters=which, learn_inner_lr=learn, inner_lr=0.05, seed=1, eval_every=30)
    moved = set(inner_parameter_names(dict(m.named_parameters()), which))
    assert isinstance(r.inner_lr, dict) and set(r.inner_lr) == {k for k, _ in m.named_parameters()}
    for k, v in r.inner_lr.items():
        if k in moved:
            assert float(v.abs().min()) > 0, k  # learned (or the constant inner_lr), never 0
        else:
            assert torch.count_nonzero(v) == 0, k
    if learn:  # the learned step sizes moved away from their start
        assert any(not torch.allclose(r.inner_lr[k], torch.full_like(r.inner_lr[k], 0.05)) for k in moved)
    # the online rule with these step sizes: only the subset moves, the prior is untouched
    params = {k: v.detach().clone() for k, v in m.named_parameters()}
    before = {k: v.clone() for k, v in params.items()}
    o, a, n = (torch.as_tensor(x[:16]).float() for x in (ds.obs, ds.act, ds.next_obs))
    adapted = GradientAdapter(m, r.inner_lr, online=True).adapt(params, o, a, n)
    for k in params:
        assert torch.equal(params[k], before[k])
        assert torch.equal(adapted[k], params[k]) != (k in moved), k


def test_all_is_grbal_unchanged(cheetah_dataset):
    def run(**kw):
        m = MLPDynamics(cheetah_dataset.obs_size, cheetah_dataset.action_size, hidden_sizes=(16,))
        seeded_init(m, 0)
        r = train_dynamics(m, cheetah_dataset, method="grbal", adapt_window=8, future_window=8, batch_size=8,
                           steps=10, learn_inner_lr=True, inner_lr=0.05, seed=1, eval_every=10, **kw)
        return {k: v.detach() for k, v in m.named_parameters()}, r.inner_lr
    (w0, a0), (w1, a1) = run(), run(inner_parameters="all")
    assert all(torch.equal(w0[k], w1[k]) and torch.equal(a0[k], a1[k]) for k in w0)


def test_validated_with_key_and_file(tmp_path, cheetah_dataset):
    p = tmp_path / "exp.yaml"
    p.write_text("train: {inner_parameters: heads}\n")
    with pytest.raises(ConfigError, match="inner_parameters") as err:
        load_config(p)
    assert str(p) in str(err.value)
    ds = cheetah_dataset
    with pytest.raises(ValueError, match="inner_parameters is GrBAL's inner step"):
        train_dynamics(MLPDynamics(ds.obs_size, ds.action_size, (4,)), ds, method="mb", inner_parameters="biases")


def test_the_config_reaches_the_checkpoint_and_the_controller(tmp_path, cheetah_dataset):
    cfg = ExperimentConfig(model=ModelConfig(hidden_sizes=(16, 16)),
                           train=TrainConfig(method="grbal", steps=10, meta_batch_size=4, adapt_window=4,
                                             future_window=4, learn_inner_lr=True, inner_parameters="biases", seed=2))
    path = str(tmp_path / "grbal.pt")
    train_checkpoint(cfg, cheetah_dataset, path, show_progress=False, logs=False)
    ck = load_checkpoint(path)
    assert ck.config["train"]["inner_parameters"] == "biases"
    assert all(torch.count_nonzero(v) == 0 for k, v in ck.inner_lr.items() if not k.endswith("bias"))
    mb_cfg = ExperimentConfig(model=ModelConfig(hidden_sizes=(16, 16)),
                              train=TrainConfig(method="mb", steps=10, meta_batch_size=4, adapt_window=4,
                                                future_window=4, inner_parameters="biases", seed=2))
    train_checkpoint(mb_cfg, cheetah_dataset, str(tmp_path / "mb.pt"), show_progress=False, logs=False)  # ignored
