import Foundation
import Testing
import LucidSupport
import LucidTestSupport
@testable import LucidCLI

/// Seeded random command lines (issue 20): every one parses into a command whose numbers hold
/// their ranges, or is refused by the parser or a `validate()`; nothing traps. In-process, parse and
/// validation only (no command runs). Budget: `LUCID_FUZZ_ITERATIONS`, else 400.
@Suite("flag fuzzing")
struct FlagFuzzTests {
    static let iterations = FuzzBudget.iterations(default: 400)

    static let commands: [[String]] = [
        ["generate", "--prompt", "hi"], ["attack", "sink", "--image", "x.png", "--out", "y.png"], ["attack", "pgd", "--image", "x.png", "--out", "y.png"],
        ["world", "generate", "--out", "w"], ["info", "smollm2"], ["eval", "pope", "build", "--objects", "o.json", "--out", "p"],
        ["eval", "asr", "--responses", "r.jsonl"], ["run", "m.yaml"], ["analyze", "attention"], ["inspect"], ["tokenize", "--text", "a"],
    ]
    static let options = ["--max-new-tokens", "--beams", "--temperature", "--top-k", "--top-p", "--min-p", "--min-new-tokens",
                          "--logit-bias", "--seed", "--eps", "--step-size", "--steps", "--count", "--image-size", "--array-limit", "--images", "--positives", "--shard", "--opera-candidates",
                          "--opera-threshold", "--cd-alpha", "--cd-beta", "--vcd-noise-step", "--damro-outliers", "--length-penalty",
                          "--hazard-probability", "--objects", "--layer", "--alpha", "--sigma", "--first-image-id", "--repetition-penalty",
                          "--presence-penalty", "--frequency-penalty"]
    static let values = ["-1", "0", "1", "2", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "nan", "inf", "-inf",
                         "1e309", "", "abc", "-8/255", "8/255", "1/0", "0.5", "3/8", "1-6", "-.5", "\u{1B}[2J", "1\u{0}", "١"]

    @Test func randomCommandLinesParseInRangeOrAreRefused() {
        var random = FuzzBudget.generator(SplitMix64(state: 24))
        var accepted = 0
        for _ in 0..<Self.iterations {
            var arguments = Self.commands[Int.random(in: 0..<Self.commands.count, using: &random)]
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let option = Self.options[Int.random(in: 0..<Self.options.count, using: &random)]
                let value = Self.values[Int.random(in: 0..<Self.values.count, using: &random)]
                arguments += Bool.random(using: &random) ? [option, value] : ["\(option)=\(value)"]
            }
            guard let command = try? LucidCommand.parseAsRoot(NegativeNumberArguments.joined(arguments)) else { continue }
            accepted += 1
            if let generate = command as? GenerateCommand {
                #expect((1...1 << 20).contains(generate.maxNewTokens), "\(arguments)")
                #expect(generate.beams.map { (1...64).contains($0) } ?? true, "\(arguments)")
                #expect(generate.temperature.map { $0 > 0 && $0.isFinite } ?? true, "\(arguments)")
                #expect(generate.topP > 0 && generate.topP <= 1, "\(arguments)")
                #expect((try? generate.limits().validateLogitsProcessing(vocabularySize: Int.max)) != nil, "\(arguments)")
            }
        }
        #expect(accepted < Self.iterations)
    }
}
