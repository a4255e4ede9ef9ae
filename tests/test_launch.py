"""The launch files, read statically (``ros2 launch`` is not installable here), and ``colcon build``."""
import ast
import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from robot_bridge.node_cores import ControllerNodeConfig, SimNodeConfig

ROOT = Path(__file__).resolve().parent.parent
LAUNCH = ROOT / "launch"
NODE_PARAMS = {
    "adaptive_controller_node": {f.name for f in dataclasses.fields(ControllerNodeConfig)} | {"autostart"},
    "mujoco_sim_node": {f.name for f in dataclasses.fields(SimNodeConfig)} | {"command_topic"},
}


def console_scripts() -> dict:
    tree = ast.parse((ROOT / "setup.py").read_text())
    scripts = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.match(r"^[\w-]+ = [\w.]+:\w+$", node.value):
            name, target = node.value.split(" = ")
            scripts[name] = target
    return scripts


def _kw(call: ast.Call) -> dict:
    return {k.arg: k.value for k in call.keywords}


def _calls(tree, name):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def _yaml_default(expr) -> str | None:
    """``os.path.join(share, "launch", "x.yaml")`` -> ``x.yaml``."""
    if isinstance(expr, ast.Call) and getattr(expr.func, "attr", None) == "join":
        parts = [a.value for a in expr.args if isinstance(a, ast.Constant)]
        if parts and parts[0] == "launch":
            return parts[-1]
    return None


@pytest.mark.parametrize("path", sorted(LAUNCH.glob("*.launch.py")), ids=lambda p: p.name)
def test_launch_file_names_only_things_that_exist(path):
    tree = ast.parse(path.read_text())
    assert any(isinstance(n, ast.FunctionDef) and n.name == "generate_launch_description" for n in tree.body)
    declared = {}
    for call in _calls(tree, "DeclareLaunchArgument"):
        name = call.args[0].value
        declared[name] = _kw(call).get("default_value")
        assert "description" in _kw(call), f"argument {name} has no description"
    used = {c.args[0].value for c in _calls(tree, "LaunchConfiguration")}
    assert used <= set(declared), f"undeclared launch arguments {used - set(declared)}"
    assert {"checkpoint", "namespace"} <= set(declared)
    scripts = console_scripts()
    nodes = _calls(tree, "Node")
    assert nodes
    for node in nodes:
        kw = _kw(node)
        assert kw["package"].value == "adaptive_control"
        exe = kw["executable"].value
        assert exe in scripts and exe in NODE_PARAMS, f"{exe} is not a console script of setup.py"
        name = kw["name"].value
        for p in kw["parameters"].elts:
            if isinstance(p, ast.Call):  # LaunchConfiguration("...") -> its default YAML file
                fname = _yaml_default(declared[p.args[0].value])
                assert fname is not None
                data = yaml.safe_load((LAUNCH / fname).read_text())
                assert name in data, f"{fname} has no section for node {name}"
                keys = set(data[name]["ros__parameters"])
                assert keys <= NODE_PARAMS[exe], f"{fname}: unknown parameters {keys - NODE_PARAMS[exe]}"
            elif isinstance(p, ast.Dict):
                assert {k.value for k in p.keys} <= NODE_PARAMS[exe]


def test_every_launch_yaml_parses_with_known_node_sections():
    names = {"adaptive_controller": NODE_PARAMS["adaptive_controller_node"], "mujoco_sim": NODE_PARAMS["mujoco_sim_node"]}
    files = sorted(LAUNCH.glob("*.yaml"))
    assert len(files) >= 3
    for f in files:
        data = yaml.safe_load(f.read_text())
        for node, section in data.items():
            assert node in names, f"{f.name}: unknown node {node}"
            unknown = set(section["ros__parameters"]) - names[node]
            assert not unknown, f"{f.name}: unknown parameters {unknown}"


def test_setup_installs_launch_files_and_node_scripts():
    text = (ROOT / "setup.py").read_text()
    assert 'glob("launch/*.launch.py") + glob("launch/*.yaml")' in text
    scripts = console_scripts()
    for exe, target in scripts.items():
        module, func = target.split(":")
        assert (ROOT / (module.replace(".", "/") + ".py")).exists(), target
    assert {"adaptive_controller_node", "mujoco_sim_node", "adaptive-control"} <= set(scripts)


def test_colcon_build_of_the_repo(tmp_path):
    colcon = shutil.which("colcon", path=os.path.dirname(sys.executable)) or shutil.which("colcon")
    assert colcon, "colcon is part of the test extra"
    src = tmp_path / "src" / "adaptive_control"
    ignore = shutil.ignore_patterns(".venv", ".git", "runs", "out", "build", "install", "log", "__pycache__", "*.egg-info")
    shutil.copytree(ROOT, src, ignore=ignore)
    proc = subprocess.run([colcon, "build", "--base-paths", "src"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    install = tmp_path / "install" / "adaptive_control"
    share = install / "share" / "adaptive_control"
    assert (share / "package.xml").exists()
    assert (share / "launch" / "sim_in_the_loop.launch.py").exists() and (share / "launch" / "half_cheetah_controller.yaml").exists()
    assert (install / "share" / "ament_index" / "resource_index" / "packages" / "adaptive_control").exists()
    for exe in ("adaptive_controller_node", "mujoco_sim_node"):  # where `ros2 run` / launch look
        assert (install / "lib" / "adaptive_control" / exe).exists()
