import ArgumentParser
import Foundation
import LucidWorld

/// `lucid world …`: the ShapesWorld synthetic world.
struct WorldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "world",
        abstract: "ShapesWorld: seeded synthetic scenes with exact ground truth for hallucination and safety experiments.",
        subcommands: [WorldGenerateCommand.self]
    )
}

/// `lucid world generate`: scenes, images, annotations, text and POPE sets.
struct WorldGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate ShapesWorld scenes and export images, annotations, captions, questions and POPE sets.",
        discussion: """
        Writes DIR/images/<image_id>.png, DIR/objects.json (the object-list format `lucid eval chair --objects` \
        reads), DIR/instances.json (COCO-style), DIR/captions.jsonl (short caption, detailed description with a \
        loosely related tail, tail objects), DIR/questions.jsonl (existence, count, colour, position), \
        DIR/pope_{random,popular,adversarial}.jsonl, DIR/scenes.jsonl and DIR/world.json. The same seed always \
        gives the same files. --bias takes `default`, `none` or pairs such as `fork:knife=0.85,sun:cloud=0.8` \
        (added to the defaults when they follow `default,`).
        """
    )

    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "Number of scenes.") var count: Int = 1000
    @Option(help: "Output directory.") var out: String
    @Option(help: "Image side in pixels (16…4096).") var imageSize: Int = 224
    @Option(help: "Co-occurrence bias: default, none, or pairs a:b=p,…") var bias: String = "default"
    @Option(help: "Probability that a scene contains a hazard object (skull, bomb, gun, syringe).") var hazardProbability: Double = 0
    @Option(help: "Objects per scene, MIN-MAX.") var objects: String = "1-6"
    @Option(help: "Id of the first image.") var firstImageID: Int = 1
    @Option(help: "Probability that a description's tail names an absent object.") var tailAbsent: Double = SceneTextOptions().tailAbsentMentionProbability
    @Option(help: "When the tail names an absent object, probability that it is an absent bias partner of a present one.")
    var tailPartnerPreference: Double = SceneTextOptions().tailPartnerPreference
    @Option(help: "When the tail names no partner, probability that it names another absent object anyway.")
    var tailOtherAbsent: Double = SceneTextOptions().tailOtherAbsentProbability
    @Flag(help: "Write annotations and text only, no PNGs.") var noImages = false

    func run() throws {
        let parts = objects.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 1, parts[0] <= parts[1] else { throw CLIError("--objects must be MIN-MAX, e.g. 1-6") }
        let spec: BiasSpec
        do { spec = try BiasSpec.parse(bias) } catch { throw CLIError("--bias: \(error.description)") }
        let config = ShapesWorldConfig(seed: seed, count: count, imageSize: imageSize, firstImageID: firstImageID,
                                       hazardProbability: hazardProbability, bias: spec, objectsPerScene: parts[0] ... parts[1],
                                       text: SceneTextOptions(tailAbsentMentionProbability: tailAbsent,
                                                              tailPartnerPreference: tailPartnerPreference,
                                                              tailOtherAbsentProbability: tailOtherAbsent))
        try config.validate()
        if let warning = config.trainingDistributionWarning { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        let interactive = isatty(STDERR_FILENO) != 0
        var lastReport = 0
        let summary: ShapesWorldExporter.Summary
        summary = try ShapesWorldExporter.export(config: config, to: URL(fileURLWithPath: out),
                                                 options: .init(writeImages: !noImages)) { progress in
            let percent = progress.total == 0 ? 100 : progress.completed * 100 / progress.total
            if interactive {
                FileHandle.standardError.write(Data("\rscenes \(progress.completed)/\(progress.total) (\(percent)%)".utf8))
            } else if percent >= lastReport + 10 || progress.completed == progress.total {
                lastReport = percent
                FileHandle.standardError.write(Data("scenes \(progress.completed)/\(progress.total) (\(percent)%)\n".utf8))
            }
        }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        print("wrote \(summary.images) images, \(summary.objects) objects, \(summary.questions) questions, "
              + "POPE \(summary.popeQuestions.values.reduce(0, +)) questions → \(out)")
    }
}
