/// Bit-exact conversions between `Float` and the 16-bit float formats stored
/// in checkpoints (IEEE binary16 "f16" and bfloat16 "bf16").
///
/// Widening is exact for every input, subnormals and NaN payloads included.
/// Narrowing rounds to nearest, ties to even; overflow gives infinity and NaN
/// stays NaN (quiet).
public enum HalfFloatConversion {
    /// The `Float` value of IEEE binary16 bits.
    @inline(__always)
    public static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits) & 0x3FF
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2^-24, exactly representable in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// IEEE binary16 bits for `value`, rounded to nearest even.
    public static func halfBits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            let payload: UInt16 = mantissa == 0 ? 0 : 0x200 | UInt16(truncatingIfNeeded: mantissa >> 13)
            return sign | 0x7C00 | payload
        }
        let halfExponent = exponent - 112
        if halfExponent >= 0x1F {
            return sign | 0x7C00
        }
        if halfExponent <= 0 {
            // Result is subnormal (or zero): significand × 2^(exponent-126) in units of 2^-24.
            if halfExponent < -10 { return sign }
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - halfExponent)
            let truncated = significand >> shift
            let remainder = significand & ((1 << shift) - 1)
            let halfway: UInt32 = 1 << (shift - 1)
            let rounded = remainder > halfway || (remainder == halfway && truncated & 1 == 1) ? truncated + 1 : truncated
            return sign | UInt16(truncatingIfNeeded: rounded)
        }
        var result = UInt32(halfExponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && result & 1 == 1) {
            result += 1  // a carry into the exponent correctly yields the next binade or infinity
        }
        return sign | UInt16(truncatingIfNeeded: result)
    }

    /// The `Float` value of bfloat16 bits (the upper half of a binary32).
    @inline(__always)
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// bfloat16 bits for `value`, rounded to nearest even.
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN {
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x40
        }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }
}
