"""`extends:` in experiment YAML: a file gives only what differs from another experiment."""
import dataclasses

import pytest

from adaptive_control.build import default_config_path
from adaptive_control.config import ConfigError, config_from_dict, load_config


def test_extends_shipped_experiment_changes_only_the_given_keys(tmp_path):
    p = tmp_path / "wd.yaml"
    p.write_text("extends: half_cheetah\ntrain:\n  weight_decay: 0.5\nmodel:\n  hidden_sizes: [256, 256, 256]\n")
    cfg = load_config(p)
    shipped = load_config(default_config_path("half_cheetah"))
    assert cfg.train.weight_decay == 0.5 and cfg.model.hidden_sizes == (256, 256, 256)
    expected = dataclasses.replace(
        shipped, train=dataclasses.replace(shipped.train, weight_decay=0.5),
        model=dataclasses.replace(shipped.model, hidden_sizes=(256, 256, 256)))
    assert cfg == expected  # every other key, in every section, is the shipped experiment's


def test_extends_a_relative_path_chains_and_later_files_win(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "base.yaml").write_text("planner:\n  horizon: 7\n  samples: 64\n")
    (tmp_path / "sub" / "mid.yaml").write_text("extends: ../base.yaml\nplanner:\n  samples: 32\n")
    top = tmp_path / "top.yaml"
    top.write_text("extends: sub/mid.yaml\nplanner:\n  temperature: 0.7\n")
    cfg = load_config(top)
    assert (cfg.planner.horizon, cfg.planner.samples, cfg.planner.temperature) == (7, 32, 0.7)


def test_extends_errors_name_the_file_with_the_bad_key(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("planner:\n  horizn: 7\n")
    top = tmp_path / "top.yaml"
    top.write_text("extends: base.yaml\nplanner:\n  samples: 32\n")
    with pytest.raises(ConfigError) as err:
        load_config(top)
    assert "planner.horizn" in str(err.value) and str(base) in str(err.value)
    base.write_text("planner:\n  horizon: 7\n")
    top.write_text("extends: base.yaml\ntrain:\n  weight_decy: 0.5\n")
    with pytest.raises(ConfigError) as err:
        load_config(top)
    assert "train.weight_decy" in str(err.value) and str(top) in str(err.value) and str(base) not in str(err.value)


def test_extends_rejects_cycles_missing_bases_and_unknown_robots(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("extends: b.yaml\n")
    b.write_text("extends: a.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_config(a)
    a.write_text("extends: missing.yaml\n")
    with pytest.raises(ConfigError, match="not found"):
        load_config(a)
    a.write_text("extends: hexapod\n")
    with pytest.raises(ConfigError, match="no shipped experiment for robot 'hexapod'"):
        load_config(a)
    a.write_text("extends: 3\n")
    with pytest.raises(ConfigError, match="extends"):
        load_config(a)
    with pytest.raises(ConfigError, match="files only"):
        config_from_dict({"extends": "half_cheetah"})


def test_merged_config_is_validated_as_a_whole(tmp_path):
    # each file alone is fine; together the CasADi planner meets adapted_steps, which it cannot take
    (tmp_path / "base.yaml").write_text("controller:\n  adapted_steps: 3\n")
    top = tmp_path / "top.yaml"
    top.write_text("extends: base.yaml\nplanner:\n  type: casadi\n")
    with pytest.raises(ConfigError, match="adapted_steps"):
        load_config(top)
