import CTorch

/// Where a tensor's storage lives.
///
/// `cuda` is available only when the linked libtorch was built with CUDA; see `Torch.cudaAvailable`.
public enum Device: Sendable, Equatable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    var code: (Int32, Int32) {
        switch self {
        case .cpu: return (Int32(LT_CPU), 0)
        case .cuda(let index): return (Int32(LT_CUDA), Int32(index))
        }
    }

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let index): return "cuda:\(index)"
        }
    }

    /// Parses `cpu`, `cuda` or `cuda:N`.
    public init?(name: String) {
        if name == "cpu" { self = .cpu; return }
        if name == "cuda" { self = .cuda(0); return }
        if name.hasPrefix("cuda:"), let index = Int(name.dropFirst(5)), index >= 0 { self = .cuda(index); return }
        return nil
    }
}
