"""The project's import graph: no cycles, layers respected, heavy imports only where they belong.

Every ``import`` statement of every project module is read with ``ast`` (function-level imports
included: a lazy import is still a dependency), so the test needs none of the imported packages.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("adaptive_control", "models", "planners", "sim", "robot_bridge")
LEAVES = ("models", "planners", "sim")
#: adaptive_control's modules below robot_bridge; the rest of adaptive_control (collect, the
#: experiments, the CLI) drives robots and sits above it.
CORE = ("adaptive_control", "adaptive_control.config", "adaptive_control.controller", "adaptive_control.deadline",
        "adaptive_control.build",
        "adaptive_control.training", "adaptive_control.casadi_planner", "adaptive_control.reference")
ROS = ("rclpy", "rcl_interfaces", "sensor_msgs", "nav_msgs", "std_msgs", "diagnostic_msgs", "geometry_msgs",
       "builtin_interfaces")
MUJOCO = ("mujoco", "dm_control")


def project_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the five packages."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def imports_of(path: Path, module: str, known: set[str]) -> tuple[set[str], set[str]]:
    """(project modules, top-level third-party names) that ``path`` imports anywhere in its body."""
    project, external = set(), set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # ``from pkg import sub`` imports the submodule when there is one
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PACKAGES:
                while name not in known and "." in name:
                    name = name.rpartition(".")[0]
                if name in known and name != module:
                    project.add(name)
            else:
                external.add(name.split(".")[0])
    return project, external


def import_graph():
    mods = project_modules()
    known = set(mods)
    graph, external = {}, {}
    for name, path in mods.items():
        graph[name], external[name] = imports_of(path, name, known)
    return graph, external, mods


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def layer(module: str) -> int:
    top = module.split(".")[0]
    if top in LEAVES:
        return 0
    if module in CORE:
        return 1
    if top == "robot_bridge":
        return 2
    return 3  # adaptive_control's entry points: collect, experiments, cli


def test_cycle_finder_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph, _, _ = import_graph()
    assert len(graph) > 40  # the walk found the project
    assert find_cycles(graph) == []


def test_layers():
    graph, _, _ = import_graph()
    broken = []
    for mod, deps in graph.items():
        for dep in deps:
            top, dep_top = mod.split(".")[0], dep.split(".")[0]
            if top in LEAVES and dep_top != top:
                broken.append(f"{mod} -> {dep} (a leaf imports only itself)")
            elif layer(dep) > layer(mod):
                broken.append(f"{mod} (layer {layer(mod)}) -> {dep} (layer {layer(dep)})")
    assert broken == []


def test_ros_and_mujoco_only_where_allowed():
    _, external, mods = import_graph()
    wrong = []
    for mod, names in external.items():
        file = mods[mod].name
        ros_ok = mod.startswith("robot_bridge.") and (file.endswith("_node.py") or file == "node_params.py")
        wrong += [f"{mod} imports {n}" for n in names & set(ROS) if not ros_ok]
        wrong += [f"{mod} imports {n}" for n in names & set(MUJOCO) if not mod.startswith("sim")]
    assert wrong == []
    # and the node modules do import rclpy (the check above is not vacuous)
    assert "rclpy" in external["robot_bridge.controller_node"]
    assert "mujoco" in external["sim.mujoco_env"]


def test_bridge_core_imports_without_ros():
    """The ROS-free core of the bridge loads (and ``import robot_bridge`` stays light) with no rclpy."""
    code = ("import sys\n"
            "import robot_bridge\n"
            "heavy = [m for m in ('torch', 'numpy', 'rclpy', 'mujoco') if m in sys.modules]\n"
            "assert not heavy, f'import robot_bridge loaded {heavy}'\n"
            "import robot_bridge.control_bridge, robot_bridge.node_cores, robot_bridge.mujoco_backend\n"
            "import robot_bridge.recording, robot_bridge.sil\n"
            "assert 'rclpy' not in sys.modules, 'the ROS-free core imported rclpy'\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr



def test_sim_imports_quietly_without_a_display():
    """Importing any robot module with no display and no MUJOCO_GL prints no GLFW/X11 warnings.

    dm_control probes GLFW when it is imported unless MUJOCO_GL is set; ``sim`` sets it to ``disable``
    before any of its modules imports dm_control, and leaves a user's own choice alone.
    """
    code = ("import os, sim.spec_env, sim.half_cheetah, sim.ant\n"
            "print(os.environ['MUJOCO_GL'])\n")
    env = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "DISPLAY", "PYOPENGL_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "disable"
    assert "GLFW" not in res.stderr and "DISPLAY" not in res.stderr, res.stderr
    res = subprocess.run([sys.executable, "-c", "import os, sim; print(os.environ['MUJOCO_GL'])"], cwd=ROOT,
                         env={**env, "MUJOCO_GL": "egl"}, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "egl", res.stderr
