"""Range observers: what calibration records per float tensor.

* ``MinMax`` (default): the global running minimum and maximum over every value seen, as the
  TF converter's calibration logger keeps them (LiteRT
  ``tflite/tools/optimize/calibration/calibration_logger.cc`` ``MinMax::Update``). NaNs are
  skipped, infinities too (they would make every scale infinite); both are counted so
  calibration can warn.
* ``MovingAverageMinMax``: ai-edge-quantizer's default: an exponential moving average of
  per-sample minima and maxima, ``new = c * old + (1 - c) * sample`` with c = 0.95, the first
  sample initialising it (AEQ ``utils/qsv_utils.py``). Values beyond +-3e38 are ignored, as
  there. When a batch of N samples runs in one pass, a tensor whose first axis has length N is
  reduced per sample (row); any other tensor counts as one observation.
"""

from __future__ import annotations

import warnings

import numpy as np

_HUGE = 3e38


class MinMax:
    name = "minmax"

    def __init__(self) -> None:
        self.min = np.inf
        self.max = -np.inf
        self.bad = 0  # NaN / inf values skipped

    def update(self, x: np.ndarray, batch: int = 1) -> None:
        if x.size == 0:
            return
        lo, hi = float(x.min()), float(x.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            ok = np.isfinite(x)
            self.bad += int(x.size - np.count_nonzero(ok))
            if not ok.any():
                return
            lo, hi = float(x[ok].min()), float(x[ok].max())
        if lo < self.min:
            self.min = lo
        if hi > self.max:
            self.max = hi

    @property
    def seen(self) -> bool:
        return self.min <= self.max

    def range(self) -> tuple[float, float]:
        return self.min, self.max


class MovingAverageMinMax(MinMax):
    name = "ema"

    def __init__(self, smoothing: float = 0.95) -> None:
        super().__init__()
        self.c = float(smoothing)

    def update(self, x: np.ndarray, batch: int = 1) -> None:
        if x.size == 0:
            return
        rows = x.reshape(batch, -1) if batch > 1 and x.ndim and x.shape[0] == batch \
            else x.reshape(1, -1)
        clean = np.where(np.abs(rows) <= _HUGE, rows, np.nan)
        self.bad += int(np.count_nonzero(np.isnan(clean)))
        with warnings.catch_warnings():
            # An all-NaN row is simply skipped below; nanmin would warn about it.
            warnings.simplefilter("ignore", RuntimeWarning)
            lows = np.nanmin(clean, axis=1)
            highs = np.nanmax(clean, axis=1)
        for lo, hi in zip(lows, highs):
            if np.isnan(lo):
                continue
            if not self.seen:
                self.min, self.max = float(lo), float(hi)
            else:
                self.min = self.c * self.min + (1 - self.c) * float(lo)
                self.max = self.c * self.max + (1 - self.c) * float(hi)


OBSERVERS = {"minmax": MinMax, "ema": MovingAverageMinMax}


def make(kind: str) -> MinMax:
    try:
        return OBSERVERS[kind]()
    except KeyError:
        raise ValueError(f"unknown calibration statistic {kind!r}; choose one of "
                         f"{sorted(OBSERVERS)}") from None
