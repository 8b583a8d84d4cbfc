import Foundation

/// Bounds on model configuration values that come from outside (`config.json`, GGUF metadata),
/// checked before any weight is allocated: each dimension has a hard cap, the parameter count is
/// computed with overflow checks and capped at 2⁴⁰; and random initialisation (training a fresh
/// model) refuses a model whose f32 weights would not fit in this machine's memory, instead of
/// being killed by the kernel halfway through. Loading from a checkpoint allocates nothing up front
/// (placeholders, then the file's tensors), so it is not held to the memory check.
public enum ConfigBudget {
    /// Largest accepted hidden, intermediate or head dimension.
    public static let maximumWidth = 1 << 18
    /// Largest accepted vocabulary.
    public static let maximumVocabulary = 1 << 23
    /// Most layers.
    public static let maximumLayers = 1 << 10

    /// `terms` summed as products, or nil on overflow.
    public static func checkedSum(ofProducts terms: [[Int]]) -> Int? {
        var total = 0
        for factors in terms {
            var product = 1
            for factor in factors {
                let (value, overflow) = product.multipliedReportingOverflow(by: factor)
                if overflow { return nil }
                product = value
            }
            let (sum, overflow) = total.addingReportingOverflow(product)
            if overflow { return nil }
            total = sum
        }
        return total
    }

    /// Refuses a width outside 1…`maximum`.
    static func requireWidth(_ value: Int, _ name: String, maximum: Int = maximumWidth) throws(ModelConfigError) {
        guard (1...maximum).contains(value) else { throw ModelConfigError("\(name) \(value) must be in 1…\(maximum)") }
    }

    /// Most parameters a configuration may describe.
    public static let maximumParameters = 1 << 40

    /// Refuses a parameter count that overflowed or exceeds `maximumParameters`.
    static func requireCount(parameters: Int?, what: String) throws(ModelConfigError) {
        guard let parameters, parameters <= maximumParameters else {
            throw ModelConfigError("\(what): the configuration describes more than \(maximumParameters) parameters")
        }
    }

    /// Refuses to initialise `parameters` f32 values when they exceed physical memory.
    public static func requireMemory(parameters: Int?, what: String) throws(ModelConfigError) {
        try requireCount(parameters: parameters, what: what)
        let memory = ProcessInfo.processInfo.physicalMemory
        let bytes = UInt64(parameters ?? 0) * 4
        guard bytes <= memory else {
            throw ModelConfigError("\(what): initialising \(parameters ?? 0) parameters needs \(bytes >> 30) GiB in f32, more than this machine's \(memory >> 30) GiB of memory")
        }
    }
}
