import LucidTensor

/// How a model is opened: the element type of its weights, activations and KV caches, and its device.
///
/// Loaders convert floating-point weights to `dtype` one tensor at a time as they are read (a
/// bf16 checkpoint opened in bf16 is used in place from the memory-mapped file). Attention
/// softmax and RMS normalisation accumulate in f32 and cast back, as transformers does; decoders
/// score in f32. Only `.cpu` runs the model runtime today; `validate()` refuses the rest with a
/// message that says why.
public struct ModelLoadOptions: Sendable, Equatable, CustomStringConvertible {
    /// Element type of the weights and of everything computed from them.
    public var dtype: DType
    /// Where the weights live and the model runs.
    public var device: Device

    /// f32 on the CPU: what every loader did before options existed.
    public static let standard = ModelLoadOptions()

    /// The element types a model can be opened in.
    public static let supportedDTypes: [DType] = [.f32, .bf16, .f16]

    public init(dtype: DType = .f32, device: Device = .cpu) {
        self.dtype = dtype
        self.device = device
    }

    /// Parses user-facing names (`f32|bf16|f16` and their long forms; `cpu|cuda|cuda:N`), nil
    /// meaning the default, then validates.
    public init(dtypeName: String?, deviceName: String?) throws(ModelLoadOptionsError) {
        var options = ModelLoadOptions()
        if let dtypeName {
            guard let dtype = DType(name: dtypeName) else { throw .unknownDType(dtypeName) }
            options.dtype = dtype
        }
        if let deviceName {
            guard let device = Device(name: deviceName) else { throw .unknownDevice(deviceName) }
            options.device = device
        }
        try options.validate()
        self = options
    }

    /// Throws when the dtype is not a model dtype or the device cannot run the model runtime.
    public func validate() throws(ModelLoadOptionsError) {
        guard Self.supportedDTypes.contains(dtype) else { throw .unsupportedDType(dtype) }
        switch device {
        case .cpu: return
        case .cuda(let index):
            guard Torch.cudaAvailable else { throw .deviceUnavailable(device, reason: "this libtorch (\(Torch.version)) has no CUDA device") }
            guard index < Torch.cudaDeviceCount else {
                throw .deviceUnavailable(device, reason: "only \(Torch.cudaDeviceCount) CUDA device(s) present")
            }
            throw .deviceUnavailable(device, reason: "the model runtime runs on the CPU only so far")
        }
    }

    public var description: String { "\(dtype) on \(device)" }
}

/// Why model options were refused.
public enum ModelLoadOptionsError: Error, Equatable, CustomStringConvertible {
    case unknownDType(String)
    case unknownDevice(String)
    case unsupportedDType(DType)
    case deviceUnavailable(Device, reason: String)

    public var description: String {
        switch self {
        case .unknownDType(let name): return "unknown dtype '\(name)' (use f32, bf16 or f16)"
        case .unknownDevice(let name): return "unknown device '\(name)' (use cpu, cuda or cuda:N)"
        case .unsupportedDType(let dtype): return "models cannot be opened in \(dtype) (use f32, bf16 or f16)"
        case .deviceUnavailable(let device, let reason): return "device \(device) cannot be used: \(reason)"
        }
    }
}
