"""ROS 2 parameters <-> the frozen settings dataclasses of ``robot_bridge.node_cores``; small helpers."""
from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import os
import tempfile
import typing

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.exceptions import ParameterUninitializedException
from rclpy.parameter import Parameter

from adaptive_control.config import ConfigError

_TYPES = {str: Parameter.Type.STRING, float: Parameter.Type.DOUBLE, int: Parameter.Type.INTEGER,
          bool: Parameter.Type.BOOL, tuple[str, ...]: Parameter.Type.STRING_ARRAY,
          tuple[float, ...]: Parameter.Type.DOUBLE_ARRAY}


def field_docs(cls) -> dict[str, str]:
    """The attribute docstrings of a dataclass (the string literal under each field)."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body
    docs = {}
    for prev, node in zip(body, body[1:]):
        if isinstance(prev, ast.AnnAssign) and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            docs[prev.target.id] = " ".join(str(node.value.value).split())
    return docs


def declare_dataclass(node, cls) -> None:
    """Declare one parameter per field of ``cls`` with its default, type and docstring.

    Numeric fields accept integers too (``control_rate: 100`` in YAML), so they are declared with
    dynamic typing and checked when read.
    """
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        numeric = hint in (float, tuple[float, ...])
        desc = ParameterDescriptor(description=docs.get(f.name, ""), dynamic_typing=numeric,
                                   type=0 if numeric else _TYPES[hint].value)
        default = f.default
        if isinstance(default, tuple) and not default:  # an empty array has no inferable type
            node.declare_parameter(f.name, None if numeric else _TYPES[hint], desc)
        else:
            node.declare_parameter(f.name, list(default) if isinstance(default, tuple) else default, desc)


def _convert(name: str, hint, value, default):
    if value is None:
        return default
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"parameter '{name}': expected a number, got {value!r}")
        return float(value)
    if hint is tuple[float, ...]:
        vals = list(value) if isinstance(value, (list, tuple)) or hasattr(value, "tolist") else None
        if vals is None or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in vals):
            raise ConfigError(f"parameter '{name}': expected a list of numbers, got {value!r}")
        return tuple(float(v) for v in vals)
    if hint is tuple[str, ...]:
        return tuple(value)
    return value


def read_dataclass(node, cls):
    """The parameters' current values as a ``cls`` instance (unset ones: the field's default)."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        try:
            v = node.get_parameter(f.name).value
        except ParameterUninitializedException:
            v = None
        values[f.name] = _convert(f.name, hints[f.name], v, f.default)
    return cls(**values)


def stamp_seconds(stamp) -> float:
    """A ``builtin_interfaces/Time`` as float seconds."""
    return stamp.sec + 1e-9 * stamp.nanosec


def write_json_atomic(path: str, obj) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (temp file in the same folder, then rename)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=1)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
