import Foundation
import LucidTensor

/// Uniform samples in [−bound, bound), PyTorch's default initialisation for linear and conv layers.
func uniformInit(_ shape: [Int], bound: Double, generator: Generator?) -> Tensor {
    ParameterInitialization.tensor(shape) { Tensor.rand(shape, generator: generator) * (2 * bound) - bound }
}

/// A fully connected layer, y = x·Wᵀ + b, with an optional LoRA adapter added to its output.
public final class Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?
    /// A low-rank adapter whose output is added to the layer's (PEFT's `lora_A`/`lora_B`).
    public var lora: LoRAAdapter?

    /// Input and output widths.
    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// A layer with PyTorch's default initialisation, U(−1/√in, 1/√in).
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, generator: Generator? = nil) {
        let bound = 1 / Double(inFeatures).squareRoot()
        weight = Parameter(uniformInit([outFeatures, inFeatures], bound: bound, generator: generator))
        self.bias = bias ? Parameter(uniformInit([outFeatures], bound: bound, generator: generator)) : nil
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        var list = [("weight", weight)]
        if let bias { list.append(("bias", bias)) }
        return list
    }

    public var children: [(name: String, module: any Module)] {
        guard let lora else { return [] }
        return [("lora_A", lora.down), ("lora_B", lora.up)]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = x.linear(weight: weight.value, bias: bias?.value)
        guard let lora else { return y }
        return y + lora(x)
    }

    /// Folds the adapter into the weight (W += scale·B·A) and removes it.
    public func mergeLoRA() {
        guard let lora else { return }
        withNoGrad {
            let delta = lora.up.weight.value.matmul(lora.down.weight.value) * lora.scale
            weight.value = (weight.value + delta.to(weight.value.dtype)).detached()
        }
        self.lora = nil
    }
}

/// A low-rank update ΔW = (α/r)·B·A of a linear layer, as PEFT's LoRA defines it.
public final class LoRAAdapter {
    /// A: [r, in] (PEFT `lora_A`), initialised like a linear layer.
    public let down: Linear
    /// B: [out, r] (PEFT `lora_B`), initialised to zero so the adapter starts as a no-op.
    public let up: Linear
    /// α / r, unless `scaleOverride` is set (rsLoRA's α/√r).
    public var scale: Double { scaleOverride ?? defaultScale }
    let defaultScale: Double
    /// A scale other than α / r (set by adapter loaders).
    public var scaleOverride: Double?

    public init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Double, generator: Generator? = nil) {
        down = Linear(inFeatures: inFeatures, outFeatures: rank, bias: false, generator: generator)
        up = Linear(inFeatures: rank, outFeatures: outFeatures, bias: false, generator: generator)
        up.weight.value = Tensor.zeros([outFeatures, rank])
        defaultScale = alpha / Double(rank)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { up(down(x)) * scale }
}

/// A lookup table of vectors indexed by token id.
public final class Embedding: Module {
    public let weight: Parameter

    /// A table with N(0, 1) entries, PyTorch's default.
    public init(count: Int, dimension: Int, generator: Generator? = nil) {
        weight = Parameter(ParameterInitialization.tensor([count, dimension]) { Tensor.randn([count, dimension], generator: generator) })
    }

    public var parameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    /// Rows for `ids` (any shape of `i64`), giving shape `ids.shape + [dimension]`.
    public func callAsFunction(_ ids: Tensor) -> Tensor {
        // Ids are usually made on the host from token lists; they follow the table to its device.
        weight.value.indexSelect(axis: 0, index: ids.flattened().to(weight.value.device)).reshaped(ids.shape + [weight.shape[1]])
    }
}

/// Layer normalisation over the last dimension with learned scale and shift.
public final class LayerNorm: Module {
    public let weight: Parameter
    public let bias: Parameter
    public let eps: Double

    public init(dimension: Int, eps: Double = 1e-5) {
        weight = Parameter(ParameterInitialization.tensor([dimension]) { Tensor.ones([dimension]) })
        bias = Parameter(ParameterInitialization.tensor([dimension]) { Tensor.zeros([dimension]) })
        self.eps = eps
    }

    public var parameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(normalizedShape: [weight.shape[0]], weight: weight.value, bias: bias.value, eps: eps)
    }
}

/// RMS normalisation over the last dimension (Llama's `LlamaRMSNorm`).
public final class RMSNorm: Module {
    public let weight: Parameter
    public let eps: Double

    public init(dimension: Int, eps: Double = 1e-6) {
        weight = Parameter(ParameterInitialization.tensor([dimension]) { Tensor.ones([dimension]) })
        self.eps = eps
    }

    public var parameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNorm(weight: weight.value, eps: eps) }
}

/// A 2-D convolution over [N, C, H, W] inputs.
public final class Conv2d: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int)
    public let padding: (Int, Int)

    public init(inChannels: Int, outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), bias: Bool = true, generator: Generator? = nil) {
        let fanIn = inChannels * kernelSize.0 * kernelSize.1
        let bound = 1 / Double(fanIn).squareRoot()
        weight = Parameter(uniformInit([outChannels, inChannels, kernelSize.0, kernelSize.1], bound: bound, generator: generator))
        self.bias = bias ? Parameter(uniformInit([outChannels], bound: bound, generator: generator)) : nil
        self.stride = stride
        self.padding = padding
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        var list = [("weight", weight)]
        if let bias { list.append(("bias", bias)) }
        return list
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.conv2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
    }
}
