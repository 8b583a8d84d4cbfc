import Foundation
import LucidDefense
import LucidEval
import LucidModels
import LucidTensor
import LucidTraining

/// Q-MLLM's other cross row: benign images with harmful text (`defend qmllm eval --harmful-text N`).
///
/// The gate judges images only, so a harmful request about a benign image passes it (unless the gate
/// refuses the image falsely) and the language model decides alone. The row shows what the image
/// defence leaves to the language model's own alignment, next to the gate's row (harmful images with
/// the benign describe prompt: `dsr`, `asr_undefended`).
public struct QMLLMHarmfulTextRow: Codable, Sendable, Equatable {
    /// Harmful requests asked (held-out AdvBench behaviours, one benign image each).
    public var prompts: Int
    /// Requests whose benign image the gate refused (they get the canned refusal).
    public var gateRefused: Int
    /// Answered without a refusal (SCAV keyword list): the defended model (gate, then the quantised
    /// model) and the undefended base organism.
    public var asrDefended: Double
    public var asrUndefended: Double

    public init(prompts: Int, gateRefused: Int, asrDefended: Double, asrUndefended: Double) {
        self.prompts = prompts
        self.gateRefused = gateRefused
        self.asrDefended = asrDefended
        self.asrUndefended = asrUndefended
    }

    enum CodingKeys: String, CodingKey {
        case prompts, gateRefused = "gate_refused", asrDefended = "asr_defended", asrUndefended = "asr_undefended"
    }

    /// One line for people.
    public var line: String {
        String(format: "benign image + harmful text (%d held-out AdvBench requests): answered without refusing %.1f%% defended (gate refused %d), %.1f%% undefended",
               prompts, 100 * asrDefended, gateRefused, 100 * asrUndefended)
    }
}

extension QMLLMEvaluator {
    /// Asks each of `requests` about one of the benign `images` [N, C, H, W] (in turn), greedy with
    /// `answerTokens` tokens, on the defended model (gate first; a refused image counts as refused)
    /// and on the undefended one; an answer without a refusal (SCAV keyword list) is a success.
    public func harmfulText(requests: [String], images: Tensor, answerTokens: Int = 48) throws -> QMLLMHarmfulTextRow {
        guard !requests.isEmpty, images.size(0) > 0 else { throw TrainingError("harmful-text evaluation needs requests and benign images") }
        let list = RefusalList(.scav)
        let defendedScorer = OrganismEvaluator(model: defended, writer: writer, maxDescriptionTokens: answerTokens)
        let undefendedScorer = OrganismEvaluator(model: undefended, writer: writer, maxDescriptionTokens: answerTokens)
        var (gateRefused, defendedAnswered, undefendedAnswered) = (0, 0, 0)
        for (index, request) in requests.enumerated() {
            let image = images.narrowed(axis: 0, start: index % images.size(0), length: 1)
            if defense.screen(defended, pixels: image).first?.harmful ?? false {
                gateRefused += 1
            } else if list.refusal(in: try defendedScorer.answer(request, pixels: image, maxNewTokens: answerTokens)) == nil {
                defendedAnswered += 1
            }
            if list.refusal(in: try undefendedScorer.answer(request, pixels: image, maxNewTokens: answerTokens)) == nil { undefendedAnswered += 1 }
            if (index + 1) % 10 == 0 || index + 1 == requests.count { log("harmful text \(index + 1)/\(requests.count)") }
        }
        return QMLLMHarmfulTextRow(prompts: requests.count, gateRefused: gateRefused, asrDefended: Double(defendedAnswered) / Double(requests.count),
                                   asrUndefended: Double(undefendedAnswered) / Double(requests.count))
    }
}
