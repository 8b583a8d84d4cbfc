import ArgumentParser
import Foundation
import LucidBuildInfo
import LucidFiles
import LucidPipeline
import LucidSupport
import LucidTensor

/// The `lucid` command-line tool.
public struct LucidCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "lucid",
        abstract: "Probe, attack and harden multimodal LLMs against hallucination and jailbreaks.",
        discussion: """
        Lucid runs on libtorch through a thin C shim. Thread counts matter on small machines: \
        set LUCID_THREADS (libtorch intra-op) and LUCID_BLAS_THREADS (OpenBLAS) to override the defaults.
        """,
        version: versionString,
        subcommands: [DemoCommand.self, GenerateCommand.self, RunCommand.self, TrainCommand.self, ProbeCommand.self, AttackCommand.self, DefendCommand.self, EvalCommand.self, ReportCommand.self, WorldCommand.self, TokenizeCommand.self, InspectCommand.self, AnalyzeCommand.self, InfoCommand.self, CheckDeviceCommand.self, BenchCommand.self, ServeCommand.self]
    )

    /// The entry point: applies the thread policy (defaults or LUCID_THREADS / LUCID_BLAS_THREADS), then runs the command.
    public static func start() async {
        do {
            try ThreadPolicy.fromEnvironment(ProcessInfo.processInfo.environment).apply()
        } catch {
            exit(withError: ValidationError(error.description))
        }
        do {
            let arguments = NegativeNumberArguments.joined(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot(arguments)
            try DecimalFlags.check(command, arguments: arguments)
            try RepeatedOptions.check(command, arguments: arguments)
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            // An error may quote a manifest value, a flag value, a file name or a token: its control characters are
            // escaped (docs/security.md). Lucid's errors are one line; ArgumentParser's usage errors keep their
            // lines; help and version print as they are.
            if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
                let code = exitCode(for: error)
                if code == .success { exit(withError: error) }
                let message = fullMessage(for: error)
                if !message.isEmpty { FileHandle.standardError.write(Data((TerminalText.escaped(message, keepLines: true) + "\n").utf8)) }
                Foundation.exit(code.rawValue)
            }
            exit(withError: CLIError(TerminalText.escaped((error as? any LucidError)?.description ?? message(for: error))))
        }
    }

    static var versionString: String {
        "lucid \(LucidBuild.description), libtorch \(Torch.version), BLAS \(Torch.blasLibrary), threads \(Torch.threads) intra-op / \(Torch.blasThreadsDescription) BLAS, CPU kernel \(SmallLinearKernel.active.name), ATen \(Torch.cpuCapability), bf16/f16 products \(ReducedPrecisionProducts.areWidened ? "widened" : "libtorch's"), devices \(devicesDescription)"
    }

    /// The devices this libtorch can use, and why CUDA is missing where a CUDA wheel is installed.
    static var devicesDescription: String {
        let names = Torch.availableDevices.map(\.description).joined(separator: " ")
        if Torch.cudaBackendLoadError != nil { return names + "; the CUDA backend failed to load (`--device cuda` says why)" }
        if Torch.cudaBackendLoaded && !Torch.cudaAvailable { return names + "; a CUDA backend but no CUDA device" }
        return names
    }
}
