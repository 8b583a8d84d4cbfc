import CTorch

/// One component of a tensor subscript: `t[0, .all, 1..<3]`.
public enum TensorIndex: Sendable {
    /// A single position (removes the dimension); negative counts from the end.
    case at(Int)
    /// A half-open range with a step; nil bounds mean the start or end of the dimension.
    case range(Int?, Int?, step: Int)
    /// The whole dimension.
    case all
    /// A new size-1 dimension.
    case newAxis
}

/// A value usable inside a tensor subscript.
public protocol TensorIndexConvertible {
    var tensorIndex: TensorIndex { get }
}

extension TensorIndex: TensorIndexConvertible { public var tensorIndex: TensorIndex { self } }
extension Int: TensorIndexConvertible { public var tensorIndex: TensorIndex { .at(self) } }
extension Range: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(lowerBound, upperBound, step: 1) }
}
extension ClosedRange: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(lowerBound, upperBound == -1 ? nil : upperBound + 1, step: 1) }
}
extension PartialRangeFrom: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(lowerBound, nil, step: 1) }
}
extension PartialRangeUpTo: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(nil, upperBound, step: 1) }
}
extension PartialRangeThrough: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(nil, upperBound == -1 ? nil : upperBound + 1, step: 1) }
}

extension Tensor {
    /// Basic indexing as in Python: integers select, ranges slice (views), `.newAxis` inserts.
    ///
    /// Setting copies the value (broadcast) into the selected view of this tensor's storage.
    public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
        get { view(indices.map(\.tensorIndex)) }
        set { view(indices.map(\.tensorIndex)).copy(from: newValue) }
    }

    /// The view selected by `indices`, applied to leading dimensions in order.
    public func view(_ indices: [TensorIndex]) -> Tensor {
        var result = self
        var axis = 0
        for index in indices {
            switch index {
            case .at(let position):
                result = result.selected(axis: axis, index: position)
            case .range(let start, let end, let step):
                let size = result.size(axis)
                let lower = start.map { $0 < 0 ? $0 + size : $0 } ?? 0
                let upper = end.map { $0 < 0 ? $0 + size : $0 } ?? size
                result = result.sliced(axis: axis, start: Swift.max(0, lower), end: Swift.min(size, Swift.max(0, upper)), step: step)
                axis += 1
            case .all:
                axis += 1
            case .newAxis:
                result = result.unsqueezed(axis: axis)
                axis += 1
            }
        }
        return result
    }

    /// Picks values along `axis` at `index` positions (same rank as `self`).
    public func gather(axis: Int, index: Tensor) -> Tensor {
        Tensor.make("gather") { lt_gather(handle, Int64(axis), index.handle, $0) }
    }

    /// Writes `source` values into a copy of `self` at `index` positions along `axis`.
    public func scattering(axis: Int, index: Tensor, source: Tensor) -> Tensor {
        Tensor.make("scatter") { lt_scatter(handle, Int64(axis), index.handle, source.handle, $0) }
    }

    /// Adds `source` values into a copy of `self` at `index` positions along `axis`.
    public func scatterAdding(axis: Int, index: Tensor, source: Tensor) -> Tensor {
        Tensor.make("scatter_add") { lt_scatter_add(handle, Int64(axis), index.handle, source.handle, $0) }
    }

    /// The slices at `index` (1-D `i64`) along `axis`, e.g. embedding rows.
    public func indexSelect(axis: Int, index: Tensor) -> Tensor {
        Tensor.make("index_select") { lt_index_select(handle, Int64(axis), index.handle, $0) }
    }

    /// A copy of `self` whose slices at `index` along `axis` are replaced by `source` (differentiable).
    public func indexCopying(axis: Int, index: Tensor, source: Tensor) -> Tensor {
        Tensor.make("index_copy") { lt_index_copy(handle, Int64(axis), index.handle, source.handle, $0) }
    }

    /// Elements where `mask` is true replaced by `value`.
    public func maskedFill(_ mask: Tensor, _ value: some TensorScalar) -> Tensor {
        let scalar = value.scalarValue.lt
        return Tensor.make("masked_fill") { lt_masked_fill(handle, mask.handle, scalar, $0) }
    }

    /// Elements of `self` where `mask` is true, as a 1-D tensor.
    public func maskedSelect(_ mask: Tensor) -> Tensor {
        Tensor.make("masked_select") { lt_masked_select(handle, mask.handle, $0) }
    }

    /// Coordinates of non-zero elements, one row per element (`i64`, shape [n, rank]).
    public func nonzero() -> Tensor { Tensor.make("nonzero") { lt_nonzero(handle, $0) } }

    /// `a` where `condition` is true, else `b` (broadcasting).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        Tensor.make("where") { lt_where(condition.handle, a.handle, b.handle, $0) }
    }
}
