extension Sequence where Element: Hashable {
    /// The elements without repeats, each kept where it first occurs (a `Set` would reorder them, and its
    /// order changes from one run to the next).
    public func uniqueInOrder() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
