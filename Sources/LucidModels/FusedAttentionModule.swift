import LucidNN

/// A module whose attention may run through libtorch's fused kernel: the Llama-family decoder (its
/// prompts) and the attention of the vision towers and the Q-Former (every pass that keeps no
/// probabilities), as transformers' default sdpa attention runs them.
///
/// `ModelLoadOptions.fusedAttention` sets it on a whole model (`Module.setFusedAttention`); off on a
/// module built here.
public protocol FusedAttentionModule: Module {
    /// Whether this module's attention runs through the fused kernel where nothing it would skip is
    /// asked for (probabilities, OPERA's candidates, a decoding step).
    var fusedAttention: Bool { get set }
}

extension Module {
    /// Sets `fusedAttention` on every `FusedAttentionModule` in this module's tree, itself included.
    public func setFusedAttention(_ fused: Bool) {
        for (_, module) in namedModules() { (module as? any FusedAttentionModule)?.fusedAttention = fused }
    }

    /// The `fusedAttention` settings found in this module's tree (one value when they agree; empty
    /// when it has no attention that can fuse).
    public var fusedAttentionSettings: Set<Bool> {
        Set(namedModules().compactMap { ($0.module as? any FusedAttentionModule)?.fusedAttention })
    }
}
