"""Property-based tests (hypothesis) of the parts that stand between input and actuators (issue 12).

Real parts: the shipped half-cheetah checkpoint, the real controller and bridge core, the real
config and checkpoint loaders. Profiles (``tests/conftest.py``): ``fast`` (the default, in
``make test``) and ``long`` (>= 10,000 cases per property: ``bench/properties.py``). Every profile
is derandomized (the same cases every run). Each property counts its cases in ``CASES`` (the long
profile reports them).
"""
import collections
import io
import json
import math
import os

import numpy as np
import pytest
import torch
import yaml
from hypothesis import given
from hypothesis import strategies as st

from adaptive_control.config import ConfigError, ExperimentConfig, config_from_dict, to_dict
from adaptive_control.controller import InvalidObservation
from models.checkpoint import CheckpointError, load_checkpoint
from robot_bridge.control_bridge import LayoutError, ObservationLayout, odom_fields
from robot_bridge.node_cores import ControllerNodeConfig, build_bridge

CASES: collections.Counter = collections.Counter()

LAUNCH = yaml.safe_load(open("launch/half_cheetah_controller.yaml"))["adaptive_controller"]["ros__parameters"]
JOINTS = tuple(LAUNCH["joints"])
ODOM_KEYS = ("x", "y", "z", "qw", "qx", "qy", "qz", "roll", "pitch", "yaw", "vx", "vy", "vz", "wx", "wy", "wz")

# any float, with the awkward ones often: NaN, +-inf, huge, tiny, and float32-overflowing finite values
floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e39, -1e39, 1e308]),
                   st.floats(-5, 5))


@pytest.fixture(scope="module", autouse=True)
def _report_cases():
    """With ``AC_PROPERTY_JSON`` set (bench/properties.py), write the case counts there at the end."""
    yield
    path = os.environ.get("AC_PROPERTY_JSON")
    if path:
        from models.dataset import atomic_write

        atomic_write(path, lambda fh: fh.write(json.dumps(dict(CASES), indent=1).encode()))


@pytest.fixture(scope="module")
def bridge():
    """The real bridge core on the shipped grbal checkpoint (a small plan: many cases per second)."""
    cfg = ControllerNodeConfig(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in LAUNCH.items()
                                  if k in ControllerNodeConfig.__dataclass_fields__})
    import dataclasses

    cfg = dataclasses.replace(cfg, samples=16, horizon=2)
    return build_bridge(cfg, realtime=False)


def _good_state(rng):
    pos = rng.normal(0, 0.3, len(JOINTS))
    vel = rng.normal(0, 2.0, len(JOINTS))
    odom = odom_fields((0, 0, 0.7 + rng.normal(0, 0.05)), (1.0, 0.0, 0.0, 0.0), (rng.normal(1, 0.5), 0, 0), (0, 0, 0))
    return pos, vel, odom


message = st.fixed_dictionaries({
    # names: the real joints reordered, some dropped, duplicated or unknown ones added
    "names": st.lists(st.sampled_from(JOINTS + ("extra", "wheel")), min_size=0, max_size=9),
    "pos": st.lists(floats, min_size=0, max_size=9),
    "vel": st.lists(floats, min_size=0, max_size=9),
    "odom": st.one_of(st.none(), st.dictionaries(st.sampled_from(ODOM_KEYS), floats)),
    "good": st.booleans(),  # a well-formed state (joints by name, in a shuffled order) instead
    "seed": st.integers(0, 2**16),
    "dt": st.sampled_from([0.0, 0.01, 0.01, 0.2]),  # 0.2 s: stale
})


@given(st.lists(message, min_size=1, max_size=6))
def test_bridge_commands_are_finite_and_within_limits_whatever_the_state(bridge, msgs):
    CASES["bridge"] += 1
    bridge.controller.reset()
    now = 0.0
    for m in msgs:
        now += m["dt"]
        if m["good"]:
            rng = np.random.default_rng(m["seed"])
            pos, vel, odom = _good_state(rng)
            order = rng.permutation(len(JOINTS))
            bridge.on_joint_state([JOINTS[i] for i in order], pos[order], vel[order], now, now)
            bridge.on_odom(odom, now, now)
        else:
            bridge.on_joint_state(m["names"], m["pos"], m["vel"], now, now)
            if m["odom"] is not None:
                bridge.on_odom(m["odom"], now, now)
        before = bridge.stats.safe_ticks
        cmd = bridge.tick(now + 0.001)
        assert cmd.shape == (len(JOINTS),)
        assert np.all(np.isfinite(cmd)) and np.all(cmd >= bridge.low) and np.all(cmd <= bridge.high)
        if bridge.stats.safe_ticks > before:  # a bad state: the safe command, and a reason for it
            assert np.array_equal(cmd, bridge.safe) and bridge.trouble


@given(st.lists(st.one_of(st.lists(floats, min_size=17, max_size=17), st.lists(floats, min_size=0, max_size=20),
                          st.integers(0, 2**16)), min_size=1, max_size=5))
def test_controller_actions_are_finite_within_limits_or_the_input_is_refused(bridge, observations):
    CASES["controller"] += 1
    ctrl = bridge.controller
    ctrl.reset()
    for o in observations:
        if isinstance(o, int):  # a plausible observation
            o = list(np.random.default_rng(o).normal(0, 0.5, 17))
        arr = np.asarray(o, dtype=np.float64)
        ok = arr.shape == (17,) and np.all(np.isfinite(arr)) and np.all(np.abs(arr) <= np.finfo(np.float32).max)
        if not ok:
            with pytest.raises(InvalidObservation) as err:
                ctrl.step(arr)
            assert "observation" in str(err.value)
            continue
        u = ctrl.step(arr)
        assert u.shape == (6,) and np.all(np.isfinite(u)) and np.all(np.abs(u) <= 1.0)


names = st.one_of(st.sampled_from(["odom.z", "odom.vx", "odom.pitch", "a.position", "b.velocity", "odom.bad",
                                   "a.torque", "plain", ".position", "odom."]), st.text(max_size=12))


@given(st.lists(names, max_size=6), st.one_of(st.just(()), st.lists(floats, max_size=6)))
def test_observation_layout_is_valid_or_a_clear_error(entries, offsets):
    CASES["layout"] += 1
    try:
        layout = ObservationLayout(tuple(entries), tuple(offsets))
    except LayoutError as exc:
        assert str(exc)
        return
    assert len(set(layout.entries)) == len(layout.entries) and layout.entries
    for e in layout.entries:
        src, _, what = e.rpartition(".")
        assert src and (what in ODOM_KEYS if src == "odom" else what in ("position", "velocity"))


# -- config -------------------------------------------------------------------------------------
SECTIONS = {f: list(v) for f, v in to_dict(ExperimentConfig()).items()}
yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), floats, st.text(max_size=8),
              st.sampled_from(["mppi", "cem", "grbal", "mb", "half_cheetah", "ant", "all", "crippled_leg", "bfloat16"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)


@st.composite
def config_docs(draw):
    doc = {}
    for section in draw(st.lists(st.sampled_from(list(SECTIONS) + ["planer", "extra"]), max_size=4, unique=True)):
        keys = SECTIONS.get(section, []) + ["typo_key"]
        doc[section] = draw(st.one_of(yaml_values, st.dictionaries(st.sampled_from(keys), yaml_values, max_size=4)))
    return doc


@given(config_docs())
def test_config_loads_validated_or_fails_naming_the_key_and_file(doc):
    CASES["config"] += 1
    try:
        cfg = config_from_dict(doc, source="props.yaml")
    except ConfigError as exc:
        msg = str(exc)
        assert msg.startswith("props.yaml: ")
        named = [s for s in doc if s in msg] + [k for v in doc.values() if isinstance(v, dict) for k in v if k in msg]
        assert named or "top level" in msg, msg
        return
    cfg.validate()  # whatever loads is valid, and holds only finite numbers
    for section in to_dict(cfg).values():
        for v in section.values():
            for x in (v if isinstance(v, list) else [v]):
                assert not isinstance(x, float) or math.isfinite(x)


# -- checkpoints --------------------------------------------------------------------------------
SHIPPED = "adaptive_control/assets/half_cheetah/mb.pt"
with open(SHIPPED, "rb") as _fh:
    SHIPPED_BYTES = _fh.read()
PAYLOAD = torch.load(io.BytesIO(SHIPPED_BYTES), weights_only=True)
torch_values = st.one_of(yaml_values, st.sampled_from([torch.zeros(3), torch.full((17,), float("nan")), torch.ones(2, 2)]))


TENSORS = {"zeros3": torch.zeros(3), "nan17": torch.full((17,), float("nan")), "ones2x2": torch.ones(2, 2)}
torch_values = st.one_of(yaml_values, st.sampled_from(sorted(TENSORS)).map(lambda k: ("tensor", k)))
# a recipe for a damaged file (small, so a failing case prints readably); the bytes are built from it
recipes = st.one_of(
    st.tuples(st.just("truncated"), st.integers(0, len(SHIPPED_BYTES) - 1)),
    st.tuples(st.just("flipped"), st.lists(st.tuples(st.integers(0, len(SHIPPED_BYTES) - 1), st.integers(1, 255)),
                                           min_size=1, max_size=4)),
    st.tuples(st.just("bytes"), st.binary(max_size=64)),
    st.tuples(st.just("payload"), st.sampled_from(sorted(PAYLOAD) + ["state_dict", "model_spec.hidden_sizes"]),
              st.sampled_from(sorted(PAYLOAD["state_dict"])), torch_values),
)


def build_file(recipe) -> bytes:
    kind = recipe[0]
    if kind == "truncated":
        return SHIPPED_BYTES[:recipe[1]]
    if kind == "flipped":
        data = bytearray(SHIPPED_BYTES)
        for i, x in recipe[1]:
            data[i] ^= x
        return bytes(data)
    if kind == "bytes":
        return recipe[1]
    _, key, tensor_name, value = recipe
    if isinstance(value, tuple) and value and value[0] == "tensor":
        value = TENSORS[value[1]]
    payload = dict(PAYLOAD)
    if key == "state_dict":  # one weight replaced (by a tensor of another shape, or NaN)
        sd = dict(payload["state_dict"])
        sd[tensor_name] = value if isinstance(value, torch.Tensor) else sd[tensor_name] * float("nan")
        payload["state_dict"] = sd
    elif key == "model_spec.hidden_sizes":
        payload["model_spec"] = {**payload["model_spec"], "hidden_sizes": value}
    else:
        payload[key] = value
    buf = io.BytesIO()
    torch.save(payload, buf)
    return buf.getvalue()


@given(recipes)
def test_checkpoint_loads_whole_or_fails_with_a_checkpoint_error(tmp_path_factory, recipe):
    CASES["checkpoint"] += 1
    path = tmp_path_factory.mktemp("ck") / "c.pt"
    path.write_bytes(build_file(recipe))
    try:
        ck = load_checkpoint(path, robot="half_cheetah", obs_size=17, action_size=6)
    except CheckpointError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    # whatever loads is usable: finite weights of the right sizes
    assert ck.model.obs_size == 17 and ck.model.action_size == 6 * ck.ticks
    out = ck.model.predict_next(ck.model.params(), torch.zeros(2, 17), torch.zeros(2, 6 * ck.ticks))
    assert out.shape == (2, 17) and bool(torch.all(torch.isfinite(out)))
