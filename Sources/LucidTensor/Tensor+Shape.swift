import CTorch

// Views and re-arrangements. Views share storage with their source.

extension Tensor {
    /// Same elements in a new shape; one dimension may be −1 (inferred).
    public func reshaped(_ shape: [Int]) -> Tensor {
        withInt64s(shape) { dims, n in Tensor.make("reshape") { lt_reshape(handle, dims, n, $0) } }
    }
    public func reshaped(_ shape: Int...) -> Tensor { reshaped(shape) }

    /// Reorders dimensions: result dimension i is input dimension `order[i]`.
    public func permuted(_ order: [Int]) -> Tensor {
        withInt64s(order) { dims, n in Tensor.make("permute") { lt_permute(handle, dims, n, $0) } }
    }
    public func permuted(_ order: Int...) -> Tensor { permuted(order) }

    /// Swaps two dimensions.
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        Tensor.make("transpose") { lt_transpose(handle, Int64(a), Int64(b), $0) }
    }

    /// Swaps the last two dimensions.
    public var mT: Tensor { transposed(-2, -1) }

    /// Broadcasts size-1 dimensions to `shape` without copying (−1 keeps a dimension).
    public func expanded(_ shape: [Int]) -> Tensor {
        withInt64s(shape) { dims, n in Tensor.make("expand") { lt_expand(handle, dims, n, $0) } }
    }

    /// Tiles the tensor `repeats[i]` times along dimension i (copies).
    public func repeated(_ repeats: [Int]) -> Tensor {
        withInt64s(repeats) { dims, n in Tensor.make("repeat") { lt_repeat(handle, dims, n, $0) } }
    }

    /// Removes dimension `axis` if it has size 1.
    public func squeezed(axis: Int) -> Tensor { Tensor.make("squeeze") { lt_squeeze(handle, Int64(axis), $0) } }

    /// Inserts a size-1 dimension at `axis`.
    public func unsqueezed(axis: Int) -> Tensor { Tensor.make("unsqueeze") { lt_unsqueeze(handle, Int64(axis), $0) } }

    /// Merges dimensions `start…end` into one.
    public func flattened(from start: Int = 0, to end: Int = -1) -> Tensor {
        Tensor.make("flatten") { lt_flatten(handle, Int64(start), Int64(end), $0) }
    }

    /// `length` elements along `axis` starting at `start` (a view).
    public func narrowed(axis: Int, start: Int, length: Int) -> Tensor {
        Tensor.make("narrow") { lt_narrow(handle, Int64(axis), Int64(start), Int64(length), $0) }
    }

    /// Elements `start..<end` by `step` along `axis` (a view; bounds are clipped as in Python).
    public func sliced(axis: Int, start: Int = 0, end: Int = Int.max, step: Int = 1) -> Tensor {
        Tensor.make("slice") { lt_slice(handle, Int64(axis), Int64(start), Int64(end), Int64(step), $0) }
    }

    /// The sub-tensor at `index` along `axis`, removing that dimension (negative counts from the end).
    public func selected(axis: Int, index: Int) -> Tensor {
        Tensor.make("select") { lt_select(handle, Int64(axis), Int64(index), $0) }
    }

    /// Reverses the order along `axes`.
    public func flipped(axes: [Int]) -> Tensor {
        withInt64s(axes) { dims, n in Tensor.make("flip") { lt_flip(handle, dims, n, $0) } }
    }

    /// Lower triangle (elements above `diagonal` zeroed).
    public func lowerTriangle(diagonal: Int = 0) -> Tensor { Tensor.make("tril") { lt_tril(handle, Int64(diagonal), $0) } }

    /// Upper triangle (elements below `diagonal` zeroed).
    public func upperTriangle(diagonal: Int = 0) -> Tensor { Tensor.make("triu") { lt_triu(handle, Int64(diagonal), $0) } }

    /// Pads the trailing dimensions with a constant: `pads` = [lastBefore, lastAfter, secondLastBefore, …].
    public func padded(_ pads: [Int], value: Double = 0) -> Tensor {
        withInt64s(pads) { p, n in Tensor.make("pad") { lt_pad(handle, p, n, value, $0) } }
    }

    /// Splits along `axis` into pieces of `size` (the last may be smaller).
    public func split(size: Int, axis: Int = 0) -> [Tensor] {
        precondition(size > 0, "split size must be positive")
        let total = self.size(axis)
        var sizes: [Int] = []
        var start = 0
        while start < total {
            sizes.append(Swift.min(size, total - start))
            start += size
        }
        return split(sizes: sizes, axis: axis)
    }

    /// Splits along `axis` into pieces with the given sizes (which must add up to the dimension).
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        var outs = [OpaquePointer?](repeating: nil, count: sizes.count)
        withInt64s(sizes) { s, n in
            outs.withUnsafeMutableBufferPointer { buffer in
                torchCheck(lt_split_with_sizes(handle, s, n, Int64(axis), buffer.baseAddress), "split")
            }
        }
        return outs.map { pointer in
            guard let pointer else { fatalError("libtorch split: missing piece") }
            return Tensor(owning: pointer)
        }
    }

    /// Joins tensors along an existing axis.
    public static func cat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        withHandles(tensors) { hs, n in Tensor.make("cat") { lt_cat(hs, n, Int64(axis), $0) } }
    }

    /// Joins tensors along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        withHandles(tensors) { hs, n in Tensor.make("stack") { lt_stack(hs, n, Int64(axis), $0) } }
    }
}
