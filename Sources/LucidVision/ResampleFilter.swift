#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A resampling filter, numbered as PIL's `Image.Resampling` (and `preprocessor_config.json`'s
/// `resample` field).
///
/// Every filter except `.nearest` is a convolution kernel that ``Resampler`` applies the way
/// Pillow's `ImagingResample` does. `.nearest` exists so that configs naming it decode, but
/// resizing with it throws `.unsupported` (PIL implements it as an affine transform, which is
/// not reproduced here).
public enum ResampleFilter: Int, Sendable, Equatable, CaseIterable, Codable {
    case nearest = 0
    case lanczos = 1
    case bilinear = 2
    case bicubic = 3
    case box = 4
    case hamming = 5

    /// Half-width of the kernel at scale 1, in input pixels (0 for `.nearest`).
    var support: Double {
        switch self {
        case .nearest: return 0
        case .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The kernel's weight at offset `x` (in kernel units). Each expression keeps Pillow's
    /// operation order and constants, including single-precision ones, so the double results
    /// are bit-identical.
    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest:
            return 0
        case .box:
            return x > -0.5 && x <= 0.5 ? 1 : 0
        case .bilinear:
            let t = Swift.abs(x)
            return t < 1 ? 1 - t : 0
        case .hamming:
            let t = Swift.abs(x)
            if t == 0 { return 1 }
            if t >= 1 { return 0 }
            let angle = t * Double.pi
            // Pillow writes 0.54f and 0.46f: float constants promoted to double.
            return sin(angle) / angle * (Double(Float(0.54)) + Double(Float(0.46)) * cos(angle))
        case .bicubic:
            // Keys' cubic convolution with a = -0.5.
            let a = -0.5
            let t = Swift.abs(x)
            if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
            if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
            return 0
        case .lanczos:
            return -3 <= x && x < 3 ? ResampleFilter.sinc(x) * ResampleFilter.sinc(x / 3) : 0
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let angle = x * Double.pi
        return sin(angle) / angle
    }
}
