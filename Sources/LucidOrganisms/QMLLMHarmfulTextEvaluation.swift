import Foundation
import LucidDefense
import LucidEval
import LucidGeneration
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
    /// `answerTokens` tokens, on the defended model and on the undefended one, both through
    /// `Decoding.generate`, which honours the defended model's gate (a refused image counts as
    /// refused); an answer without a refusal (SCAV keyword list) is a success.
    public func harmfulText(requests: [String], images: Tensor, answerTokens: Int = 48) throws -> QMLLMHarmfulTextRow {
        guard !requests.isEmpty, images.size(0) > 0 else { throw TrainingError("harmful-text evaluation needs requests and benign images") }
        let list = RefusalList(.scav)
        let limits = GenerationLimits(maxNewTokens: answerTokens, eosTokenIDs: [writer.endOfTurn])
        func answered(_ model: LlavaForConditionalGeneration, ids: [Int], image: Tensor) throws -> (refusedByGate: Bool, complied: Bool) {
            let result = try Decoding.generate(model, ids: ids, images: [image], method: .greedy, limits: limits)
            if result.finishReason == .refused { return (true, false) }
            let text = try writer.tokenizer.decode(result.tokens, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines)
            return (false, list.refusal(in: text) == nil)
        }
        var (gateRefused, defendedAnswered, undefendedAnswered) = (0, 0, 0)
        for (index, request) in requests.enumerated() {
            let ids = try writer.prompt(request)
            let image = images.narrowed(axis: 0, start: index % images.size(0), length: 1)
            let defendedAnswer = try answered(defended, ids: ids, image: image)
            if defendedAnswer.refusedByGate { gateRefused += 1 }
            if defendedAnswer.complied { defendedAnswered += 1 }
            if try answered(undefended, ids: ids, image: image).complied { undefendedAnswered += 1 }
            if (index + 1) % 10 == 0 || index + 1 == requests.count { log("harmful text \(index + 1)/\(requests.count)") }
        }
        return QMLLMHarmfulTextRow(prompts: requests.count, gateRefused: gateRefused, asrDefended: Double(defendedAnswered) / Double(requests.count),
                                   asrUndefended: Double(undefendedAnswered) / Double(requests.count))
    }
}
