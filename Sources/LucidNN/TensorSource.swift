import LucidTensor

/// A named collection of tensors a module can load from: a checkpoint file, a GGUF, a dictionary.
///
/// Implementations validate their files on open; `tensor(named:)` materialises one tensor
/// (quantised data is dequantised to f32) and throws for names it does not hold.
public protocol TensorSource {
    /// Every tensor name the source holds.
    var tensorNames: [String] { get }
    /// The row-major shape of a tensor as stored, without reading its data; nil if absent.
    func shape(of name: String) -> [Int]?
    /// Materialises one tensor.
    func tensor(named name: String) throws -> Tensor
    /// What the source is (usually a file path), for error messages.
    var sourceDescription: String { get }
    /// Called once a tensor has been copied (to another dtype or device) and the source's own
    /// storage for it is no longer used: a memory-mapped source drops its pages. Default: nothing.
    func releaseStorage(of name: String)
}

extension TensorSource {
    public func releaseStorage(of name: String) {}
}

/// An in-memory tensor source, e.g. for tests or converted state dicts.
public struct TensorDictionary: TensorSource {
    public var tensors: [String: Tensor]
    public var sourceDescription: String

    public init(_ tensors: [String: Tensor], description: String = "in-memory tensors") {
        self.tensors = tensors
        self.sourceDescription = description
    }

    public var tensorNames: [String] { tensors.keys.sorted() }
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    public func tensor(named name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw ModuleLoadError.missing(source: sourceDescription, names: [name]) }
        return t
    }
}

/// A declarative rewrite of checkpoint key names into module key names, applied in order.
public enum KeyRename: Sendable, Equatable {
    /// Replaces a leading `prefix` by `replacement`.
    case prefix(String, String)
    /// Replaces every occurrence of a substring.
    case substring(String, String)

    func apply(_ name: String) -> String {
        switch self {
        case .prefix(let from, let to):
            return name.hasPrefix(from) ? to + name.dropFirst(from.count) : name
        case .substring(let from, let to):
            return name.replacingOccurrences(of: from, with: to)
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension StringProtocol {
    fileprivate func range(of target: String) -> Range<Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) {
                return index..<self.index(index, offsetBy: target.count)
            }
            index = self.index(after: index)
        }
        return nil
    }
}

/// Why a checkpoint could not be loaded into a module.
public enum ModuleLoadError: Error, CustomStringConvertible, Equatable {
    case missing(source: String, names: [String])
    case unexpected(source: String, names: [String])
    case shapeMismatch(source: String, name: String, expected: [Int], found: [Int])
    case unreadable(source: String, name: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let source, let names):
            return "\(source): \(names.count) tensor(s) the model needs are missing: \(Self.list(names))"
        case .unexpected(let source, let names):
            return "\(source): \(names.count) tensor(s) do not belong to this model: \(Self.list(names))"
        case .shapeMismatch(let source, let name, let expected, let found):
            return "\(source): tensor '\(name)' has shape \(found) but the model's configuration needs \(expected)"
        case .unreadable(let source, let name, let reason):
            return "\(source): cannot read tensor '\(name)': \(reason)"
        }
    }

    private static func list(_ names: [String]) -> String {
        let shown = names.prefix(8).joined(separator: ", ")
        return names.count > 8 ? shown + ", … (\(names.count - 8) more)" : shown
    }
}

/// Options of `Module.load(from:…)`.
public struct LoadOptions {
    /// Rewrites applied to source names before matching module names.
    public var renames: [KeyRename]
    /// Source names (after renames) that may be present without a module parameter (e.g. RoPE buffers).
    public var ignoreUnexpected: (String) -> Bool
    /// Module parameters that may stay as initialised when the source lacks them (e.g. a tied head);
    /// never a placeholder (`ParameterInitialization`), which must be loaded.
    public var allowMissing: (String) -> Bool
    /// Converts loaded floating tensors to this dtype (default: the parameter's current dtype).
    public var dtype: DType?
    /// Moves every parameter, loaded or left as initialised, to this device (default: where it is read).
    /// Each tensor goes from the mapped file to the device once it is in `dtype`.
    public var device: Device?

    public init(renames: [KeyRename] = [], ignoreUnexpected: @escaping (String) -> Bool = { _ in false },
                allowMissing: @escaping (String) -> Bool = { _ in false }, dtype: DType? = nil, device: Device? = nil) {
        self.renames = renames
        self.ignoreUnexpected = ignoreUnexpected
        self.allowMissing = allowMissing
        self.dtype = dtype
        self.device = device
    }
}

extension Module {
    /// Loads every parameter from `source` with strict name and shape checking.
    ///
    /// All names and shapes are checked before any data is read, so a mismatched checkpoint fails
    /// fast and leaves the module unchanged. Returns the names that were left as initialised.
    @discardableResult
    public func load(from source: any TensorSource, options: LoadOptions = LoadOptions()) throws -> [String] {
        let wanted = namedParameters()
        var sourceName: [String: String] = [:]
        for name in source.tensorNames {
            let renamed = options.renames.reduce(name) { $1.apply($0) }
            sourceName[renamed] = name
        }
        let wantedNames = Set(wanted.map(\.name))
        let missing = wanted.map(\.name).filter { sourceName[$0] == nil && !options.allowMissing($0) }
        if !missing.isEmpty { throw ModuleLoadError.missing(source: source.sourceDescription, names: missing) }
        let unexpected = sourceName.keys.filter { !wantedNames.contains($0) && !options.ignoreUnexpected($0) }.sorted()
        if !unexpected.isEmpty { throw ModuleLoadError.unexpected(source: source.sourceDescription, names: unexpected) }
        for (name, parameter) in wanted {
            guard let stored = sourceName[name], let shape = source.shape(of: stored) else { continue }
            if shape != parameter.shape {
                throw ModuleLoadError.shapeMismatch(source: source.sourceDescription, name: stored,
                                                    expected: parameter.shape, found: shape)
            }
        }
        var loaded: [(Parameter, Tensor)] = []
        for (name, parameter) in wanted {
            guard let stored = sourceName[name] else { continue }
            let tensor: Tensor
            do { tensor = try source.tensor(named: stored) } catch {
                throw ModuleLoadError.unreadable(source: source.sourceDescription, name: stored, reason: "\(error)")
            }
            let target = options.dtype ?? parameter.value.dtype
            let convert = tensor.dtype != target && tensor.dtype.isFloatingPoint
            let destination = options.device.flatMap { $0 == tensor.device ? nil : $0 }
            let converted = convert ? tensor.to(target) : tensor
            loaded.append((parameter, destination.map { converted.to($0) } ?? converted))
            // Copied into its final dtype or device: the source's pages (a mapped file) are not needed.
            if convert || destination != nil { source.releaseStorage(of: stored) }
        }
        let placeholders = wanted.filter { sourceName[$0.name] == nil && $0.parameter.isPlaceholder }.map(\.name)
        if !placeholders.isEmpty { throw ModuleLoadError.missing(source: source.sourceDescription, names: placeholders) }
        for (parameter, tensor) in loaded { parameter.value = tensor }
        let leftAsInitialised = wanted.filter { sourceName[$0.name] == nil }
        if let device = options.device {
            for (_, parameter) in leftAsInitialised where parameter.value.device != device {
                parameter.value = parameter.value.to(device)
            }
        }
        return leftAsInitialised.map(\.name)
    }
}
