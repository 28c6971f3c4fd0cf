"""``TFLiteConverter``: the tf.lite converter's API over edgequant's quantization stages.

Mode inference follows ``tflite/python/lite.py`` (``QuantizationMode``):
* no ``Optimize.DEFAULT`` -> float (the model is rewritten as is);
* DEFAULT and ``supported_types == [float16]`` -> float16 weights;
* DEFAULT, no representative dataset -> dynamic range (int8 weights, hybrid kernels); asking for
  integer-only ops or int8/uint8 I/O without a dataset is an error, as in TF;
* DEFAULT with a representative dataset -> full integer with float fallback, integer only
  (``TFLITE_BUILTINS_INT8`` alone, or ``supported_types == [int8]``), or 16x8
  (``EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8``).
"""

from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from . import dynamic_range
from .errors import ConversionError
from .ir import Model
from .tflite_io import load, to_bytes

log = logging.getLogger(__name__)


class Optimize(enum.Enum):
    DEFAULT = "DEFAULT"
    OPTIMIZE_FOR_SIZE = "OPTIMIZE_FOR_SIZE"  # deprecated aliases of DEFAULT in TF
    OPTIMIZE_FOR_LATENCY = "OPTIMIZE_FOR_LATENCY"
    EXPERIMENTAL_SPARSITY = "EXPERIMENTAL_SPARSITY"


class OpsSet(enum.Enum):
    TFLITE_BUILTINS = "TFLITE_BUILTINS"
    TFLITE_BUILTINS_INT8 = "TFLITE_BUILTINS_INT8"
    EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 = \
        "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8"
    SELECT_TF_OPS = "SELECT_TF_OPS"


def _dtype_name(t: Any) -> str:
    if isinstance(t, str):
        return str(np.dtype(t))
    name = getattr(t, "name", None)  # tf.DType-like objects
    if isinstance(name, str):
        return str(np.dtype(name))
    return str(np.dtype(t))


@dataclass
class TargetSpec:
    supported_ops: set = field(default_factory=lambda: {OpsSet.TFLITE_BUILTINS})
    supported_types: list = field(default_factory=list)
    experimental_select_user_tf_ops: list = field(default_factory=list)


MODES = ("float", "dynamic", "float16", "int8", "int8-only", "16x8")


class TFLiteConverter:
    """Mirror of ``tf.lite.TFLiteConverter`` for float ``.tflite`` models."""

    def __init__(self, model: Model):
        self._model = model
        self.optimizations: list = []
        self.representative_dataset: Callable[[], Iterable] | None = None
        self.target_spec = TargetSpec()
        self.inference_input_type: Any = np.float32
        self.inference_output_type: Any = np.float32
        # TF's per-channel switches (private attributes there, same names here).
        self._experimental_disable_per_channel = False
        self._experimental_disable_per_channel_quantization_for_dense_layers = False
        # edgequant extras.
        self.min_elements_for_weights = 1024
        self.dynamic_range_strategy = "auto"
        self.last_summary: dynamic_range.Summary | None = None
        # TF's bias-type switch for 16x8 (int64 default, int32 allowed).
        self._experimental_full_integer_quantization_bias_type: Any = None
        # Full-integer extras: calibration statistic ('minmax' as TF, or 'ema' as
        # ai-edge-quantizer), at most this many samples, a progress bar.
        self.calibration_statistic = "minmax"
        self.calibration_samples: int | None = None
        self.show_progress = False
        self.last_plan: Any = None
        # Selective quantization (names as in TF's QuantizationDebugger options): tensor names
        # whose producing ops stay float, and op types ('CONV_2D') that stay float.
        self.denylisted_nodes: list[str] = []
        self.denylisted_ops: list[str] = []

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "TFLiteConverter":
        return cls(load(path))

    @classmethod
    def from_bytes(cls, data: bytes) -> "TFLiteConverter":
        return cls(load(data))

    @classmethod
    def from_keras_model(cls, model: Any) -> "TFLiteConverter":
        """A Keras 3 model (Sequential or functional, any backend) or a ``.keras`` file path,
        lowered to float TFLite ops by edgequant itself (``edgequant.keras``): no TensorFlow."""
        from .keras import keras_to_model
        return cls(keras_to_model(model))

    @classmethod
    def from_saved_model(cls, saved_model_dir: str | os.PathLike,
                         signature_keys: list[str] | None = None,
                         tags: Any = None) -> "TFLiteConverter":
        """A TensorFlow SavedModel: TensorFlow (when installed) makes the float model, edgequant
        quantizes it. Without TensorFlow this raises ConversionError."""
        from .keras import float_tflite_from_saved_model
        return cls(load(float_tflite_from_saved_model(saved_model_dir, signature_keys, tags)))

    # -- mode inference ----------------------------------------------------------------------
    def _ops(self) -> set[str]:
        out = set()
        for o in self.target_spec.supported_ops:
            out.add(o.value if isinstance(o, OpsSet) else str(getattr(o, "name", o)))
        return out

    def mode(self) -> str:
        """The quantization mode TF would infer from these settings."""
        opts = {o.value if isinstance(o, Optimize) else str(getattr(o, "name", o))
                for o in self.optimizations}
        quantize = bool(opts & {"DEFAULT", "OPTIMIZE_FOR_SIZE", "OPTIMIZE_FOR_LATENCY"})
        ops = self._ops()
        types = [_dtype_name(t) for t in self.target_spec.supported_types]
        io = {_dtype_name(self.inference_input_type), _dtype_name(self.inference_output_type)}
        int16 = OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8.value in ops
        int8_only = (ops == {OpsSet.TFLITE_BUILTINS_INT8.value} or types == ["int8"])
        if not quantize:
            if io - {"float32"}:
                raise ConversionError("inference_input_type / inference_output_type other than "
                                      "float32 need full-integer quantization: set "
                                      "optimizations=[Optimize.DEFAULT] and a "
                                      "representative_dataset")
            return "float"
        if types == ["float16"]:
            return "float16"
        if self.representative_dataset is None:
            if int8_only or int16:
                raise ConversionError("For full integer quantization, a representative_dataset "
                                      "must be specified.")
            if io - {"float32"}:
                raise ConversionError("inference_input_type / inference_output_type other than "
                                      "float32 need a representative_dataset (full-integer "
                                      "quantization)")
            return "dynamic"
        if int16:
            return "16x8"
        return "int8-only" if int8_only else "int8"

    # -- conversion --------------------------------------------------------------------------
    def convert(self) -> bytes:
        mode = self.mode()
        model = self._model
        if mode == "dynamic":
            opts = dynamic_range.WeightOptions(
                min_elements=self.min_elements_for_weights,
                per_channel=not self._experimental_disable_per_channel,
                per_channel_dense=not self._experimental_disable_per_channel_quantization_for_dense_layers,  # noqa: E501
                strategy=self.dynamic_range_strategy,
                keep_float_ops=frozenset(str(o).upper() for o in self.denylisted_ops),
                keep_float_nodes=frozenset(self.denylisted_nodes))
            model, self.last_summary = dynamic_range.quantize_dynamic_range(
                _fresh_copy(model), opts)
        elif mode == "float16":
            model, self.last_summary = dynamic_range.quantize_float16(
                _fresh_copy(model), dynamic_range.WeightOptions(
                    keep_float_ops=frozenset(str(o).upper() for o in self.denylisted_ops),
                    keep_float_nodes=frozenset(self.denylisted_nodes)))
        elif mode != "float":
            model = self._full_integer(_fresh_copy(model), mode)
        return to_bytes(model)

    def _full_integer(self, model: Model, mode: str) -> Model:
        from .calibrate import calibrate
        from .plan import Config, make_plan
        from .rewrite import apply_plan, finish, set_io_types

        dynamic_range.check_not_quantized(model)
        int16 = mode == "16x8"
        in_t = _dtype_name(self.inference_input_type)
        out_t = _dtype_name(self.inference_output_type)
        allowed = {"float32", "int16"} if int16 else {"float32", "int8", "uint8"}
        for what, v in (("inference_input_type", in_t), ("inference_output_type", out_t)):
            if v not in allowed:
                raise ConversionError(f"{what} {v} is not supported in mode {mode}; use one of "
                                      f"{sorted(allowed)}")
        bias = self._experimental_full_integer_quantization_bias_type
        bias_name = None if bias is None else _dtype_name(bias)
        if bias_name not in (None, "int32", "int64") or (bias_name == "int64" and not int16):
            raise ConversionError(f"_experimental_full_integer_quantization_bias_type "
                                  f"{bias_name} is not valid here: int32 for int8, int32 or "
                                  "int64 for 16x8")
        fallback = (mode == "int8" or (int16 and OpsSet.TFLITE_BUILTINS.value in self._ops()))
        if int16:
            log.warning("16x8 models run 30-50x slower than float on LiteRT's CPU kernels "
                        "(no XNNPACK or optimized int16 kernels); use them for accuracy, "
                        "not speed")
        assert self.representative_dataset is not None
        stats = calibrate(model, self.representative_dataset,
                          statistic=self.calibration_statistic,
                          limit=self.calibration_samples, progress=self.show_progress,
                          total=self.calibration_samples)
        cfg = Config(act_dtype="int16" if int16 else "int8", fallback=fallback,
                     per_channel=not self._experimental_disable_per_channel,
                     per_channel_dense=not self._experimental_disable_per_channel_quantization_for_dense_layers,  # noqa: E501
                     bias_dtype=bias_name,
                     keep_float_ops=frozenset(str(o).upper() for o in self.denylisted_ops),
                     keep_float_nodes=frozenset(self.denylisted_nodes))
        try:
            plan = make_plan(model, stats, cfg)
        except ValueError as exc:
            raise ConversionError(str(exc)) from None
        self.last_plan = plan
        if not any(p.kind == "int" for p in plan.ops.values()):
            log.warning("full-integer quantization found no op it can run as integer; the "
                        "model stays float")
        apply_plan(model, plan)
        if in_t != "float32" or out_t != "float32":
            try:
                set_io_types(model, in_t, out_t)
            except ValueError as exc:
                raise ConversionError(str(exc)) from None
        return finish(model)


def _fresh_copy(model: Model) -> Model:
    """Rewrites work in place; give them their own copy so the converter can run again."""
    return load(to_bytes(model))
