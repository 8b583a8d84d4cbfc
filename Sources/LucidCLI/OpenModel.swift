import Foundation
import LucidDefense
import LucidModels
import LucidNN
import LucidPipeline
import LucidTensor

/// Opens a model through the registry (`smollm2`, a bundled organism, a `.gguf` file, a PEFT adapter
/// or a Hugging Face directory).
///
/// `runtime` is the command's `--dtype`/`--device`; `quantizerGradient` is what a Q-MLLM model's
/// patch quantiser passes backward: `.blocked` as released, `.straightThrough` for BPDA attacks
/// (forward passes are the same either way).
func openModel(_ name: String, runtime: ModelRuntimeOptions, quantizerGradient: VectorQuantizer.Gradient = .blocked) throws -> OpenedModel {
    try ModelRegistry.standard.open(name, options: ModelOpenOptions(quantizerGradient: quantizerGradient, load: try runtime.loadOptions()))
}

/// Parses `--input-ids 1,2,3`.
func parseIDs(_ text: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    var ids: [Int] = []
    for part in parts where !part.isEmpty {
        guard let id = Int(part) else { throw CLIError("--input-ids: '\(part)' is not an integer") }
        ids.append(id)
    }
    guard !ids.isEmpty else { throw CLIError("--input-ids is empty") }
    return ids
}

/// Writes tensors (converted to f32, batch dimension already dropped) as safetensors.
func writeTensors(_ tensors: [(String, Tensor)], metadata: [String: String], to path: String) throws {
    let items = try tensors.map { name, tensor in try SafetensorsWriter.Item(name: name, tensor: tensor) }
    try SafetensorsWriter.write(items, metadata: metadata, to: path)
}
