import ArgumentParser
import Foundation
import LucidFiles
import LucidOrganisms
import LucidTensor

/// `lucid info FILE`: the tensors, dtypes, shapes and metadata of a checkpoint.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a checkpoint: tensors, dtypes, shapes and metadata.",
        discussion: """
        Reads llama.cpp GGUF files and safetensors checkpoints (a single file, a \
        model.safetensors.index.json, or a directory of shards). Only headers are read: nothing is \
        dequantised. The file is validated first; a corrupt or hostile file gives one clear error line.
        The name `smollm2` stands for the SmolLM2-135M-Instruct GGUF that set-up installs.
        """
    )

    @Argument(help: "A .gguf file, a .safetensors file, a model.safetensors.index.json, a model directory, `smollm2`, or a Hugging Face repository id in the local hub cache (org/name[@revision]).")
    var path: String

    @Flag(help: "Print JSON (tensors, metadata, counts) for other tools.")
    var json = false

    @Flag(help: "Omit the per-tensor table from the text report.")
    var noTensors = false

    @Option(help: "Summarise metadata arrays longer than this (tokenizer vocabularies); 0 prints them whole.")
    var arrayLimit: Int = 64

    func validate() throws {
        guard arrayLimit >= 0 else { throw ValidationError("--array-limit must be ≥ 0") }
    }

    func run() throws {
        let resolved = ModelPaths.resolve(path)
        if HubCache.Reference(path) != nil, !FileManager.default.fileExists(atPath: resolved) { throw CLIError(ModelLocations.notFound(path)) }
        let info = try CheckpointInfo.load(path: resolved, arrayLimit: arrayLimit == 0 ? nil : arrayLimit)
        print(json ? try info.jsonString() : info.text(showTensors: !noTensors))
    }
}

/// Names of models Lucid knows (see `ModelLocations`).
enum ModelPaths {
    static var smolLM2: String { ModelLocations.smolLM2 }
    static func resolve(_ path: String) -> String { ModelLocations.resolve(path) }
}
