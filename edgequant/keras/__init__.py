"""Keras 3 frontend: lower a Keras model (in memory, on any backend, or a ``.keras`` file) to a
float TFLite model in edgequant's IR, with the ops TensorFlow's converter emits, without
TensorFlow. ``TFLiteConverter.from_keras_model`` is the public entry point.

``float_tflite_from_saved_model`` is the one place that uses TensorFlow, and only if it is
installed: a SavedModel is TF graphs that only TF can read.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConversionError
from ..ir import Model
from .lower import build_model
from .reader import read_keras_file, read_live_model

__all__ = ["build_model", "float_tflite_from_saved_model", "keras_to_model", "supported_layers"]


def supported_layers() -> list[str]:
    """The Keras layer class names the frontend lowers (aliases included)."""
    from .base import LOWERINGS
    return sorted(LOWERINGS)


def keras_to_model(model_or_path: Any) -> Model:
    """The float TFLite model (edgequant IR) of a Keras 3 model or ``.keras`` file path."""
    if isinstance(model_or_path, (str, os.PathLike)):
        cfg, weights = read_keras_file(model_or_path)
        return build_model(cfg, weights, os.fspath(model_or_path))
    if hasattr(model_or_path, "get_config") and hasattr(model_or_path, "layers"):
        cfg, weights = read_live_model(model_or_path)
        return build_model(cfg, weights, f"Keras model {getattr(model_or_path, 'name', '')!r}")
    raise ConversionError(f"from_keras_model takes a keras.Model or a path to a .keras file, "
                          f"got {type(model_or_path).__name__}")


def float_tflite_from_saved_model(path: str | os.PathLike,
                                  signature_keys: list[str] | None = None,
                                  tags: Any = None) -> bytes:
    """TensorFlow's float ``.tflite`` for a SavedModel (no optimizations), to be quantized by
    edgequant. Needs TensorFlow."""
    try:
        import tensorflow as tf
    except ImportError:
        raise ConversionError(
            f"{os.fspath(path)}: converting a TensorFlow SavedModel needs TensorFlow (pip "
            "install tensorflow); edgequant reads .keras files and in-memory Keras models "
            "without it (TFLiteConverter.from_keras_model), and float .tflite files with "
            "TFLiteConverter.from_file") from None
    kwargs: dict[str, Any] = {}
    if signature_keys is not None:
        kwargs["signature_keys"] = signature_keys
    if tags is not None:
        kwargs["tags"] = tags
    conv = tf.lite.TFLiteConverter.from_saved_model(os.fspath(path), **kwargs)
    return bytes(conv.convert())
