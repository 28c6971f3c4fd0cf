"""Integer kernels of the elementwise activations, and the float functions their lookup
tables evaluate.

* ``relu_x_prepare``: ReluPrepare + QuantizedReluX (tflite/kernels/activations.cc) for RELU,
  RELU6 and RELU_N1_TO_1, as a code table.
* LOGISTIC / TANH int16: SigmoidPrepare / TanhPrepare (activations.cc) and
  reference_integer_ops::Logistic / Tanh (internal/reference/integer_ops/logistic.h, tanh.h),
  which interpolate ``sigmoid_table_uint16`` (internal/common.h). The default resolver's
  kernel for power-of-two scales is gemmlowp's (``_fixedpoint``).
* The table functions of LOGISTIC / TANH / GELU int8 and int16 (``LUTPopulate``): float32
  with the C library's ``expf`` / ``tanhf`` / ``erfcf`` (``edgequant.libm``), as LiteRT
  computes them (activations.cc, internal/reference/gelu.h), and XNNPACK's sigmoid
  (src/reference/unary-elementwise.cc).
* HARD_SWISH int8: HardSwishPrepare (activations.cc) and reference_ops::HardSwish
  (internal/reference/hard_swish.h), all in int16 arithmetic.
"""

from __future__ import annotations

import numpy as np

from .. import libm
from ..dtypes import qrange
from ..qmath import cast_float_to_int32, quantize_multiplier, round_half_away, wrap_int32
from ..qmath import multiply_by_quantized_multiplier as mbqm
from ._base import OpContext
from ._fixedpoint import I32_MAX, rdbpot16, sat_shl16, sdhm16, srdhm16, wrap16
from ._intparams import checked_log2, io_params, io_types
from ._lut import code_table

# -- RELU / RELU6 / RELU_N1_TO_1 (QuantizedReluX) ----------------------------------------------


def relu_x_prepare(ctx: OpContext, op: str, lo: float, hi: float | None,
                   allowed: tuple[str, ...]) -> dict:
    """ReluPrepare + QuantizedReluX (activations.cc): rescale by float32(s_in / s_out) through
    QuantizeMultiplier, then clamp to zp + roundf(bound / s_out) in float32, inside the type's
    range (``hi`` None: no upper bound)."""
    t, _ = io_types(ctx, op, allowed)
    s_in, zp_in, s_out, zp_out = io_params(ctx, op, t)
    mult, shift = quantize_multiplier(float(s_in / s_out))
    qmin, qmax = qrange(t)

    def bound(v: float) -> int:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            r = round_half_away(np.float32(v) / s_out)
        return int(wrap_int32(zp_out + cast_float_to_int32(r)))

    act_min = max(qmin, bound(lo))
    act_max = qmax if hi is None else min(qmax, bound(hi))

    def relu_x(x: np.ndarray) -> np.ndarray:
        v = mbqm(np.asarray(x, dtype=np.int64) - zp_in, mult, shift)
        return np.clip(v + zp_out, act_min, act_max)

    return {"table": code_table(t, relu_x)}


# -- LOGISTIC / TANH int16 (reference_integer_ops::Logistic / Tanh) ----------------------------

# sigmoid(i / 24) in 0.16 fixed point (LiteRT internal/common.h sigmoid_table_uint16); tanh
# uses it through tanh(x) = 2 sigmoid(2x) - 1.
SIGMOID_TABLE_UINT16 = np.array([
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498,
    40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255,
    46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865,
    52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174,
    56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288,
    59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441,
    61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886,
    62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835,
    63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450,
    64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
    64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097,
    65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
    65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465,
    65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508,
    65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518,
    65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525,
    65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
    65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531,
    65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533,
    65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65535], dtype=np.int64)


def sigmoid_tanh_int16_prepare(op: str, in_scale: np.float32, pot_shifts: tuple[int, ...]
                               ) -> tuple[int, int]:
    """(input_multiplier, input_left_shift) of Sigmoid/TanhPrepare for int16: a power-of-two
    input scale whose shift 12 + log2(scale) is in ``pot_shifts`` keeps multiplier 0 (the
    kernel then uses 3 << shift); otherwise the scale times 3 * 4096 is doubled until it
    exceeds 32767 / 2 (at most 31 times) and truncated."""
    is_pot, log2 = checked_log2(in_scale)
    left_shift = 12 + log2
    if is_pot and left_shift in pot_shifts:
        return 0, left_shift
    multiplier = float(in_scale) * 4096.0 * 3.0
    left_shift = 0
    while multiplier <= 32767.0 / 2.0 and left_shift <= 30:
        left_shift += 1
        multiplier *= 2.0
    return int(cast_float_to_int32(np.trunc(multiplier))), left_shift


def _int16_prescale(x: np.ndarray, multiplier: int, left_shift: int) -> np.ndarray:
    if multiplier == 0:
        multiplier, left_shift = 3 << left_shift, 0
    rnd = (1 << (left_shift - 1)) if left_shift > 0 else 0
    return wrap_int32(np.asarray(x, dtype=np.int64) * multiplier + rnd) >> left_shift


def _sigmoid_table_at(a: np.ndarray, bits: int, saturated: int) -> np.ndarray:
    """SIGMOID_TABLE_UINT16 interpolated at |x| = ``a`` with ``bits`` fraction bits (entry
    ``a >> bits``), scaled by 2^bits; ``saturated`` past the table's end."""
    uh = a >> bits
    idx = np.minimum(uh, 254)
    ua = SIGMOID_TABLE_UINT16[idx]
    ub = SIGMOID_TABLE_UINT16[idx + 1]
    return np.where(uh >= 255, saturated, (ua << bits) + (a & ((1 << bits) - 1)) * (ub - ua))


def logistic_int16(x: np.ndarray, multiplier: int, left_shift: int) -> np.ndarray:
    """reference_integer_ops::Logistic (int16): interpolate the sigmoid table at |x| in 9-bit
    steps, mirror for negative inputs, round to Q0.15."""
    v = _int16_prescale(x, multiplier, left_shift)
    r = _sigmoid_table_at(np.abs(v), 9, 0x7FFF << 10)
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1) & 0xFFFFFFFF
    return (r >> 10).astype(np.int16)


def tanh_int16(x: np.ndarray, multiplier: int, left_shift: int) -> np.ndarray:
    """reference_integer_ops::Tanh (int16): the sigmoid table at |x| in 8-bit steps,
    2 sigmoid - 1, mirrored, in Q0.15."""
    v = _int16_prescale(x, multiplier, left_shift)
    r = wrap_int32(_sigmoid_table_at(np.abs(v), 8, 0xFFFF << 8))
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
    return (r >> 8).astype(np.int16)


# -- table functions of LOGISTIC / TANH int8 ---------------------------------------------------


def sigmoid_f32(x: np.ndarray) -> np.ndarray:
    """1.0f / (1.0f + expf(-x)), LiteRT's int8 LOGISTIC table function."""
    one = np.float32(1)
    return one / (one + libm.expf(-np.asarray(x, dtype=np.float32)))


def sigmoid_xnn(x: np.ndarray) -> np.ndarray:
    """XNNPACK's reference sigmoid: exp in double, e / (1 + e) rounded to float; 1 above 100,
    0 below -100 (src/reference/unary-elementwise.cc SigmoidOp)."""
    x = np.asarray(x, dtype=np.float32)
    e = libm.exp(np.clip(x, -100, 100).astype(np.float64))
    y = (e / (1 + e)).astype(np.float32)
    return np.where(x > 100, np.float32(1), np.where(x < -100, np.float32(0), y))


def tanh_f32(x: np.ndarray) -> np.ndarray:
    return libm.tanhf(x)


# -- GELU table functions (reference/gelu.h GeluTransform, GeluTransformApproximate) -----------

_GELU_SQRT1_2 = np.float32(-0.70710678118654752440)  # static_cast<float>(-M_SQRT1_2)
_GELU_SQRT_2_OVER_PI = np.float32(1.12837916709551257390 * 0.70710678118654752440)


def gelu_f32(x: np.ndarray) -> np.ndarray:
    """0.5f * x * erfcf(x * -sqrt(1/2)), in float32 with the C library's erfcf."""
    x = np.asarray(x, dtype=np.float32)
    return np.float32(0.5) * x * libm.erfcf(x * _GELU_SQRT1_2)


def gelu_approximate_f32(x: np.ndarray) -> np.ndarray:
    """0.5f * x * (1 + tanhf(sqrt(2/pi) * (x + 0.044715f * x * x * x))), evaluated left to
    right in float32 as the C++ expression is."""
    x = np.asarray(x, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        cube = np.float32(0.044715) * x * x * x
        inner = _GELU_SQRT_2_OVER_PI * (x + cube)
        return np.float32(0.5) * x * (np.float32(1) + libm.tanhf(inner))


# -- HARD_SWISH int8 (reference_ops::HardSwish, quantized) -------------------------------------


def downscale_multiplier16(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15, saturating."""
    if m >= I32_MAX - (1 << 15):
        return 32767
    return (m + (1 << 15)) >> 16


def hard_swish_prepare(op: str, s_in: np.float32, zp_in: int, s_out: np.float32, zp_out: int
                       ) -> dict:
    """HardSwishPrepare: the scales combine in float32 as LiteRT writes them."""
    f32 = np.float32
    hires_input_scale = f32(f32(1.0) / f32(128.0)) * s_in
    reluish_scale = f32(3.0) / f32(32768.0)
    out_mult, out_exp = quantize_multiplier(float(hires_input_scale / s_out))
    if out_exp > 0:
        raise ValueError(f"{op}: the output scale {s_out} must be at least the input scale "
                         f"{s_in} / 128 (LiteRT requires a non-positive output exponent)")
    rel_mult, rel_exp = quantize_multiplier(float(hires_input_scale / reluish_scale))
    return {"zp_in": zp_in, "zp_out": zp_out,
            "out_mult": downscale_multiplier16(out_mult), "out_exp": out_exp,
            "rel_mult": downscale_multiplier16(rel_mult), "rel_exp": rel_exp}


def hard_swish(x: np.ndarray, st: dict, lo: int, hi: int) -> np.ndarray:
    """The quantized HardSwish, all in int16 arithmetic as LiteRT does it."""
    v = wrap16(np.asarray(x, dtype=np.int64) - st["zp_in"])
    hires = wrap16(v * 128)
    preshift_out = srdhm16(hires, st["out_mult"])
    reluish = hires
    e = st["rel_exp"]
    if e > 0:
        reluish = sat_shl16(reluish, e - 1)
    reluish = srdhm16(reluish, st["rel_mult"])
    if e > 0:
        reluish = sat_shl16(reluish, 1)
    if e < 0:
        reluish = rdbpot16(reluish, -e)
    reluish = (reluish + (1 << 15)) >> 1
    out = rdbpot16(sdhm16(reluish, preshift_out), -st["out_exp"])
    out = wrap16(out + st["zp_out"])
    return np.clip(out, lo, hi)
