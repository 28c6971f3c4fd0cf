"""The host C math library, for the float math LiteRT takes from it.

LiteRT builds its activation lookup tables (``LUTPopulate`` in
tflite/kernels/internal/common.h: LOGISTIC, TANH, GELU, EXP, LOG, SOFTMAX's int16 tables) and
evaluates Eigen's scalar logistic in the hybrid LSTM (``std::exp``) with the platform libm's
``expf``, ``logf``, ``tanhf``, ``erfcf`` and ``exp``. Those are not correctly rounded, and
NumPy's own float32 transcendental functions are not glibc's: they differ in the last bit on a
fraction of inputs (``np.tanh`` against glibc's ``tanhf``: about a third of all float32
inputs, measured), enough to move a table entry that sits near a rounding boundary, and so to
break bit-exactness with LiteRT.

So this module finds the C math library once (``ctypes.util.find_library('m')``, then
``'c'``, then ``libm.so.6``) and calls it through ctypes, one element at a time. That is only
meant for tables and a handful of scalar values (a few thousand calls), never for a whole
activation tensor. Where no C library loads, each function falls back to NumPy in float64
rounded to the result type (erfc: ``edgequant.ops._nn.erfc``), within an ulp of libm but not
bit-exact with LiteRT.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

__all__ = ["available", "erfcf", "exp", "expf", "logf", "tanhf"]


@functools.cache
def _library() -> ctypes.CDLL | None:
    candidates = [ctypes.util.find_library("m"), ctypes.util.find_library("c"), "libm.so.6"]
    if sys.platform == "win32":
        candidates.append("ucrtbase")
    for path in candidates:
        if path:
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None


@functools.cache
def _function(name: str) -> Callable[[float], float] | None:
    """The C library's ``name`` (``...f``: float -> float, else double -> double), or None."""
    lib = _library()
    fn = getattr(lib, name, None) if lib is not None else None
    if fn is None:
        return None
    ctype = ctypes.c_float if name.endswith("f") else ctypes.c_double
    fn.restype = ctype
    fn.argtypes = [ctype]
    return fn


def available() -> bool:
    """Whether a C math library was loaded (else every function here is NumPy's)."""
    return _library() is not None


def _erfc64(x: np.ndarray) -> np.ndarray:
    from .ops._nn import erfc  # NumPy has no erfc; SciPy is not a dependency
    return erfc(x)


def _apply(name: str, x: npt.ArrayLike, dtype: type,
           fallback: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    x = np.asarray(x, dtype=dtype)
    fn = _function(name)
    if fn is None:
        with np.errstate(all="ignore"):
            return np.asarray(fallback(x.astype(np.float64))).astype(dtype)
    flat = x.ravel()
    # tolist() gives Python floats, exact for float32 and float64 values.
    out = np.fromiter(map(fn, flat.tolist()), dtype=dtype, count=flat.size)
    return out.reshape(x.shape)


def expf(x: npt.ArrayLike) -> np.ndarray:
    """C ``expf`` of every element, in float32."""
    return _apply("expf", x, np.float32, np.exp)


def logf(x: npt.ArrayLike) -> np.ndarray:
    """C ``logf`` of every element, in float32."""
    return _apply("logf", x, np.float32, np.log)


def tanhf(x: npt.ArrayLike) -> np.ndarray:
    """C ``tanhf`` of every element, in float32."""
    return _apply("tanhf", x, np.float32, np.tanh)


def erfcf(x: npt.ArrayLike) -> np.ndarray:
    """C ``erfcf`` of every element, in float32."""
    return _apply("erfcf", x, np.float32, _erfc64)


def exp(x: npt.ArrayLike) -> np.ndarray:
    """C ``exp`` (double) of every element, in float64."""
    return _apply("exp", x, np.float64, np.exp)
