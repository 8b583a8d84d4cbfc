import LucidTensor

/// How a model is opened: the element type of its weights, activations and KV caches, and its device.
///
/// Loaders convert floating-point weights to `dtype` one tensor at a time as they are read (a
/// bf16 checkpoint opened in bf16 is used in place from the memory-mapped file). Attention
/// softmax and RMS normalisation accumulate in f32 and cast back, as transformers does; decoders
/// score in f32 on the host. The model runtime runs on the CPU and on CUDA devices (`runsModels(on:)`);
/// `validate()` refuses the rest with a message that says why.
public struct ModelLoadOptions: Sendable, Equatable, CustomStringConvertible {
    /// Element type of the weights and of everything computed from them.
    public var dtype: DType
    /// Where the weights live and the model runs.
    public var device: Device
    /// Bytes the weights may take (`MemoryBudget`); nil: the memory the machine has available when
    /// the model is loaded. `Int.max` turns the check off.
    public var memoryLimit: Int?
    /// Whether attention runs through libtorch's fused kernel, as transformers' default sdpa attention
    /// does: the decoder's prompts (`LlamaModel.fusedAttention`) and every pass of the vision towers and
    /// the Q-Former that keeps no probabilities (`FusedAttentionModule`; `--[no-]fused-attention`).
    /// Every loader that takes these options applies it to the whole model (`Module.setFusedAttention`;
    /// `ModelRegistry.open` again, for families registered elsewhere).
    ///
    /// Unless set, the dtype decides (`fusedAttentionByDefault`): on in bf16 and f16, where it is
    /// transformers' default (sdpa) bit for bit and a long image prompt prefills 2–3× faster in ~1 GB
    /// less; off in f32, where Lucid's goldens, organisms and training fixtures were recorded with the
    /// explicit softmax (docs/engine.md).
    public var fusedAttention: Bool {
        get { fusedAttentionSetting ?? Self.fusedAttentionByDefault(dtype) }
        set { fusedAttentionSetting = newValue }
    }
    /// The explicit choice behind `fusedAttention`; nil: the dtype's default.
    public var fusedAttentionSetting: Bool?

    /// Fused attention unless told otherwise: in bf16 and f16, not in f32.
    public static func fusedAttentionByDefault(_ dtype: DType) -> Bool { dtype != .f32 }

    /// What decides a model's numbers besides its weights, as a label for keys of kept results: the
    /// dtype, with "+sdpa" when attention takes the fused kernel ("f32", "bf16+sdpa"). In bf16 the two
    /// kernels' last bits change most greedy descriptions, so their results are kept apart. ("+fused"
    /// named the fused mode of Lucid builds in which the towers stayed explicit; such results are not reused.)
    public var numericsLabel: String { "\(dtype)" + (fusedAttention ? "+sdpa" : "") }

    /// f32 on the CPU: what every loader did before options existed.
    public static let standard = ModelLoadOptions()

    /// The element types a model can be opened in.
    public static let supportedDTypes: [DType] = [.f32, .bf16, .f16]

    public init(dtype: DType = .f32, device: Device = .cpu, memoryLimit: Int? = nil) {
        self.dtype = dtype
        self.device = device
        self.memoryLimit = memoryLimit
    }

    /// Parses user-facing names (`f32|bf16|f16` and their long forms; `cpu|cuda|cuda:N|mps`), nil
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

    /// Whether Lucid's model runtime runs on `device`: the CPU and CUDA devices. Weights load onto the
    /// device, masks, positions and token ids follow the model there, and decoders score the logits
    /// on the host. MPS tensors work (`Tensor.to(_:)`) but the runtime has never run on a Mac, so
    /// models are refused there rather than promised (docs/engine.md).
    public static func runsModels(on device: Device) -> Bool {
        switch device {
        case .cpu, .cuda: return true
        case .mps: return false
        }
    }

    /// Throws, before any file is read, when the dtype is not a model dtype, the device is not in
    /// this libtorch or not present, the device cannot compute in the dtype (a probe matmul in it
    /// fails there), or the model runtime does not run on the device yet.
    public func validate() throws(ModelLoadOptionsError) {
        guard Self.supportedDTypes.contains(dtype) else { throw .unsupportedDType(dtype) }
        if let reason = Torch.unavailability(of: device) { throw .deviceUnavailable(device, reason: reason) }
        if let message = Torch.probe(dtype: dtype, on: device) { throw .dtypeUnsupported(dtype, device, reason: message) }
        guard Self.runsModels(on: device) else {
            throw .deviceUnavailable(device, reason: "Lucid's model runtime has not been verified on \(device) yet (tensors move there, models do not; it runs on cpu and cuda; see docs/engine.md)")
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
    /// The device is present but a computation in the dtype failed there (libtorch's message).
    case dtypeUnsupported(DType, Device, reason: String)
    /// A switch (a manifest's `fused_attention`) given something other than true or false.
    case notABoolean(key: String, found: String)

    /// Whether the error is about the dtype (else about the device or a switch): which flag or key to name.
    public var concernsDType: Bool {
        switch self {
        case .unknownDType, .unsupportedDType, .dtypeUnsupported: return true
        case .unknownDevice, .deviceUnavailable, .notABoolean: return false
        }
    }

    /// The manifest key the error is about: `dtype`, `device` or the switch's own key.
    public var concernsKey: String {
        if case .notABoolean(let key, _) = self { return key }
        return concernsDType ? "dtype" : "device"
    }

    public var description: String {
        switch self {
        case .unknownDType(let name): return "unknown dtype '\(name)' (use f32, bf16 or f16)"
        case .unknownDevice(let name): return "unknown device '\(name)' (use cpu, cuda, cuda:N with N ≤ \(Device.maximumCUDAIndex), or mps)"
        case .unsupportedDType(let dtype): return "models cannot be opened in \(dtype) (use f32, bf16 or f16)"
        case .deviceUnavailable(let device, let reason): return "device \(device) cannot be used: \(reason)"
        case .dtypeUnsupported(let dtype, let device, let reason): return "\(device) cannot compute in \(dtype): \(reason)"
        case .notABoolean(let key, let found): return "\(key) must be true or false, not \(found)"
        }
    }
}
