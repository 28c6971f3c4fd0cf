"""Shared helpers for elementwise binary ops (ADD, SUB, MUL, DIV, ...).

TFLite broadcasts NumPy-style (``reference_ops::BroadcastBinaryFunction``); kernels compute in
the input dtype (float32, or int32/int64 exactly) and apply the fused activation after.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._base import OpContext, fused_activation


def check_broadcast(op: str, a: np.ndarray, b: np.ndarray) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {list(a.shape)} and {list(b.shape)} do not broadcast")\
            from None


def binary(ctx: OpContext, a: np.ndarray, b: np.ndarray,
           fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    check_broadcast(ctx.op.type, a, b)
    out = fn(a, b)
    if out.dtype != a.dtype:
        out = out.astype(a.dtype)
    act = ctx.options.get("fused_activation_function", "NONE")
    return fused_activation(out, act) if out.dtype.kind == "f" else out
