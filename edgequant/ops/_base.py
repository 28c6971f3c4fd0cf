"""What every op file shares: the kernel context, fused activations, and test examples.

An op file ``edgequant/ops/<builtin_lower_snake>.py`` defines:

* ``OP``: the TFLite builtin name it implements ('CONV_2D').
* ``run_float(ctx, *inputs)``: the float kernel (also used for int32/bool/shape tensors, which
  TFLite computes exactly). Inputs come positionally, None for an omitted optional input;
  it returns one array or a tuple of arrays (one per output). Options are ``ctx.options``
  (the dict ``schema.decode_options`` produces: snake_case keys, enums by name).
* ``EXAMPLES``: ``Example`` objects, or functions ``rng -> Example``, that the generic op test
  builds into single-op models and runs in edgequant and in LiteRT.

Kernels compute in float32 (like LiteRT's reference kernels) and never loop per pixel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Union

import numpy as np

if TYPE_CHECKING:
    from ..interpreter import Runner
    from ..ir import Operator, Subgraph


@dataclass
class OpContext:
    """Per-op view the interpreter hands to a kernel."""

    op: "Operator"
    runner: "Runner"
    # Cache a kernel may fill with values derived from constants (a reshaped filter, a LUT);
    # it lives as long as the interpreter's plan.
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def options(self) -> dict[str, Any]:
        return self.op.options

    def run_subgraph(self, sg: "Subgraph", inputs: list[np.ndarray]) -> list[np.ndarray]:
        return self.runner.run_subgraph(sg, inputs)

    def output_dtype(self, i: int = 0) -> np.dtype:
        t = self.op.outputs[i]
        dt = t.np_dtype
        if dt is None:
            raise TypeError(f"{self.op.type}: output {t.name!r} has dtype {t.dtype}")
        return dt


def fused_activation(x: np.ndarray, act: str | int) -> np.ndarray:
    """Apply a TFLite fused activation (ActivationFunctionType) to a float result."""
    if act in ("NONE", 0):
        return x
    if act in ("RELU", 1):
        return np.maximum(x, 0, dtype=x.dtype)
    if act in ("RELU_N1_TO_1", 2):
        return np.clip(x, -1, 1).astype(x.dtype, copy=False)
    if act in ("RELU6", 3):
        return np.clip(x, 0, 6).astype(x.dtype, copy=False)
    if act in ("TANH", 4):
        return np.tanh(x).astype(x.dtype, copy=False)
    if act in ("SIGN_BIT", 5):
        return np.signbit(x).astype(x.dtype)
    raise ValueError(f"unknown fused activation {act!r}")


@dataclass
class Const:
    """An example input that is a constant tensor in the model (weights, shapes, axes)."""

    value: np.ndarray


@dataclass
class Example:
    """A single-op test case. ``inputs``: arrays fed at run time, ``Const`` for constant
    tensors, None for an omitted optional input. ``output_dtypes`` names the output dtypes
    when they are not the first input's (comparisons -> 'bool', ARG_MAX -> 'int32');
    ``num_outputs`` for multi-output ops; ``rtol``/``atol`` loosen the float comparison for
    transcendental ops."""

    inputs: list[Union[np.ndarray, Const, None]]
    options: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    output_dtypes: list[str] | None = None
    num_outputs: int = 1
    rtol: float = 1e-5
    atol: float = 1e-6
    # Extra subgraphs (control flow): appended after the main subgraph, in this order.
    subgraphs: list[Any] = field(default_factory=list)
    # Quantization of the op's tensors, keyed 'in<i>' / 'out<i>': (scale, zero_point) for
    # per-tensor, or (scales, zero_points, axis) for per-axis parameters.
    quant: dict[str, tuple] = field(default_factory=dict)
    # Inputs written as variable tensors (is_variable, no buffer, not fed). LiteRT starts them
    # at zero (LSTM state), so their example arrays must be zeros and only give the shape.
    variables: tuple[int, ...] = ()


ExampleLike = Union[Example, Callable[[np.random.Generator], Example]]


def randn(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)
