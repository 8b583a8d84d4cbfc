import Foundation
import LucidAttacks
import LucidDefense
import LucidModels
import LucidRuns
import LucidSupport
import LucidTensor
import LucidText
import LucidVision

/// An image attack a run manifest puts in front of a model (model option `attack`), so that
/// attack × decoding × defence grids come out of one `lucid run`.
///
/// The adversarial image is made once per (model entry, sample) against the item's prompt, with the
/// attack's own seed (not the item's), saved losslessly under `RUN/adversarial/<model>/<sample>.png`
/// and reused by every method and seed, on resume and by other shards. Kinds and options, with the
/// defaults of `lucid attack sink|pgd`:
/// - `sink` (Mirage): eps, step_size, steps, schedule, norm, random_start, seed, beams, layer, alpha, sigma, heads;
/// - `pgd` (targeted text): the same budget options and `target` (required);
/// - `noise`: Gaussian noise of the same budget (eps, norm, seed).
///
/// `gradient: blocked | bpda` (sink, pgd) chooses what a Q-MLLM model's quantiser passes backward:
/// `blocked` as released (a naive attacker: no gradient, the image stays clean), `bpda` the identity.
/// `surrogate: MODEL` (sink, pgd) crafts the image on another LLaVA model (a transfer attack; the
/// entry's model only answers it); `gradient` then applies to the surrogate.
public struct ManifestAttack {
    public enum Kind: String, Sendable { case sink, pgd, noise }

    public var kind: Kind
    public var pgd: PixelPGD

    public init(kind: Kind, pgd: PixelPGD) {
        self.kind = kind
        self.pgd = pgd
    }
    public var beams = 3
    public var layer = -2
    public var alpha = 1.0
    public var sigma = 0.5
    public var heads = HeadReduction.mean
    public var target: String?
    public var maxNewTokens = 96
    /// What a Q-MLLM model's quantiser passes backward during the attack.
    public var gradient = VectorQuantizer.Gradient.blocked
    /// The model the image is crafted on when it is not the entry's own (a transfer attack).
    public var surrogate: String?

    public static let budgetKeys: Set<String> = ["name", "eps", "step_size", "steps", "schedule", "norm", "random_start", "seed", "max_new_tokens",
                                          "gradient", "surrogate"]
    public static let knownKeys: [Kind: Set<String>] = [
        .sink: budgetKeys.union(["beams", "layer", "alpha", "sigma", "heads"]),
        .pgd: budgetKeys.union(["target"]),
        .noise: ["name", "eps", "norm", "seed"],
    ]

    /// The `attack` option of a manifest model entry (nil when it has none).
    public static func of(_ spec: ModelSpec) throws(RunSpecError) -> ManifestAttack? {
        guard let value = spec.options["attack"] else { return nil }
        let context = "model \(spec.label): attack"
        guard let object = value.objectValue else { throw RunSpecError("\(context) must be an object such as {name: sink, eps: 8/255}") }
        guard let name = object["name"]?.stringValue, let kind = Kind(rawValue: name) else {
            throw RunSpecError("\(context): name must be sink, pgd or noise")
        }
        if let unknown = object.keys.sorted().first(where: { !(knownKeys[kind] ?? []).contains($0) }) {
            throw RunSpecError("\(context): unknown option '\(unknown)' for \(name) (known: \((knownKeys[kind] ?? []).sorted().joined(separator: ", ")))")
        }
        func amount(_ key: String, _ fallback: Double) throws(RunSpecError) -> Double {
            guard let field = object[key] else { return fallback }
            if let number = field.doubleValue { return number }
            if let text = field.stringValue { return try PixelAmount.parse(text, name: "\(context) \(key)") }
            throw RunSpecError("\(context): \(key) must be a number or a fraction like 8/255")
        }
        func integer(_ key: String, _ fallback: Int) throws(RunSpecError) -> Int {
            guard let field = object[key] else { return fallback }
            guard let number = field.intValue else { throw RunSpecError("\(context): \(key) must be an integer") }
            return number
        }
        let normName = object["norm"]?.stringValue ?? "linf"
        guard let norm = PixelPGD.Norm(rawValue: normName) else { throw RunSpecError("\(context): norm must be linf or l2") }
        let seed = try integer("seed", 0)
        guard seed >= 0 else { throw RunSpecError("\(context): seed must be ≥ 0") }
        var pgd = PixelPGD(norm: norm, epsilon: try amount("eps", 8.0 / 255), stepSize: try amount("step_size", 1.0 / 255),
                           steps: try integer("steps", 30), randomStart: object["random_start"] == .bool(true), seed: UInt64(seed))
        if let schedule = object["schedule"] {
            guard let name = schedule.stringValue, let value = PixelPGD.Schedule(rawValue: name) else {
                throw RunSpecError("\(context): schedule must be constant or cosine")
            }
            pgd.schedule = value
        }
        pgd.allowsZeroGradient = true  // a defence that blocks gradients leaves the image clean, as it would for a naive attacker
        do { try pgd.validate() } catch { throw RunSpecError("\(context): \(error)") }
        var attack = ManifestAttack(kind: kind, pgd: pgd)
        attack.beams = try integer("beams", 3)
        attack.layer = try integer("layer", -2)
        attack.alpha = try amount("alpha", 1)
        attack.sigma = try amount("sigma", 0.5)
        attack.maxNewTokens = try integer("max_new_tokens", 96)
        if let heads = object["heads"] {
            switch heads.stringValue {
            case "mean": attack.heads = .mean
            case "max": attack.heads = .max
            default: throw RunSpecError("\(context): heads must be mean or max")
            }
        }
        guard attack.beams >= 1, attack.maxNewTokens >= 2 else { throw RunSpecError("\(context): beams must be ≥ 1 and max_new_tokens ≥ 2") }
        switch object["gradient"]?.stringValue {
        case nil, "blocked"?: attack.gradient = .blocked
        case "bpda"?: attack.gradient = .straightThrough
        default: throw RunSpecError("\(context): gradient must be blocked or bpda")
        }
        if let field = object["surrogate"] {
            guard let path = field.stringValue, !path.isEmpty else { throw RunSpecError("\(context): surrogate must be a model name or path") }
            attack.surrogate = path
        }
        if kind == .pgd {
            guard let target = object["target"]?.stringValue, !target.isEmpty else { throw RunSpecError("\(context): pgd needs a target text") }
            attack.target = target
        }
        return attack
    }

    /// The adversarial version of `image` for `prompt` on `model`, as a PNG at `path` (made unless it
    /// exists; written to a temporary name and renamed, so a killed run never leaves half a file).
    /// It is crafted as `OpenedModel.imageAttack` prepares the model (its template, normalisation and
    /// Q-Former instruction).
    public func adversarialImage(at path: String, clean image: String, prompt: String, model: OpenedModel, tokenizer: Tokenizer,
                                 template: ChatTemplate? = nil) throws {
        if FileManager.default.fileExists(atPath: path) { return }
        let start = try model.imageAttack(tokenizer: tokenizer, image: image, prompt: prompt, template: template)
        let (clean, context, eos) = (start.clean, start.context, start.eos)
        let adversarial: Tensor
        switch kind {
        case .noise:
            adversarial = withNoGrad { pgd.noise(clean: clean) }
        case .pgd:
            let targetIDs = tokenizer.encode(target ?? "", addSpecialTokens: false)
            adversarial = try pgd.run(clean: clean, loss: { x, _ in (try context.targetedTextLoss(x, target: targetIDs), [:]) }).image
        case .sink:
            let mirage = MirageAttack(loss: MirageSinkLoss(layer: layer, alpha: alpha, sigma: sigma, heads: heads), pgd: pgd, beams: beams,
                                      maxNewTokens: maxNewTokens)
            adversarial = try mirage.run(context, clean: clean, eosTokenIDs: eos).image
        }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".partial-\(getpid())"
        try ImageEncoder.writePNG(try FloatImage(tensor: adversarial), to: temporary)
        if FileManager.default.fileExists(atPath: path) { try? FileManager.default.removeItem(atPath: temporary); return }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    /// Where a model entry's adversarial image of a sample goes inside the run directory.
    public static func path(run: URL, model: String, sample: String) -> String {
        var safe = String(sample.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) ? $0 : "_" })
        if safe != sample || safe.isEmpty { safe += "-" + SHA256.hex(sample).prefix(8) }  // distinct ids stay distinct files
        return run.appendingPathComponent("adversarial").appendingPathComponent(model).appendingPathComponent(safe + ".png").path
    }
}
