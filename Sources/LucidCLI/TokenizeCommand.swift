import ArgumentParser
import Foundation
import LucidText

/// `lucid tokenize`: token ids of a text (no special tokens added).
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text (no special tokens added, no chat template)."
    )

    @Option(help: "Model: a GGUF file, a Hugging Face directory with tokenizer.json (or its repository id in the local hub cache), or `smollm2`.")
    var model: String = "smollm2"

    @Option(help: "The text to tokenize.")
    var text: String

    @Flag(help: "Print JSON: ids and the token strings.")
    var json = false

    func run() throws {
        let tokenizer = try openTokenizer(model)
        let ids = tokenizer.encode(text, addSpecialTokens: false)
        if json {
            let object: [String: Any] = ["ids": ids, "tokens": ids.map { tokenizer.token(for: $0) ?? "" }, "count": ids.count]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
