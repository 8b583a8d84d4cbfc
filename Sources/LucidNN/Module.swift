import LucidTensor

/// A tensor slot owned by a module; loaders and optimisers replace or update `value` in place.
public final class Parameter {
    /// The current tensor.
    public var value: Tensor { didSet { isPlaceholder = false } }
    /// Whether `value` is still the storage-less placeholder of `ParameterInitialization.withPlaceholders`.
    public private(set) var isPlaceholder: Bool

    public init(_ value: Tensor) {
        self.value = value
        isPlaceholder = ParameterInitialization.isDeferring
    }

    /// Shape of the current tensor.
    public var shape: [Int] { value.shape }
}

/// A neural-network building block with named parameters and sub-modules.
///
/// Names are Hugging Face key paths (`model.layers.0.self_attn.q_proj.weight`), so checkpoints load
/// by name with strict checking. Modules are classes: parameters are shared, not copied.
public protocol Module: AnyObject {
    /// This module's own parameters by local name (e.g. `weight`, `bias`), in a fixed order.
    var parameters: [(name: String, parameter: Parameter)] { get }
    /// Direct sub-modules by local name (e.g. `q_proj`, `layers`), in a fixed order.
    var children: [(name: String, module: any Module)] { get }
}

extension Module {
    public var parameters: [(name: String, parameter: Parameter)] { [] }
    public var children: [(name: String, module: any Module)] { [] }

    /// Every parameter in the tree with its full dotted name, depth first in declaration order.
    public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        var result: [(name: String, parameter: Parameter)] = []
        for (name, parameter) in parameters { result.append((prefix + name, parameter)) }
        for (name, child) in children { result += child.namedParameters(prefix: prefix + name + ".") }
        return result
    }

    /// Every module in the tree with its dotted path ("" for `self`).
    public func namedModules(prefix: String = "") -> [(name: String, module: any Module)] {
        var result: [(name: String, module: any Module)] = [(prefix.isEmpty ? "" : String(prefix.dropLast()), self)]
        for (name, child) in children { result += child.namedModules(prefix: prefix + name + ".") }
        return result
    }

    /// Total number of scalar parameters.
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.parameter.value.count } }

    /// Marks every parameter as trainable or frozen (sets `requiresGrad` on leaf tensors).
    public func setTrainable(_ trainable: Bool) {
        for (_, p) in namedParameters() where p.value.dtype.isFloatingPoint {
            if p.value.isLeaf || !trainable {
                if !p.value.isLeaf { p.value = p.value.detached() }
                p.value.requiresGrad = trainable
            }
        }
    }

    /// Parameters whose tensors currently require gradients.
    public func trainableParameters() -> [(name: String, parameter: Parameter)] {
        namedParameters().filter { $0.parameter.value.requiresGrad }
    }

    /// Converts every floating-point parameter to `dtype`.
    public func convert(to dtype: DType) {
        for (_, p) in namedParameters() where p.value.dtype.isFloatingPoint && p.value.dtype != dtype {
            p.value = p.value.to(dtype)
        }
    }

    /// Moves every parameter to `device` (those already there stay as they are).
    public func move(to device: Device) {
        for (_, p) in namedParameters() where p.value.device != device { p.value = p.value.to(device) }
    }

    /// The parameters as a name → tensor dictionary (sharing storage), e.g. to save a checkpoint.
    public func stateDictionary() -> [String: Tensor] {
        Dictionary(namedParameters().map { ($0.name, $0.parameter.value) }, uniquingKeysWith: { first, _ in first })
    }
}

/// An ordered list of sub-modules named `0`, `1`, … (Hugging Face's `nn.ModuleList`).
public final class ModuleList<Element: Module>: Module {
    /// The modules in order.
    public let items: [Element]

    public init(_ items: [Element]) { self.items = items }

    public var children: [(name: String, module: any Module)] {
        items.enumerated().map { (String($0.offset), $0.element as any Module) }
    }

    public var count: Int { items.count }
    public subscript(index: Int) -> Element { items[index] }
}

extension Module {
    /// Re-initialises every parameter for training from scratch, as Hugging Face's `_init_weights`:
    /// weights of linear, embedding and convolution layers ~ N(0, std²), biases 0, norm scales 1 and
    /// shifts 0 (names ending in `norm.weight` / `norm*.weight` / `layernorm.weight`), CLIP's class
    /// embedding ~ N(0, std²).
    public func initializeForTraining(std: Double = 0.02, generator: Generator) {
        withNoGrad {
            for (name, parameter) in namedParameters() where parameter.value.dtype.isFloatingPoint {
                let shape = parameter.shape
                let lower = name.lowercased()
                let isNorm = lower.contains("norm") || lower.contains("layrnorm")
                if isNorm {
                    parameter.value = name.hasSuffix("bias") ? Tensor.zeros(shape) : Tensor.ones(shape)
                } else if name.hasSuffix("bias") {
                    parameter.value = Tensor.zeros(shape)
                } else {
                    parameter.value = Tensor.randn(shape, generator: generator) * std
                }
            }
        }
    }
}
