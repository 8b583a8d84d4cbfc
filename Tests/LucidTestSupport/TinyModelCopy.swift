import Foundation

/// Copies of the tiny model fixtures (Tests/LucidModelsTests/Fixtures) that open with a tokenizer.
public enum TinyModelCopy {
    /// The fixtures' folder.
    public static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures")

    /// A copy of the tiny `family` fixture with a tokenizer, in a temporary directory (removed by the
    /// caller): its model files and `extraFiles`, a `tokenizer.json` that is the InstructBLIP fixture's
    /// Q-Former WordPiece tokenizer (60 ids, inside every tiny decoder's vocabulary) with `addedTokens`
    /// at the fixture's ids (the fixtures ship no tokenizer of their own), and `chatTemplate` in
    /// `tokenizer_config.json` (none: no such file, as InstructBLIP's tokenizers carry no template).
    /// `addedTokens` are special (decoding with `skipSpecialTokens` drops them); `plainTokens` are added
    /// tokens that are not, as Qwen3's `<think>` and `</think>`.
    public static func make(_ family: String, extraFiles: [String] = [], addedTokens: [(content: String, id: Int)],
                            plainTokens: [(content: String, id: Int)] = [], chatTemplate: String?) throws -> URL {
        let fm = FileManager.default
        let source = fixtures.appendingPathComponent("\(family)/model")
        let folder = fm.temporaryDirectory.appendingPathComponent("lucid-\(family)-copy-\(UUID().uuidString)")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["config.json", "generation_config.json", "model.safetensors", "preprocessor_config.json"] + extraFiles {
            try fm.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let base = fixtures.appendingPathComponent("instructblip/model/qformer_tokenizer/tokenizer.json")
        guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: base)) as? [String: Any],
              var added = object["added_tokens"] as? [[String: Any]] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: base.path])
        }
        for (token, special) in addedTokens.map({ ($0, true) }) + plainTokens.map({ ($0, false) }) {
            added.append(["id": token.id, "content": token.content, "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": special])
        }
        object["added_tokens"] = added
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: folder.appendingPathComponent("tokenizer.json"))
        if let chatTemplate {
            try JSONSerialization.data(withJSONObject: ["chat_template": chatTemplate], options: [.sortedKeys])
                .write(to: folder.appendingPathComponent("tokenizer_config.json"))
        }
        return folder
    }
}
