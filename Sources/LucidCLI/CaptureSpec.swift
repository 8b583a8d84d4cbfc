import LucidModels

/// What `lucid inspect --capture` asks for: `all`, or a comma list of `logits`, `attentions[:L]`,
/// `hidden[:I]`, `vision.attentions[:L]`, `vision.hidden[:I]` (no index = every layer; negative
/// indices count from the end).
struct CaptureSpec: Equatable {
    var logits = false
    var attentions: LayerSelection = .none
    var hidden: LayerSelection = .none
    var visionAttentions: LayerSelection = .none
    var visionHidden: LayerSelection = .none

    static let all = CaptureSpec(logits: true, attentions: .all, hidden: .all, visionAttentions: .all, visionHidden: .all)

    init(logits: Bool = false, attentions: LayerSelection = .none, hidden: LayerSelection = .none,
         visionAttentions: LayerSelection = .none, visionHidden: LayerSelection = .none) {
        self.logits = logits
        self.attentions = attentions
        self.hidden = hidden
        self.visionAttentions = visionAttentions
        self.visionHidden = visionHidden
    }

    init(parsing text: String) throws {
        if text.trimmingCharacters(in: .whitespaces) == "all" { self = .all; return }
        for raw in text.split(separator: ",") {
            let item = raw.trimmingCharacters(in: .whitespaces)
            let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
            var index: Int?
            if parts.count == 2 {
                guard let value = Int(parts[1]) else { throw CLIError("--capture: '\(item)' has a layer index that is not an integer") }
                index = value
            }
            func merge(_ selection: inout LayerSelection) {
                guard let index else { selection = .all; return }
                switch selection {
                case .all: break
                case .none: selection = .layers([index])
                case .layers(let list): selection = .layers(list + [index])
                }
            }
            switch parts[0] {
            case "logits":
                guard index == nil else { throw CLIError("--capture: logits take no layer index") }
                logits = true
            case "attentions", "attention": merge(&attentions)
            case "hidden", "hidden_states": merge(&hidden)
            case "vision.attentions", "vision.attention": merge(&visionAttentions)
            case "vision.hidden", "vision.hidden_states": merge(&visionHidden)
            default:
                throw CLIError("--capture: unknown item '\(parts[0])' (use all, logits, attentions[:L], hidden[:I], vision.attentions[:L], vision.hidden[:I])")
            }
        }
    }

    var forwardOptions: ForwardOptions {
        var options = ForwardOptions(attentionLayers: attentions, hiddenStates: hidden, logits: logits ? .all : .none)
        options.visionAttentionLayers = visionAttentions
        options.visionHiddenStates = visionHidden
        return options
    }
}

import Foundation
