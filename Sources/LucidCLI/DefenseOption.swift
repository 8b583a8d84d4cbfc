import ArgumentParser
import LucidPipeline

/// `--defense` of the commands that open a model and generate with it (`generate`, `serve`).
struct DefenseOption: ParsableArguments {
    @Option(help: "Image defence: auto (the model's own: Q-MLLM models gate harmful images), qmllm (require it), none (no gate; a Q-MLLM model keeps its quantiser, which its projector needs).")
    var defense = "auto"

    func validate() throws {
        guard DefenseChoice(rawValue: defense) != nil else { throw ValidationError("--defense must be one of \(DefenseChoice.names)") }
    }

    /// Applies the choice to `loaded`, opened from `model`.
    func apply(to loaded: OpenedModel, model: String) throws { try DefenseChoice(parsing: defense, context: "--defense").apply(to: loaded, model: model) }
}
