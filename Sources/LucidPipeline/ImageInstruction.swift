import Foundation
import LucidModels
import LucidText

/// What `OpenedModel.setImageInstruction` did with the prompt's text.
public enum ImageInstruction: Equatable, Sendable {
    /// The family's image encoder reads no text (every family but InstructBLIP).
    case notRead
    /// The encoder now reads these token ids.
    case set(ids: [Int])
    /// The family's processor reads the text through a tokenizer the model directory does not ship
    /// (`path`); the encoder reads no instruction, unlike the reference processor.
    case missingTokenizer(path: String)
}

/// Gives a prompt's text to the image encoder of one opened model (`ModelFamily.imageInstruction`).
public typealias ImageInstructionReader = (_ text: String) throws -> ImageInstruction

extension ModelFamily {
    /// InstructBLIP's processor: the prompt through the BERT tokenizer of `qformer_tokenizer/`
    /// (what `InstructBlipProcessor.save_pretrained` writes), special tokens added, as the Q-Former's
    /// instruction. The tokenizer is loaded once, here.
    static func instructBlipInstruction(directory: String, model: any VisionLanguageModel) throws -> ImageInstructionReader {
        guard let blip = model as? InstructBlipForConditionalGeneration else { throw ModelOpenError("\(directory): not an InstructBLIP model") }
        let folder = (directory as NSString).appendingPathComponent("qformer_tokenizer")
        let file = (folder as NSString).appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: file) else { return { _ in .missingTokenizer(path: file) } }
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: folder))
        return { text in
            let ids = tokenizer.encode(text, addSpecialTokens: true)
            do { try blip.check(instruction: ids) } catch { throw ModelOpenError("\(file): \(error)") }
            blip.qformerInstruction = ids
            return .set(ids: ids)
        }
    }
}

extension OpenedModel {
    /// Whether the family's image encoder reads the prompt's text (InstructBLIP).
    public var readsImageInstruction: Bool { vision != nil && family.imageInstruction != nil }

    /// Gives the image encoder the prompt's user text where the family's processor does (InstructBLIP:
    /// `qformer_input_ids`); call it before embedding images. Text-independent families: `.notRead`.
    @discardableResult
    public func setImageInstruction(_ text: String) throws -> ImageInstruction {
        guard let vision, let makeReader = family.imageInstruction else { return .notRead }
        if instructionReader == nil { instructionReader = try makeReader(path, vision) }
        guard let instructionReader else { return .notRead }
        return try instructionReader(text)
    }
}
