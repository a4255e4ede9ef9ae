import pytest

from adaptive_control.build import default_config_path
from adaptive_control.config import ConfigError, ExperimentConfig, config_from_dict, load_config, to_dict


def write(tmp_path, text):
    p = tmp_path / "exp.yaml"
    p.write_text(text)
    return p


def test_shipped_config_loads_and_round_trips():
    cfg = load_config(default_config_path("half_cheetah"))
    assert cfg.robot.name == "half_cheetah"
    assert config_from_dict(to_dict(cfg)) == cfg


def test_typo_in_key_is_rejected_with_key_and_file(tmp_path):
    p = write(tmp_path, "planner:\n  horizn: 12\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert "planner.horizn" in str(err.value) and str(p) in str(err.value)
    assert "horizon" in str(err.value)  # the valid keys are listed


def test_unknown_section_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="'planer'"):
        load_config(write(tmp_path, "planer: {horizon: 3}\n"))


def test_wrong_type_and_range_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match="planner.samples"):
        load_config(write(tmp_path, "planner: {samples: many}\n"))
    with pytest.raises(ConfigError, match="samples"):
        load_config(write(tmp_path, "planner: {samples: 0}\n"))
    with pytest.raises(ConfigError, match="method"):
        load_config(write(tmp_path, "controller: {method: magic}\n"))
    with pytest.raises(ConfigError, match="strength_range"):
        load_config(write(tmp_path, "task: {strength_range: [0.5, 0.2]}\n"))
    with pytest.raises(ConfigError, match="step_ticks"):
        load_config(write(tmp_path, "planner: {step_ticks: 0}\n"))
    with pytest.raises(ConfigError, match="step_ticks"):
        load_config(write(tmp_path, "planner: {type: casadi, step_ticks: 3}\n"))
    assert load_config(write(tmp_path, "planner: {step_ticks: 3}\n")).planner.step_ticks == 3
    with pytest.raises(ConfigError, match="upright_weight"):
        load_config(write(tmp_path, "planner: {upright_weight: -1}\n"))
    with pytest.raises(ConfigError, match="keep_best"):
        load_config(write(tmp_path, "train: {keep_best: maybe}\n"))
    with pytest.raises(ConfigError, match="weight_average"):
        load_config(write(tmp_path, "train: {weight_average: 1.0}\n"))
    assert load_config(write(tmp_path, "train: {weight_average: 0.99}\n")).train.weight_average == 0.99


def test_elite_reuse_is_validated(tmp_path):
    p = write(tmp_path, "planner: {samples: 100, reuse_elites: 99}\n")
    with pytest.raises(ConfigError, match="reuse_elites") as err:
        load_config(p)
    assert str(p) in str(err.value)
    with pytest.raises(ConfigError, match="reuse_elites.*cem"):
        load_config(write(tmp_path, "planner: {type: cem, reuse_elites: 10}\n"))
    assert load_config(write(tmp_path, "planner: {samples: 250, reuse_elites: 25}\n")).planner.reuse_elites == 25


def test_configs_are_frozen():
    cfg = ExperimentConfig()
    with pytest.raises(Exception):
        cfg.planner.horizon = 3  # type: ignore[misc]


def test_partial_file_keeps_defaults(tmp_path):
    cfg = load_config(write(tmp_path, "planner: {horizon: 7}\n"))
    assert cfg.planner.horizon == 7 and cfg.planner.samples == ExperimentConfig().planner.samples


def test_ant_config_loads_and_round_trips():
    cfg = load_config(default_config_path("ant"))
    assert cfg.robot.name == "ant" and cfg.task.joints == (0, 1, 2)
    assert config_from_dict(to_dict(cfg)) == cfg


def test_every_perturbation_family_of_each_robot_is_accepted():
    from sim.tasks import FAMILIES

    for robot, families in FAMILIES.items():
        for family in families:
            cfg = config_from_dict({"robot": {"name": robot}, "task": {"perturbation": family, "joints": [0]}})
            assert cfg.task.perturbation == family


def test_perturbation_family_the_robot_lacks_is_rejected_with_key_and_file(tmp_path):
    p = write(tmp_path, "robot: {name: ant}\ntask: {perturbation: pier, joints: [0]}\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert "task.perturbation" in str(err.value) and "'pier'" in str(err.value) and str(p) in str(err.value)
    p = write(tmp_path, "task: {perturbation: earthquake}\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert "perturbation" in str(err.value) and "'earthquake'" in str(err.value) and str(p) in str(err.value)


def test_ant_leg_indices_and_strength_are_checked(tmp_path):
    p = write(tmp_path, "robot: {name: ant}\ntask: {joints: [0, 4]}\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert "task.joints" in str(err.value) and "[4]" in str(err.value) and str(p) in str(err.value)
    p = write(tmp_path, "robot: {name: ant}\ntask: {joints: [3], strength_range: [0.2, 0.5]}\n")
    with pytest.raises(ConfigError, match="task.strength_range"):
        load_config(p)
    with pytest.raises(ConfigError, match="task.joints"):
        load_config(write(tmp_path, "task: {joints: [6]}\n"))  # the cheetah has actuators 0-5
    with pytest.raises(ConfigError, match=r"robot.name: unknown robot 'hexapod' \(registered: ant, half_cheetah, walker"):
        load_config(write(tmp_path, "robot: {name: hexapod}\n"))


def test_plan_budget_is_validated(tmp_path):
    with pytest.raises(ConfigError, match="controller.plan_budget_ms"):
        load_config(write(tmp_path, "controller: {plan_budget_ms: 0}\n"))
    with pytest.raises(ConfigError, match="controller.plan_budget_ms.*'cem'"):
        load_config(write(tmp_path, "planner: {type: cem}\ncontroller: {plan_budget_ms: 6}\n"))
    with pytest.raises(ConfigError, match="controller.min_samples: 300 is more than planner.samples \\(200\\)"):
        load_config(write(tmp_path, "planner: {samples: 200}\ncontroller: {plan_budget_ms: 6, min_samples: 300}\n"))
    cfg = load_config(write(tmp_path, "controller: {plan_budget_ms: 6, min_samples: 150}\n"))
    assert (cfg.controller.plan_budget_ms, cfg.controller.min_samples) == (6, 150)
