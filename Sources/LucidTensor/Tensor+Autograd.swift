import CTorch

// Reverse-mode automatic differentiation, recorded by libtorch's autograd.

extension Tensor {
    /// Whether operations on this tensor are recorded for gradients. Set it on leaves you optimise.
    public var requiresGrad: Bool {
        get { lt_requires_grad(handle) }
        set { torchCheck(lt_set_requires_grad(handle, newValue), "requires_grad_") }
    }

    /// Whether this tensor is a leaf of the autograd graph (created by the user, not by an op).
    public var isLeaf: Bool { lt_is_leaf(handle) }

    /// The gradient accumulated by `backward()`, or nil if none has been computed.
    public var grad: Tensor? {
        var out: OpaquePointer?
        torchCheck(lt_grad(handle, &out), "grad")
        return out.map { Tensor(owning: $0) }
    }

    /// Drops the accumulated gradient so the next `backward()` starts from zero.
    public func zeroGrad() { torchCheck(lt_zero_grad(handle), "zero_grad") }

    /// Accumulates gradients of this tensor into the leaves that require them.
    ///
    /// A non-scalar tensor needs `gradient` (the vector of the vector-Jacobian product).
    /// `retainGraph` keeps the graph for a second backward pass.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) {
        withExtendedLifetime(gradient) {
            torchCheck(lt_backward(handle, gradient?.handle, retainGraph), "backward")
        }
    }

    /// The same values cut from the autograd graph (shares storage).
    public func detached() -> Tensor { unary(LT_DETACH, "detach") }

    /// Gradients of Σ outputs with respect to `inputs`, without touching any `.grad`.
    ///
    /// Each output must be a scalar. An input that does not influence the outputs gets nil.
    public static func gradients(of outputs: [Tensor], withRespectTo inputs: [Tensor], retainGraph: Bool = false) -> [Tensor?] {
        var results = [OpaquePointer?](repeating: nil, count: inputs.count)
        withHandles(outputs) { outs, nOut in
            withHandles(inputs) { ins, nIn in
                results.withUnsafeMutableBufferPointer { buffer in
                    torchCheck(lt_autograd_grad(outs, nOut, ins, nIn, retainGraph, buffer.baseAddress), "autograd.grad")
                }
            }
        }
        return results.map { $0.map { Tensor(owning: $0) } }
    }
}
