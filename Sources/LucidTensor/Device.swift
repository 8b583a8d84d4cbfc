import CTorch

/// Where a tensor's storage lives.
///
/// `cuda` is available only when the linked libtorch was built with CUDA (`Torch.cudaAvailable`),
/// `mps` only on a macOS build with Metal (`Torch.mpsAvailable`); `Torch.probe(dtype:on:)` says
/// whether a device can compute in a dtype.
public enum Device: Sendable, Hashable, CustomStringConvertible {
    case cpu
    case cuda(Int)
    /// Apple's Metal Performance Shaders device (one per machine).
    case mps

    var code: (Int32, Int32) {
        switch self {
        case .cpu: return (Int32(LT_CPU), 0)
        case .cuda(let index): return (Int32(LT_CUDA), Int32(index))
        case .mps: return (Int32(LT_MPS), 0)
        }
    }

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let index): return "cuda:\(index)"
        case .mps: return "mps"
        }
    }

    /// The largest CUDA index a name may give (libtorch's `DeviceIndex` is 8 bits).
    public static let maximumCUDAIndex = 127

    /// Parses `cpu`, `cuda`, `cuda:N` (0 ≤ N ≤ 127, decimal digits only) or `mps`.
    public init?(name: String) {
        switch name {
        case "cpu": self = .cpu
        case "cuda": self = .cuda(0)
        case "mps": self = .mps
        default:
            guard name.hasPrefix("cuda:") else { return nil }
            let digits = name.dropFirst(5)
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let index = Int(digits), index <= Self.maximumCUDAIndex else { return nil }
            self = .cuda(index)
        }
    }
}
