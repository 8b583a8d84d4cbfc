import Foundation
import LucidSupport

/// What decides a demo description besides the model, the scene and the method's label: kept on every
/// line of `descriptions.jsonl` and part of its key, so a demo resumed in the same folder with another
/// world seed, prompt, token limit, defence, beam count or temperature describes its scenes anew
/// instead of reusing descriptions made another way (the world folder is rewritten for the new seed).
///
/// Lines written before settings were kept have none: they stay in the file and are never reused.
struct DemoSettings: Codable, Equatable {
    /// The world seed (`--seed`): scene N of another seed is another scene.
    var worldSeed: UInt64
    var prompt: String
    var maxNewTokens: Int
    /// `--defense` (auto or none), for Q-MLLM models.
    var defense: String
    /// `--beams`, for the beam-search methods only.
    var beams: Int?
    /// `--temperature`, for the sampled methods only.
    var temperature: Double?

    enum CodingKeys: String, CodingKey {
        case worldSeed = "world_seed", prompt, maxNewTokens = "max_new_tokens", defense, beams, temperature
    }

    /// The settings of `run` in a demo with these options: a method keeps only the options it reads.
    init(run: DemoMethod, worldSeed: UInt64, prompt: String, maxNewTokens: Int, defense: String, beams: Int, temperature: Double) {
        self.worldSeed = worldSeed
        self.prompt = prompt
        self.maxNewTokens = maxNewTokens
        self.defense = defense
        self.beams = run.name == "beam" || run.name == "opera" ? beams : nil
        self.temperature = DemoMethod.sampled(run.name) ? temperature : nil
    }

    /// The settings' part of a result's key: every field, in a fixed order (the prompt as a JSON string
    /// literal, so no prompt can look like other fields).
    var key: String {
        "seed=\(worldSeed);prompt=\(JSONString.quoted(prompt));max=\(maxNewTokens);defense=\(defense);beams=\(beams.map(String.init) ?? "-");"
            + "temperature=\(temperature.map { "\($0)" } ?? "-")"
    }
}
