import Foundation
import LucidDefense
import LucidModels
import LucidNN
import LucidOrganisms
import LucidTensor

/// A model opened by the CLI: a text-only Llama-family model or a LLaVA vision-language model.
enum LoadedModel {
    case llama(LlamaForCausalLM)
    case llava(LlavaForConditionalGeneration)

    /// Opens `smollm2`, a bundled organism (`shapes-tiny`, `shapes-smol`), a `.gguf` file, or a Hugging
    /// Face directory (`llama`, `mistral`, `qwen2`, `llava`).
    ///
    /// `quantizerGradient` is what a Q-MLLM model's patch quantiser passes backward: `.blocked` as
    /// released, `.straightThrough` for BPDA attacks (forward passes are the same either way).
    static func open(_ name: String, quantizerGradient: VectorQuantizer.Gradient = .blocked) throws -> LoadedModel {
        let path = ModelPaths.resolve(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            if name == "smollm2" { throw CLIError("SmolLM2 is not installed at \(path): run scripts/setup.sh") }
            if ModelLocations.organismNames.contains(name) {
                throw CLIError("the bundled model '\(name)' is not at \(path): set LUCID_MODELS to the repository's Models/ directory, or train it with `lucid train \(name)`")
            }
            throw CLIError("\(path): no such file or directory")
        }
        do {
            if isDirectory.boolValue, OrganismLoader.isAdapter(path) {
                return .llama(try OrganismLoader.loadAdapted(directory: path))
            }
            if isDirectory.boolValue, let type = modelType(directory: path), type == "llava" {
                if QMLLMDirectory.isQMLLM(path) {
                    let (model, defense) = try QMLLMDirectory.load(directory: path)
                    defense.backward = quantizerGradient  // the installed transform keeps the defence alive
                    return .llava(model)
                }
                return .llava(try OrganismLoader.load(directory: path))
            }
            return .llama(try LlamaForCausalLM.load(path: path))
        } catch let error as ModelLoadError {
            throw CLIError(error.description)
        } catch let error as CheckpointError {
            throw CLIError(error.description)
        } catch let error as ModuleLoadError {
            throw CLIError(error.description)
        } catch let error as LoRAError {
            throw CLIError(error.description)
        } catch let error as DefenseError {
            throw CLIError(error.description)
        }
    }

    static func modelType(directory: String) -> String? {
        let url = URL(fileURLWithPath: directory).appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["model_type"] as? String
    }

    var causalLM: any CausalLanguageModel {
        switch self {
        case .llama(let m): return m
        case .llava(let m): return m
        }
    }

    var llamaConfig: LlamaConfig {
        switch self {
        case .llama(let m): return m.config
        case .llava(let m): return m.config.textConfig
        }
    }
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
    do { try SafetensorsWriter.write(items, metadata: metadata, to: path) } catch let error as CheckpointError {
        throw CLIError(error.description)
    }
}
