import ArgumentParser
import Testing
@testable import LucidCLI

/// Floating-point flags take decimal numbers only (issue 20): swift-argument-parser reads `Double`
/// through `Double(String)`, which takes `0x1p3` as 8.
@Suite("decimal flags")
struct DecimalFlagTests {
    func refusal(_ arguments: [String]) throws -> String? {
        let command = try LucidCommand.parseAsRoot(arguments)
        do {
            try DecimalFlags.check(command, arguments: arguments)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aHexadecimalValueOfAFloatingPointFlagIsRefusedNamingTheFlag() throws {
        let separate = try refusal(["generate", "--prompt", "hi", "--temperature", "0x1p3"])
        #expect(separate?.contains("--temperature: '0x1p3' is a hexadecimal number") == true, "\(separate ?? "accepted")")
        let joined = try refusal(["generate", "--prompt", "hi", "--temperature", "1", "--top-p=0x1p-1"])
        #expect(joined?.contains("--top-p") == true, "\(joined ?? "accepted")")
        let world = try refusal(["world", "generate", "--out", "w", "--hazard-probability", "0x0.8p0"])
        #expect(world?.contains("--hazard-probability") == true, "\(world ?? "accepted")")
    }

    @Test func decimalValuesAndHexLookingTextOfOtherOptionsPass() throws {
        #expect(try refusal(["generate", "--prompt", "0x10", "--temperature", "0.7", "--top-p=0.9"]) == nil)
        // After `--` everything is positional: not an option's value.
        let command = try LucidCommand.parseAsRoot(["generate", "--prompt", "hi"])
        #expect(throws: Never.self) { try DecimalFlags.check(command, arguments: ["generate", "--prompt", "hi", "--", "--temperature", "0x1p3"]) }
    }

    @Test func optionNamesFollowTheParsersConvention() {
        #expect(DecimalFlags.optionName("topP") == "top-p")
        #expect(DecimalFlags.optionName("cdAlpha") == "cd-alpha")
        #expect(DecimalFlags.optionName("temperature") == "temperature")
        #expect(DecimalFlags.optionName("maxURLCount") == "max-url-count")
    }

    @Test func everyFloatingPointOptionOfGenerateIsFound() throws {
        let command = try LucidCommand.parseAsRoot(["generate", "--prompt", "hi"])
        let names = Set(DecimalFlags.floatingOptionNames(command))
        #expect(names.isSuperset(of: ["temperature", "top-p", "length-penalty", "cd-alpha", "cd-beta", "opera-scale", "opera-penalty"]), "\(names)")
    }
}
