"""Config -> controller for every planner type and method, on real checkpoints and real physics."""
import dataclasses

import numpy as np
import pytest
import torch

from adaptive_control.experiments.bench import bench_point, robot_states
from adaptive_control.build import build_controller, load_for_method
from adaptive_control.config import ControllerConfig, GuardConfig, PlannerConfig
from models.checkpoint import CheckpointError, save_checkpoint
from models.dynamics import MLPDynamics
from models.training import seeded_init
from sim.half_cheetah import HalfCheetahEnv
from sim.perturbations import CrippledLeg


def drive(ctrl, steps=5):
    env = HalfCheetahEnv(CrippledLeg(1, 0.0))
    obs, _ = env.reset(seed=0)
    for _ in range(steps):
        a = ctrl.step(obs)
        assert a.shape == (6,) and np.all(np.isfinite(a)) and np.all(np.abs(a) <= 1.0)
        obs, *_ = env.step(a)
    return ctrl


@pytest.mark.parametrize("method", ["grbal", "grbal_prior", "mb", "mb_de"])
@pytest.mark.parametrize("planner", ["mppi", "cem", "random_shooting"])
def test_every_method_and_sampling_planner_runs_on_the_shipped_checkpoints(method, planner):
    ckpt = load_for_method(method, "half_cheetah")
    cfg = PlannerConfig(type=planner, samples=64, horizon=5, iterations=2 if planner == "cem" else 1, elites=8,
                        step_ticks=ckpt.ticks)  # a block model plans with its actions held as long
    ctrl = drive(build_controller(ckpt, "half_cheetah", cfg, ControllerConfig(method=method)))
    assert type(ctrl.planner).__name__ == {"mppi": "MPPI", "cem": "CEM", "random_shooting": "RandomShooting"}[planner]
    moved = any(not torch.equal(ctrl.params[k], ctrl.prior[k]) for k in ctrl.prior)
    assert moved == (method not in ("mb", "grbal_prior"))  # grbal_prior: the meta-learned prior, never adapted
    if not moved:  # unchanged parameters: the folded planning model is not rebuilt every tick
        folded = ctrl._predict
        drive(ctrl, steps=3)
        assert ctrl._predict is folded
    if method == "grbal_prior":
        assert ckpt.kind == "grbal"
        grbal = load_for_method("grbal", "half_cheetah").model.params()
        assert all(torch.equal(ctrl.params[k], grbal[k]) for k in grbal)


def test_casadi_planner_runs_with_adapted_weights(tmp_path):
    m = MLPDynamics(17, 6, (16, 16))
    seeded_init(m, 0)
    obs, act, nxt = robot_states("half_cheetah", 100)
    m.normalizer.fit(obs, act, nxt)
    path = tmp_path / "small.pt"
    save_checkpoint(path, m, robot="half_cheetah", kind="grbal", inner_lr=0.01)
    ckpt = load_for_method("grbal", "half_cheetah", str(path))
    # the shipped half-cheetah YAML's adapted_steps does not apply to casadi (one set of weights for the
    # horizon): a planner chosen over the YAML, like the node's `planner: casadi`, drops it
    ctrl_cfg = ControllerConfig(adapted_steps=3)
    ctrl = drive(build_controller(ckpt, "half_cheetah", PlannerConfig(type="casadi", horizon=5, max_solver_iterations=10),
                                  ctrl_cfg), steps=4)
    assert type(ctrl.planner).__name__ == "CasadiMPC" and ctrl.planner.failures == 0
    assert ctrl.adapted_steps is None


def test_bfloat16_planning_runs():
    ckpt = load_for_method("grbal", "half_cheetah")
    ctrl = drive(build_controller(ckpt, "half_cheetah", PlannerConfig(samples=64, horizon=5, precision="bfloat16",
                                                                      step_ticks=ckpt.ticks), ControllerConfig()))
    assert ctrl.planning_dtype == torch.bfloat16


def test_wrong_kind_of_checkpoint_for_the_method():
    with pytest.raises(CheckpointError, match="needs a 'grbal' checkpoint"):
        from adaptive_control.build import default_checkpoint

        load_for_method("grbal", "half_cheetah", default_checkpoint("half_cheetah", "mb"))


@pytest.mark.parametrize("robot", ["half_cheetah", "walker"])
def test_bench_point_reports_every_field(robot):
    # structure only: the benchmark's timings are reported by `adaptive-control bench`, not asserted here
    data = robot_states(robot, 60)
    row = bench_point((32, 32), 16, 3, data, rate=100.0, ticks=6, warmup=2, block=3, robot=robot)
    assert row["ticks"] == 6 and row["plan_floor_ms"] > 0
    assert {"tick_p99_ms", "plan_ratio_vs_pytorch_mppi", "plan_ratio_vs_pytorch_mppi_folded_model"} <= set(row)


def test_precision_auto_is_bfloat16_only_where_the_cpu_multiplies_it_natively(tmp_path):
    from adaptive_control.build import native_bfloat16, planning_dtype

    info = tmp_path / "cpuinfo"
    for flags, native in (("fpu sse avx2 fma", False), ("avx2 avx512f avx512_bf16", True), ("avx2 amx_tile amx_bf16", True)):
        info.write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
        assert native_bfloat16(str(info)) is native
    assert native_bfloat16(str(tmp_path / "missing")) is False
    assert planning_dtype("float32", "cpu") is None and planning_dtype("bfloat16", "cpu") is torch.bfloat16
    assert planning_dtype("auto", "cpu") is (torch.bfloat16 if native_bfloat16() else None)
    assert planning_dtype("auto", "cuda") is None  # resolved without touching a GPU
    from adaptive_control.config import ConfigError, PlannerConfig

    with pytest.raises(ConfigError, match="precision"):
        PlannerConfig(precision="float16").validate()


def test_the_benchmarks_shipped_point_is_the_shipped_controller():
    from adaptive_control.experiments.bench import shipped_point
    from adaptive_control.build import experiment_config, native_bfloat16

    data = robot_states("half_cheetah", 40)
    row = shipped_point(data, rate=100.0, ticks=4, warmup=1, block=2, precision="float32")
    cfg = experiment_config("half_cheetah").planner
    assert (row["samples"], row["horizon"], row["step_ticks"], row["model_ticks"]) == (cfg.samples, cfg.horizon, 3, 3)
    assert row["guard"] and row["precision"] == "float32" and row["ticks"] == 4
    # the shipped experiment overlaps the adaptation step: its time is the overlapped step's
    assert row["overlapped_adaptation"] is experiment_config("half_cheetah").controller.overlap_adaptation is True
    assert row["adapt_median_ms"] > 0 and row["to_action_median_ms"] < row["tick_median_ms"]
    assert {"tick_p99_ms", "tick_alone_p99_ms", "adapt_median_ms", "plan_ratio_vs_pytorch_mppi",
            "plan_ratio_vs_pytorch_mppi_module_forward"} <= set(row)
    auto = shipped_point(data, rate=100.0, ticks=2, warmup=1, block=2)
    assert auto["precision"] == ("bfloat16" if native_bfloat16() else "float32")


def test_task_distribution_follows_each_robots_config():
    from adaptive_control.build import default_config_path, task_distribution
    from adaptive_control.config import ConfigError, TaskConfig, load_config
    from sim.perturbations import CrippledAntLeg, NoPerturbation, TaskDistribution
    from sim.tasks import make_distribution

    ant = dataclasses.replace(load_config(default_config_path("ant")).task, perturbation="crippled_leg")
    legs = {task_distribution("ant", ant).sample(np.random.default_rng(s)).leg for s in range(40)}
    assert legs == {0, 1, 2}  # the config's training legs; leg 3 is held out
    held_out = dataclasses.replace(ant, joints=(3,))
    assert task_distribution("ant", held_out).sample(np.random.default_rng(0)) == CrippledAntLeg(leg=3)
    assert task_distribution("ant", ant, "none").sample(np.random.default_rng(0)) == NoPerturbation()
    # the cheetah keeps its reproducible sampler: same tasks from the same seeds as before
    cheetah = TaskConfig(joints=(1, 4), strength_range=(0.1, 0.4))
    old = TaskDistribution("crippled_leg", (1, 4), (0.1, 0.4))
    for s in range(5):
        assert (task_distribution("half_cheetah", cheetah).sample(np.random.default_rng(s))
                == old.sample(np.random.default_rng(s)))
    # other families sample their training range
    for robot in ("ant", "half_cheetah"):
        t = task_distribution(robot, TaskConfig(joints=(0,)), "friction").sample(np.random.default_rng(0))
        assert make_distribution(robot, "friction", "train").contains(t)
    # split="test": the family's held-out range whatever the config's training indices
    assert {task_distribution("ant", ant, split="test").sample(np.random.default_rng(s)).leg for s in range(10)} == {3}
    assert {task_distribution("half_cheetah", cheetah, split="test").sample(np.random.default_rng(s)).actuator
            for s in range(20)} == {4, 5}
    for robot in ("ant", "half_cheetah"):
        t = task_distribution(robot, TaskConfig(joints=(0,)), "friction", split="test").sample(np.random.default_rng(0))
        assert make_distribution(robot, "friction", "test").contains(t)
    with pytest.raises(ConfigError, match="split"):
        task_distribution("ant", ant, split="validation")
    with pytest.raises(ConfigError, match="'pier' is not a perturbation family of ant"):
        task_distribution("ant", ant, "pier")
    with pytest.raises(ConfigError, match="strength_range"):
        task_distribution("ant", dataclasses.replace(ant, strength_range=(0.2, 0.5)))


@pytest.mark.parametrize("planner", ["mppi", "casadi"])
def test_controller_runs_on_the_ant(tmp_path, planner):
    from sim.ant import AntEnv
    from sim.perturbations import CrippledAntLeg

    env = AntEnv(CrippledAntLeg(leg=1))
    obs, _ = env.reset(seed=0)
    g = torch.Generator().manual_seed(0)
    o = torch.as_tensor(obs, dtype=torch.float32) + 0.1 * torch.randn(100, 27, generator=g)
    a = torch.rand(100, 8, generator=g) * 2 - 1
    m = MLPDynamics(27, 8, (16, 16))
    seeded_init(m, 0)
    m.normalizer.fit(o, a, o + 0.05 * torch.randn(100, 27, generator=g))
    path = tmp_path / "ant.pt"
    save_checkpoint(path, m, robot="ant", kind="grbal", inner_lr=0.01)
    ckpt = load_for_method("grbal", "ant", str(path))
    cfg = PlannerConfig(type=planner, samples=64, horizon=5, max_solver_iterations=5)
    # an untrained toy model: its residuals are far beyond any bound, so the guard is off here
    ctrl = build_controller(ckpt, "ant", cfg, ControllerConfig(threads=1, guard=GuardConfig(enabled=False)))
    for _ in range(3):
        u = ctrl.step(obs)
        assert u.shape == (8,) and np.all(np.isfinite(u)) and np.all(np.abs(u) <= 1.0)
        obs, *_ = env.step(u)
    assert any(not torch.equal(ctrl.params[k], ctrl.prior[k]) for k in ctrl.prior)  # it adapted


def test_adapted_steps_plans_with_the_adapted_model_only_for_the_first_calls():
    """controller.adapted_steps: 0 plans with the prior alone (grbal_prior's actions), as many as the plan
    has calls is GrBAL's rule (grbal's actions), and in between the plan mixes the two."""
    from adaptive_control.build import experiment_config
    from adaptive_control.config import ConfigError, ExperimentConfig
    from robot_bridge.mujoco_backend import run_episode

    planner = PlannerConfig(samples=32, horizon=4, step_ticks=3, seed=0)

    def actions(method, steps=None):
        ckpt = load_for_method(method, "half_cheetah")
        ctrl = build_controller(ckpt, "half_cheetah", planner,
                                ControllerConfig(method=method, threads=1, adapted_steps=steps))
        calls = []
        inner = ctrl.planner.dynamics

        def counting(s, a):
            out = inner(s, a)
            calls.append(ctrl._calls)  # this call's place in its plan (1 = the first)
            return out

        ctrl.planner.dynamics = counting
        res = run_episode(HalfCheetahEnv(), ctrl, 30, seed=3, task=CrippledLeg(4), record=True)
        return np.asarray(res.transitions[1]), calls

    prior, _ = actions("grbal_prior")
    full, _ = actions("grbal")
    none_adapted, _ = actions("grbal", 0)
    all_adapted, calls = actions("grbal", 4)
    mixed, _ = actions("grbal", 1)
    np.testing.assert_array_equal(none_adapted, prior)
    np.testing.assert_array_equal(all_adapted, full)
    assert not np.array_equal(prior, full)  # the step changes the plans at all
    assert not np.array_equal(mixed, full) and not np.array_equal(mixed, prior)
    assert max(calls) == 4 and calls.count(1) == 30  # a block model of 3 ticks: 4 calls a plan, counted per plan
    with pytest.raises(ConfigError, match="adapted_steps"):
        ControllerConfig(method="rebal", adapted_steps=2).validate()
    with pytest.raises(ConfigError, match="adapted_steps"):
        ControllerConfig(adapted_steps=-1).validate()
    with pytest.raises(ConfigError, match="casadi"):
        ExperimentConfig(planner=PlannerConfig(type="casadi"), controller=ControllerConfig(adapted_steps=1)).validate()
    # shipped: the half-cheetah adapts the first 3 calls of a plan, the ant the whole plan (README suite)
    assert experiment_config("half_cheetah").controller.adapted_steps == 3
    assert experiment_config("ant").controller.adapted_steps is None



def test_sample_budget_applies_to_real_time_mppi_only():
    import dataclasses

    from adaptive_control.build import build_controller, experiment_config, load_for_method

    cfg = experiment_config("half_cheetah")
    planner = dataclasses.replace(cfg.planner, samples=120, horizon=2)
    ckpt = load_for_method("grbal", "half_cheetah")
    for deadline, kind, expected in ((50.0, "mppi", 7.0), (None, "mppi", None), (50.0, "cem", None)):
        ctrl_cfg = dataclasses.replace(cfg.controller, plan_budget_ms=7.0, deadline_ms=deadline,
                                       adapted_steps=None if kind == "cem" else cfg.controller.adapted_steps)
        ctrl = build_controller(ckpt, "half_cheetah", dataclasses.replace(planner, type=kind), ctrl_cfg)
        try:
            assert (None if ctrl.sample_budget is None else ctrl.sample_budget.budget_ms) == expected
        finally:
            ctrl.close()
