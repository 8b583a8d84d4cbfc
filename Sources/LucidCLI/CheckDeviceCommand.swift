import ArgumentParser
import Foundation
import LucidModels
import LucidPipeline
import LucidTensor

/// `lucid check-device --model M --device cuda`: the same model on the CPU and on a device, compared.
struct CheckDeviceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-device",
        abstract: "Run a model on the CPU and on another device with the same inputs and compare the results.",
        discussion: """
        Opens the model twice (cpu and --device, both in --dtype), builds a seeded random prompt (and, \
        for a vision-language model, a seeded random image), and compares the prompt's next-token \
        logits, the gradient of the top token's log-probability with respect to the pixels, and the \
        tokens of greedy, seeded sampling, beam search, OPERA, VCD and DAMRO. Needs no tokenizer or \
        data, so any checkpoint can be checked. Exit status 1 when something differs. Tolerances: \
        relative 2e-3 in f32 (TF32 convolutions), 1e-2 in f16, 5e-2 in bf16; gradients twice that.
        """
    )

    @Option(help: "A model name or path (any that `lucid generate --model` opens).")
    var model: String

    @Option(help: "The device compared with the CPU: cuda (default), cuda:N or cpu.")
    var device = "cuda"

    @Option(help: "Element type on both sides: f32 (default), bf16 or f16.")
    var dtype = "f32"

    @Option(help: "Random prompt tokens (1…512).")
    var promptLength = 12

    @Option(help: "Tokens each decoder generates (1…256).")
    var maxNewTokens = 8

    @Option(help: "Seed of the prompt, the image and sampling.")
    var seed: UInt64 = 0

    @Flag(help: "Print the rows as JSON for other tools.")
    var json = false

    func validate() throws {
        do { _ = try ModelLoadOptions(dtypeName: dtype, deviceName: device) } catch {
            throw ValidationError("\(error.concernsDType ? "--dtype" : "--device"): \(error.description)")
        }
        guard (1...512).contains(promptLength) else { throw ValidationError("--prompt-length must be in 1…512") }
        guard (1...256).contains(maxNewTokens) else { throw ValidationError("--max-new-tokens must be in 1…256") }
    }

    func run() throws {
        let load = try ModelLoadOptions(dtypeName: dtype, deviceName: device)
        let options = DeviceAgreement.Options(device: load.device, dtype: load.dtype, promptLength: promptLength,
                                              newTokens: maxNewTokens, seed: seed)
        let rows = try DeviceAgreement.compare(model: model, options: options) { line in
            FileHandle.standardError.write(Data("check-device: \(line)\n".utf8))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            for row in rows { print(DeviceAgreement.describe(row)) }
        }
        if rows.contains(where: { !$0.agree }) { throw ExitCode(1) }
    }
}
