"""The edgequant exception hierarchy.

Every error a user can cause (a bad file, an op without a kernel, bad calibration data) is an
``EdgeQuantError`` whose message names the file, op or tensor involved and what was expected.
"""

from __future__ import annotations


class EdgeQuantError(Exception):
    """Base class of every error edgequant raises on purpose."""


class ModelFormatError(EdgeQuantError, ValueError):
    """A file or byte string is not a valid .tflite model (or uses a layout we cannot read)."""


class UnsupportedOpError(EdgeQuantError, NotImplementedError):
    """An operator has no kernel (or no quantized form) in edgequant."""


class CalibrationError(EdgeQuantError, ValueError):
    """The representative dataset does not fit the model's inputs."""


class ConversionError(EdgeQuantError, ValueError):
    """Converter options contradict each other or the model cannot be converted as asked."""
