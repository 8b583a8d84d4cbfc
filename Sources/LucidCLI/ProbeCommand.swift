import ArgumentParser
import Foundation
import LucidFiles
import LucidAttacks
import LucidModels
import LucidPipeline
import LucidText

/// `lucid probe …`: SCAV's safety-concept probes.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Safety-concept probes (SCAV): per-layer linear classifiers of malicious vs safe instructions.",
        subcommands: [ProbeTrainCommand.self]
    )
}

/// Reads instructions: one per line, or JSON Lines with a `prompt` field.
enum InstructionFile {
    static func read(_ path: String) throws -> [String] {
        let text = try SafeFile.readText(path)
        var prompts: [String] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            if line.hasPrefix("{") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw CLIError("\(path):\(index + 1): not a JSON object")
                }
                guard let prompt = object["prompt"] as? String else { throw CLIError("\(path):\(index + 1): no string field \"prompt\"") }
                prompts.append(prompt)
            } else {
                prompts.append(line)
            }
        }
        guard !prompts.isEmpty else { throw CLIError("\(path): no instructions") }
        return prompts
    }
}

/// `lucid probe train`.
struct ProbeTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one probe per layer on last-token residuals of templated prompts; print per-layer accuracy.",
        discussion: """
        Each instruction is rendered with the model's chat template (user turn, generation prompt) and the residual \
        stream at the last token is read at hidden states 0…L−1 (0 = embeddings). Per layer, an L2-regularised \
        logistic regression (scikit-learn's objective, C = --c, intercept unpenalised) is solved exactly by Newton's \
        method. Each class is split --train-fraction / rest with --seed; accuracy is measured on the rest. \
        Instruction files: one per line, or JSON Lines with a "prompt" field. With --image (a vision-language model), every \
        instruction carries that image (at the model's positions; InstructBLIP's Q-Former reads the instruction) and the probes read the decoder's residual after image + text; `attack scav` \
        then needs the same --image.
        """
    )

    @Option(help: "The model (smollm2, smol-aligned, a GGUF or HF directory).") var model = "smol-aligned"
    @OptionGroup var runtime: ModelRuntimeOptions
    @Option(help: "Malicious instructions.") var malicious: String
    @Option(help: "Safe instructions.") var safe: String
    @Option(help: "Where the probes go (JSON).") var out: String
    @Option(help: "Share of each class used for training.") var trainFraction = 0.5
    @Option(help: "Seed of the train/test split.") var seed: UInt64 = 0
    @Option(name: .customLong("c"), help: "Inverse L2 regularisation strength (scikit-learn's C).") var inverseRegularization = 1.0
    @Option(help: "Chat template (default: the model's).") var template: String?
    @Option(help: "An image paired with every instruction (a vision-language model's decoder; PNG or JPEG).") var image: String?
    @Flag(help: "Print JSON: {\"layers\":[{\"layer\":i,\"accuracy\":…},…]}.") var json = false

    func validate() throws {
        guard trainFraction > 0, trainFraction < 1 else { throw ValidationError("--train-fraction must be in (0, 1)") }
        guard inverseRegularization > 0 else { throw ValidationError("--c must be positive") }
    }

    func run() throws {
        let loaded = try openModel(model, runtime: runtime)
        let tokenizer = try openTokenizer(model)
        let chatTemplate: ChatTemplate
        if let template { chatTemplate = try ChatTemplate(named: template) } else {
            guard let detected = loaded.chatTemplate(for: tokenizer) else { throw CLIError("cannot tell the chat template: pass --template") }
            chatTemplate = detected
        }
        var trainer = ProbeTrainer(model: loaded.model, tokenizer: tokenizer, template: chatTemplate)
        trainer.trainFraction = trainFraction
        trainer.seed = seed
        trainer.inverseRegularization = inverseRegularization
        trainer.pairedImage = try image.map { try loaded.pairedImage($0) }
        let probes: SafetyProbeSet
        probes = try trainer.train(malicious: try InstructionFile.read(malicious), safe: try InstructionFile.read(safe), modelName: model,
                               image: image) { line in
            if !json { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        try probes.write(URL(fileURLWithPath: out))
        if json {
            try printJSON(ProbeAccuracyJSON(layers: probes.probes.map { .init(layer: $0.hiddenState, accuracy: $0.testAccuracy, trainAccuracy: $0.trainAccuracy) }))
        } else {
            for probe in probes.probes { print(String(format: "layer %2d  test accuracy %.3f  train %.3f", probe.hiddenState, probe.testAccuracy, probe.trainAccuracy)) }
            print("wrote \(out)")
        }
    }
}

struct ProbeAccuracyJSON: Encodable {
    struct Layer: Encodable {
        var layer: Int
        var accuracy: Double
        var trainAccuracy: Double
        enum CodingKeys: String, CodingKey { case layer, accuracy, trainAccuracy = "train_accuracy" }
    }
    var layers: [Layer]
}
