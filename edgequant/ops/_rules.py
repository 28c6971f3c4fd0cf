"""The vocabulary an op file uses to declare how full-integer quantization treats its tensors.

An op file that LiteRT can run in int8 and/or 16x8 form declares ``QUANT = Quant(...)``; the
planner (``edgequant.plan``) reads nothing else about the op. The roles follow the TFLite
quantization spec (shared SPEC_NOTES §1-2; LiteRT
``converter/tools/optimize/operator_property.cc``):

* ``ACT``: an activation with its own calibrated range: asymmetric int8, or symmetric int16
  with zero point 0. A constant in this position (a constant ADD operand) is quantized the same
  way from its own values.
* ``SHARED``: the tensor must carry exactly the same scale and zero point as every other
  ``SHARED`` tensor of the op (inputs and outputs): RESHAPE, pools, CONCATENATION, PAD,
  MAXIMUM, ... The planner merges them into one group whose range covers all members.
* ``WEIGHT``: a constant, symmetric narrow-range int8 ([-127, 127], zero point 0), per axis
  along ``weight_axis`` (None: per tensor).
* ``BIAS``: a constant, int32 (int64 in 16x8 unless the int32 option is chosen) with zero point
  0 and scale = scale(input 0) x scale(weight) per channel.
* ``KEEP``: not quantized: int32 shapes, axes, indices, bool conditions.
* ``FIXED``: an output whose parameters are fixed by the kernel (``fixed[dtype]``).

``inputs`` gives one role per input position; an op with more inputs than roles (CONCATENATION,
PACK) repeats the last role. ``outputs`` gives one role used for every output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ..ir import Operator

ACT = "act"
SHARED = "shared"
WEIGHT = "weight"
BIAS = "bias"
KEEP = "keep"
FIXED = "fixed"

ROLES = (ACT, SHARED, WEIGHT, BIAS, KEEP, FIXED)


@dataclass(frozen=True)
class Quant:
    """Full-integer quantization rules of one op (see the module docstring)."""

    inputs: tuple[str, ...] = (ACT,)
    outputs: str = ACT
    # Which activation types LiteRT 2.3 has a kernel for.
    int8: bool = True
    int16: bool = True
    weight_axis: int | None = None
    # Fixed output parameters by activation dtype: {'int8': (1/256, -128), ...}.
    fixed: dict[str, tuple[float, int]] = field(default_factory=dict)
    # Extra per-op condition: returns why this op cannot be quantized to ``act_dtype`` (for
    # example an option the integer kernel rejects), or None when it can.
    check: Callable[["Operator", str], str | None] | None = None
    # Options the rewrite sets on the op when it is quantized, by activation dtype (ADD/SUB in
    # 16x8 get pot_scale_int16=False, as TF's quantizer writes them).
    set_options: dict[str, dict[str, object]] = field(default_factory=dict)

    def input_role(self, i: int) -> str:
        if not self.inputs:
            return KEEP
        return self.inputs[i] if i < len(self.inputs) else self.inputs[-1]

    def supports(self, act_dtype: str) -> bool:
        return self.int8 if act_dtype == "int8" else self.int16


# Common declarations.
ELEMENTWISE = Quant(inputs=(ACT,))
BINARY = Quant(inputs=(ACT, ACT))
# Byte-moving ops: data input 0 shares the output's parameters, the rest are shapes/axes.
MOVE = Quant(inputs=(SHARED, KEEP), outputs=SHARED)
