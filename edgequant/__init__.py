"""edgequant: TFLite post-training quantization in Python on NumPy, without TensorFlow."""

from __future__ import annotations

from .errors import (CalibrationError, ConversionError, EdgeQuantError, ModelFormatError,
                     UnsupportedOpError)
from .ir import Model, Operator, QuantParams, SignatureDef, Subgraph, Tensor
from .tflite_io import load, save, to_bytes

__version__ = "0.1.0"

__all__ = [
    "CalibrationError", "ConversionError", "EdgeQuantError", "Model", "ModelFormatError",
    "Operator", "QuantParams", "SignatureDef", "Subgraph", "Tensor", "UnsupportedOpError",
    "load", "save", "to_bytes",
]
