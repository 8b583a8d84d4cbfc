import LucidTensor

/// Keys and values of every decoder layer for one batch of sequences, owned by the decoder that
/// runs it.
///
/// Storage is preallocated and grows by doubling, so appending one token copies only that token.
/// Caches are values in spirit: `fork()` and `snapshot()` copy the valid part, so look-ahead and
/// rollback (OPERA) never disturb the original. `reorder(_:)` selects batch rows (beam search).
/// Keys are stored after RoPE.
public final class KVCache {
    final class Layer {
        var keys: Tensor?
        var values: Tensor?
        var length = 0
    }

    let layers: [Layer]

    /// Added to the cache length to get the RoPE position of the next token. Zero unless a pass ran with
    /// explicit positions (`ForwardOptions.positions`) whose largest value is not its last index: then
    /// later tokens continue from that largest position + 1 (M-RoPE's "rope delta", which can be negative).
    public var positionOffset = 0

    /// A cache for a decoder with `layerCount` layers.
    public init(layerCount: Int) {
        layers = (0..<layerCount).map { _ in Layer() }
    }

    /// Number of cached positions (the same in every layer between forward passes).
    public var length: Int { layers.first?.length ?? 0 }

    /// Number of sequences (batch rows), or nil while empty.
    public var batchSize: Int? { layers.first?.keys?.size(0) }

    /// Where the cached keys live (the model's device; the CPU before anything is cached): index
    /// tensors made on the host go there.
    var storageDevice: Device { layers.lazy.compactMap(\.keys).first?.device ?? .cpu }

    /// Appends `keys`/`values` [B, H, T, D] to layer `index` and returns the whole valid cache.
    ///
    /// With autograd recording through the new tensors, a functional concatenation is used
    /// instead of the in-place buffer write, so gradients flow through cached keys.
    func append(layer index: Int, keys: Tensor, values: Tensor) -> (keys: Tensor, values: Tensor) {
        let layer = layers[index]
        let new = keys.size(2)
        let recording = Torch.isGradEnabled && (keys.requiresGrad || values.requiresGrad)
        guard let storedKeys = layer.keys, let storedValues = layer.values else {
            if recording {
                layer.keys = keys
                layer.values = values
            } else {
                let capacity = Swift.max(16, new * 2)
                layer.keys = Self.allocate(like: keys, capacity: capacity)
                layer.values = Self.allocate(like: values, capacity: capacity)
                write(layer, keys: keys, values: values, at: 0)
            }
            layer.length = new
            return valid(layer)
        }
        let needed = layer.length + new
        if recording || storedKeys.requiresGrad {
            let k = Tensor.cat([storedKeys.narrowed(axis: 2, start: 0, length: layer.length), keys], axis: 2)
            let v = Tensor.cat([storedValues.narrowed(axis: 2, start: 0, length: layer.length), values], axis: 2)
            layer.keys = k
            layer.values = v
            layer.length = needed
            return (k, v)
        }
        if needed > storedKeys.size(2) {
            let capacity = Swift.max(needed, storedKeys.size(2) * 2)
            let grownKeys = Self.allocate(like: storedKeys, capacity: capacity)
            let grownValues = Self.allocate(like: storedValues, capacity: capacity)
            withNoGrad {
                grownKeys.narrowed(axis: 2, start: 0, length: layer.length).copy(from: storedKeys.narrowed(axis: 2, start: 0, length: layer.length))
                grownValues.narrowed(axis: 2, start: 0, length: layer.length).copy(from: storedValues.narrowed(axis: 2, start: 0, length: layer.length))
            }
            layer.keys = grownKeys
            layer.values = grownValues
        }
        write(layer, keys: keys, values: values, at: layer.length)
        layer.length = needed
        return valid(layer)
    }

    private static func allocate(like t: Tensor, capacity: Int) -> Tensor {
        var shape = t.shape
        shape[2] = capacity
        return Tensor.zeros(shape, dtype: t.dtype, device: t.device)
    }

    private func write(_ layer: Layer, keys: Tensor, values: Tensor, at start: Int) {
        guard let k = layer.keys, let v = layer.values else { return }
        withNoGrad {
            k.narrowed(axis: 2, start: start, length: keys.size(2)).copy(from: keys)
            v.narrowed(axis: 2, start: start, length: values.size(2)).copy(from: values)
        }
    }

    private func valid(_ layer: Layer) -> (keys: Tensor, values: Tensor) {
        guard let k = layer.keys, let v = layer.values else { fatalError("KV cache layer is empty") }
        if k.size(2) == layer.length { return (k, v) }
        return (k.narrowed(axis: 2, start: 0, length: layer.length), v.narrowed(axis: 2, start: 0, length: layer.length))
    }

    /// An independent copy of the valid part (a look-ahead branch or a saved state).
    public func fork() -> KVCache {
        let copy = KVCache(layerCount: layers.count)
        for (source, target) in zip(layers, copy.layers) where source.keys != nil {
            let (k, v) = valid(source)
            target.keys = k.clone()
            target.values = v.clone()
            target.length = source.length
        }
        copy.positionOffset = positionOffset
        return copy
    }

    /// A saved state to `restore(_:)` later; the same as `fork()`.
    public func snapshot() -> KVCache { fork() }

    /// Replaces this cache's contents by a copy of `saved`.
    public func restore(_ saved: KVCache) {
        precondition(saved.layers.count == layers.count, "snapshot from a different model")
        let copy = saved.fork()
        for (target, source) in zip(layers, copy.layers) {
            target.keys = source.keys
            target.values = source.values
            target.length = source.length
        }
        positionOffset = copy.positionOffset
    }

    /// Keeps only the first `length` positions.
    public func truncate(to length: Int) {
        precondition(length >= 0 && length <= self.length, "cannot truncate a cache of \(self.length) to \(length)")
        for layer in layers { layer.length = Swift.min(layer.length, length) }
    }

    /// Selects (and repeats) batch rows: row i becomes old row `indices[i]` (beam search).
    ///
    /// Without autograd and with the row count unchanged, the rows are written back into the
    /// preallocated storage, so the next append does not have to grow (copy) the whole cache.
    public func reorder(_ indices: [Int]) {
        if let rows = batchSize, indices == Array(0..<rows) { return }
        let index = Tensor(indices).to(storageDevice)
        for layer in layers where layer.keys != nil {
            let (k, v) = valid(layer)
            let keys = k.indexSelect(axis: 0, index: index)
            let values = v.indexSelect(axis: 0, index: index)
            if let storedKeys = layer.keys, storedKeys.size(0) == indices.count, !storedKeys.requiresGrad,
               !keys.requiresGrad, !values.requiresGrad {
                write(layer, keys: keys, values: values, at: 0)
            } else {
                layer.keys = keys
                layer.values = values
            }
        }
    }

    /// After a `parallelCandidates` pass of `count` alternatives at position `position` (the
    /// cache's length before it), keeps for row `i` the alternative `choices[i]` as its token at
    /// `position` and drops the others; call `reorder(_:)` first if rows change. What remains
    /// equals the cache a plain one-token pass of the chosen tokens would have written.
    public func keepCandidates(_ choices: [Int], at position: Int, count: Int) {
        precondition(length == position + count, "cache holds \(length) positions, expected \(position) + \(count) candidates")
        guard let rows = batchSize else { return }
        precondition(choices.count == rows && choices.allSatisfy { (0..<count).contains($0) }, "one candidate per row in 0..<\(count)")
        let choice = Tensor(choices).reshaped([rows, 1, 1, 1]).to(storageDevice)
        for layer in layers {
            guard let k = layer.keys, let v = layer.values else { continue }
            withNoGrad {
                for stored in [k, v] {
                    let candidates = stored.narrowed(axis: 2, start: position, length: count)
                    let index = choice.expanded([rows, candidates.size(1), 1, candidates.size(3)])
                    let kept = candidates.gather(axis: 2, index: index)
                    stored.narrowed(axis: 2, start: position, length: 1).copy(from: kept)
                }
            }
            layer.length = position + 1
        }
    }

    /// Keys and values of layer `index` (valid part), e.g. for analyses.
    public func entries(layer index: Int) -> (keys: Tensor, values: Tensor)? {
        let layer = layers[index]
        guard layer.keys != nil else { return nil }
        return valid(layer)
    }
}
