import ArgumentParser
import LucidTensor

/// `lucid info FILE`: what a checkpoint holds (filled in with the format readers).
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Describe a checkpoint file.")
    @Argument(help: "A .safetensors file, a model directory, or a .gguf file.") var path: String
    func run() throws { throw CLIError("not yet") }
}
