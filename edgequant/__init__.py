"""edgequant: TFLite post-training quantization in Python on NumPy, without TensorFlow."""

from __future__ import annotations

from .errors import (CalibrationError, ConversionError, EdgeQuantError, ModelFormatError,
                     UnsupportedOpError)
from .converter import Optimize, OpsSet, TargetSpec, TFLiteConverter
from .debugger import QuantizationDebugger
from .interpreter import Interpreter, Runner, run
from .ir import Model, Operator, QuantParams, SignatureDef, Subgraph, Tensor
from .tflite_io import load, save, to_bytes

__version__ = "0.1.0"

__all__ = [
    "CalibrationError", "ConversionError", "EdgeQuantError", "Interpreter", "Model",
    "ModelFormatError", "Operator", "Optimize", "OpsSet", "QuantParams", "QuantizationDebugger", "Runner", "SignatureDef",
    "Subgraph", "TFLiteConverter", "TargetSpec", "Tensor", "UnsupportedOpError", "load", "run",
    "save", "to_bytes",
]
