import LucidTensor

extension KVCache {
    /// Appends the rows of `other` below this cache's rows, both right-aligned to the longer length:
    /// the shorter side is left-padded with zeros, which a padding mask must hide. Returns how many
    /// padding positions this cache's rows and `other`'s rows got in front. An empty cache takes
    /// `other`'s rows as they are. (Continuous batching: a prefilled request joins a running batch.)
    @discardableResult
    public func appendRows(_ other: KVCache) -> (existing: Int, appended: Int) {
        precondition(other.layers.count == layers.count, "cache from a different model")
        let (ownLength, otherLength) = (length, other.length)
        let width = Swift.max(ownLength, otherLength)
        for (layer, source) in zip(layers, other.layers) {
            guard let otherKeys = source.keys, let otherValues = source.values else { continue }
            let incomingKeys = otherKeys.narrowed(axis: 2, start: 0, length: source.length)
            let incomingValues = otherValues.narrowed(axis: 2, start: 0, length: source.length)
            guard let keys = layer.keys, let values = layer.values, batchSize != nil else {
                layer.keys = incomingKeys.clone()
                layer.values = incomingValues.clone()
                layer.length = source.length
                continue
            }
            let ownKeys = keys.narrowed(axis: 2, start: 0, length: layer.length)
            let ownValues = values.narrowed(axis: 2, start: 0, length: layer.length)
            layer.keys = withNoGrad { Tensor.cat([Self.leftPadded(ownKeys, to: width), Self.leftPadded(incomingKeys, to: width)], axis: 0) }
            layer.values = withNoGrad { Tensor.cat([Self.leftPadded(ownValues, to: width), Self.leftPadded(incomingValues, to: width)], axis: 0) }
            layer.length = width
        }
        return (width - ownLength, width - otherLength)
    }

    /// Drops the first `count` positions of every row (padding no remaining row needs).
    public func dropLeadingPositions(_ count: Int) {
        precondition(count >= 0 && count <= length, "cannot drop \(count) of \(length) positions")
        guard count > 0 else { return }
        for layer in layers {
            guard let keys = layer.keys, let values = layer.values else { continue }
            let kept = layer.length - count
            layer.keys = withNoGrad { keys.narrowed(axis: 2, start: count, length: kept).clone() }
            layer.values = withNoGrad { values.narrowed(axis: 2, start: count, length: kept).clone() }
            layer.length = kept
        }
    }

    /// Empties the cache (every row leaves).
    public func removeAll() {
        for layer in layers {
            layer.keys = nil
            layer.values = nil
            layer.length = 0
        }
    }

    private static func leftPadded(_ x: Tensor, to width: Int) -> Tensor {
        let missing = width - x.size(2)
        guard missing > 0 else { return x }
        var shape = x.shape
        shape[2] = missing
        return Tensor.cat([Tensor.zeros(shape, dtype: x.dtype, device: x.device), x], axis: 2)
    }
}
