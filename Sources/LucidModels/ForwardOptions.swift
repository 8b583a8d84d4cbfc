import LucidTensor

/// Which layers a forward pass captures; negative indices count from the end.
public enum LayerSelection: Sendable, Equatable {
    case none
    case all
    case layers([Int])

    /// Whether layer `index` of `count` is selected.
    public func contains(_ index: Int, of count: Int) -> Bool {
        switch self {
        case .none: return false
        case .all: return true
        case .layers(let list): return list.contains { ($0 < 0 ? $0 + count : $0) == index }
        }
    }

    public var isEmpty: Bool { self == .none || self == .layers([]) }
}

/// How captured attention probabilities are reduced over heads.
public enum HeadReduction: Sendable, Equatable {
    /// Every head: [B, H, T, S].
    case none
    /// Mean over heads: [B, 1, T, S].
    case mean
    /// Maximum over heads: [B, 1, T, S] (OPERA).
    case max
}

/// Which positions get vocabulary logits (the projection is costly for large vocabularies).
public enum LogitsSelection: Sendable, Equatable {
    case all
    case last
    case none
}

/// Positions of the residual stream an intervention reads and rewrites.
public enum PositionSelection: Sendable, Equatable {
    case all
    /// The last position of the current forward pass.
    case last
    /// Absolute positions (counting cached ones); positions outside this pass are ignored.
    case positions([Int])
}

/// A rewrite of the output of one decoder layer, passed explicitly with a forward pass.
///
/// `transform` receives the selected slice of the layer output, [B, P, D], with the absolute
/// positions it covers, and returns the replacement of the same shape. Used for SCAV steering,
/// activation patching and ablations. Hidden-state capture sees the rewritten values.
public struct ResidualIntervention {
    /// Decoder layer whose output is rewritten (0-based; negative counts from the end).
    public var layer: Int
    public var positions: PositionSelection
    public var transform: (_ hidden: Tensor, _ positions: [Int]) -> Tensor

    public init(layer: Int, positions: PositionSelection = .all,
                transform: @escaping (_ hidden: Tensor, _ positions: [Int]) -> Tensor) {
        self.layer = layer
        self.positions = positions
        self.transform = transform
    }

    /// Adds `vector` [D] to the selected positions.
    public static func add(_ vector: Tensor, layer: Int, positions: PositionSelection = .all) -> ResidualIntervention {
        ResidualIntervention(layer: layer, positions: positions) { hidden, _ in hidden + vector }
    }
}

/// What a forward pass captures besides logits, and how its new tokens attend. Nothing is
/// materialised that was not asked for.
public struct ForwardOptions {
    /// LLM self-attention probabilities to capture.
    public var attentionLayers: LayerSelection = .none
    public var attentionReduction: HeadReduction = .none
    /// LLM hidden states to capture, Hugging Face indexing: 0 = embeddings, i = output of decoder
    /// layer i−1, and the last index (= layer count) is after the final norm.
    public var hiddenStates: LayerSelection = .none
    /// Vision-tower attention probabilities, hidden states (same indexing) and projected q/k.
    public var visionAttentionLayers: LayerSelection = .none
    public var visionHiddenStates: LayerSelection = .none
    public var visionQueryKeyLayers: LayerSelection = .none
    public var logits: LogitsSelection = .all
    public var interventions: [ResidualIntervention] = []
    /// Attention mask [B, S] over cached and new positions (true = attend), for left-padded
    /// batches. Positions are shared by the rows; RoPE depends only on relative positions, so a
    /// left-padded row computes what it would alone, up to rounding.
    public var paddingMask: Tensor?
    /// The T new tokens are alternatives for the same next position: each one sits at position
    /// `cache.length` and attends to the cache and to itself only, so one pass scores T candidate
    /// continuations (OPERA's look-ahead). The cache grows by T; truncate it afterwards.
    public var parallelCandidates = false
    /// Absolute RoPE positions of the new tokens, [T] integers, [B, T] when rows sit at different
    /// positions (continuous batching), or M-RoPE's [3, 1, T] (temporal, row, column; a decoder with
    /// `mrope_section`); nil: `cache.length + cache.positionOffset ..< … + T` (one position for parallel
    /// candidates). After a pass with [T] or [3, 1, T] positions the cache continues after the largest.
    /// Vision-language models give theirs with `positionIDs`.
    public var positions: Tensor?

    public init(attentionLayers: LayerSelection = .none, attentionReduction: HeadReduction = .none,
                hiddenStates: LayerSelection = .none, logits: LogitsSelection = .all,
                interventions: [ResidualIntervention] = []) {
        self.attentionLayers = attentionLayers
        self.attentionReduction = attentionReduction
        self.hiddenStates = hiddenStates
        self.logits = logits
        self.interventions = interventions
    }

    /// Logits only.
    public static var logitsOnly: ForwardOptions { ForwardOptions() }
}

/// What a forward pass returns: logits and the captured tensors, keyed by layer index.
public final class ForwardTrace {
    /// [B, T, V] (`.all`), [B, 1, V] (`.last`), or nil (`.none`).
    public var logits: Tensor?
    /// Attention probabilities per decoder layer: [B, H or 1, T, S] (S counts cached positions).
    public var attentions: [Int: Tensor] = [:]
    /// Hidden states by Hugging Face index: [B, T, D].
    public var hiddenStates: [Int: Tensor] = [:]
    /// Vision-tower captures of a prompt's lone image (filled by vision-language models), each with a
    /// leading axis of tiles: attentions [tiles, H, N, N], hidden states [tiles, N, D] (LLaVA-1.5,
    /// InstructBLIP: one tile; LLaVA-NeXT/OneVision: every tile; Qwen2-VL: [1, N, D], its patches).
    /// Empty when the prompt has several images: see `imageTraces`.
    public var visionAttentions: [Int: Tensor] = [:]
    public var visionHiddenStates: [Int: Tensor] = [:]
    public var visionQueries: [Int: Tensor] = [:]
    public var visionKeys: [Int: Tensor] = [:]
    /// With several images in the prompt: each image's vision captures (the four dictionaries above),
    /// in prompt order, since one image's captures cannot stand for all; empty with one image or none.
    public var imageTraces: [ForwardTrace] = []

    public init() {}

    /// Where one of a prompt's `imageCount` images records its vision captures: this trace for a lone
    /// image, else a new trace appended to `imageTraces` (call once per image, in prompt order).
    public func visionTrace(imageCount: Int) -> ForwardTrace {
        guard imageCount > 1 else { return self }
        let own = ForwardTrace()
        imageTraces.append(own)
        return own
    }
}
