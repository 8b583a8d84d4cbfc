import Foundation
import LucidDefense
import LucidGeneration
import LucidModels
import LucidSupport
import LucidTensor
import LucidVision

/// Runs one model on the CPU and on another device with the same seeded inputs and compares what
/// every decoding method produces: does this GPU give what the CPU gives?
///
/// The prompt is seeded random token ids (with the image placeholder and a seeded random image for a
/// vision-language model), so any checkpoint can be checked without a tokenizer or data. Compared:
/// the prompt's next-token logits (largest difference relative to the largest |logit|), the gradient
/// of the top token's log-probability with respect to the pixels (the attacks' differentiable path),
/// and the tokens of greedy, seeded sampling, beam search, OPERA and, with an image, VCD and DAMRO.
/// A Q-MLLM model (its defence installed at open) is compared as its attacks see it: the pixel
/// gradient through the quantiser straight-through (BPDA; the released backward is blocked), the
/// gate's verdict on the image, and the decoders on the quantised features with the gate set aside.
/// Decoders score on the host, so the same seed samples the same tokens on every device when the
/// logits agree; on random tiny checkpoints near-ties can still flip a token, which the report shows.
public enum DeviceAgreement {
    /// What to compare.
    public struct Options: Sendable {
        public var device: Device
        public var dtype: DType
        public var promptLength: Int
        public var newTokens: Int
        public var seed: UInt64

        public init(device: Device, dtype: DType = .f32, promptLength: Int = 12, newTokens: Int = 8, seed: UInt64 = 0) {
            (self.device, self.dtype, self.promptLength, self.newTokens, self.seed) = (device, dtype, promptLength, newTokens, seed)
        }

        /// Throws when a count is out of range (1…512 prompt tokens, 1…256 new tokens).
        public func validate() throws {
            guard (1...512).contains(promptLength) else { throw ModelOpenError("prompt length \(promptLength) is not in 1…512") }
            guard (1...256).contains(newTokens) else { throw ModelOpenError("new tokens \(newTokens) is not in 1…256") }
        }
    }

    /// One compared quantity.
    public struct Row: Sendable, Codable, Equatable {
        public var check: String
        /// Whether the two devices agree (tokens identical, or a difference within `tolerance`).
        public var agree: Bool
        /// Largest difference relative to the CPU side's largest magnitude (tensor checks only).
        public var relativeDifference: Double?
        public var tolerance: Double?
        public var cpuTokens: [Int]?
        public var deviceTokens: [Int]?
        /// Why a method did not produce tokens on one side or both.
        public var note: String?
        /// Seconds each side took.
        public var cpuSeconds: Double
        public var deviceSeconds: Double

        enum CodingKeys: String, CodingKey {
            case check, agree, tolerance, note
            case relativeDifference = "relative_difference", cpuTokens = "cpu_tokens", deviceTokens = "device_tokens"
            case cpuSeconds = "cpu_seconds", deviceSeconds = "device_seconds"
        }
    }

    /// Tolerance on a relative difference: f32 allows TF32 convolutions (cuDNN's default) and other
    /// reduction orders; bf16/f16 one or two roundings of 8/11-bit mantissas through a few layers.
    public static func tolerance(_ dtype: DType) -> Double {
        switch dtype {
        case .bf16: return 5e-2
        case .f16: return 1e-2
        default: return 2e-3
        }
    }

    /// Opens `model` on the CPU and on `options.device` through `registry` and compares them.
    public static func compare(model name: String, registry: ModelRegistry = .standard, options: Options,
                               progress: (String) -> Void = { _ in }) throws -> [Row] {
        try options.validate()
        progress("opening \(name) in \(options.dtype) on cpu and on \(options.device)")
        let cpu = try registry.open(name, options: ModelOpenOptions(load: ModelLoadOptions(dtype: options.dtype, device: .cpu)))
        let other = try registry.open(name, options: ModelOpenOptions(load: ModelLoadOptions(dtype: options.dtype, device: options.device)))
        let (ids, images) = try prompt(for: cpu, options: options)
        var rows: [Row] = []
        rows.append(try logitRow(cpu: cpu.model, other: other.model, ids: ids, images: images, tolerance: tolerance(options.dtype)))
        progress(describe(rows[rows.count - 1]))
        if let pixels = images.first, cpu.vision != nil {
            rows.append(try withStraightThrough([cpu.defense, other.defense]) {
                try gradientRow(cpu: cpu.model, other: other.model, ids: ids, pixels: pixels, tolerance: tolerance(options.dtype))
            })
            if cpu.defense != nil { rows[rows.count - 1].note = "through the Q-MLLM quantiser straight-through (BPDA)" }
            progress(describe(rows[rows.count - 1]))
            if let a = cpu.defense, let b = other.defense, let cpuModel = cpu.model as? any VisionLanguageModel,
               let otherModel = other.model as? any VisionLanguageModel {
                rows.append(gateRow(cpu: (a, cpuModel), other: (b, otherModel), pixels: pixels))
                progress(describe(rows[rows.count - 1]))
            }
        }
        // The decoders run behind the gate (compared above): a refused random image would give no tokens.
        let gated = [cpu.model, other.model].compactMap { $0 as? any VisionLanguageModel }
        let gates = gated.map(\.imageGate)
        for model in gated { model.imageGate = nil }
        defer { for (model, gate) in zip(gated, gates) { model.imageGate = gate } }
        for method in methods(seed: options.seed, hasImage: !images.isEmpty) {
            let limits = GenerationLimits(maxNewTokens: options.newTokens)
            func run(_ model: any CausalLanguageModel) -> (Result<[Int], any Error>, Double) {
                timed { Result { try Decoding.generate(model, ids: ids, images: images, method: method, limits: limits).tokens } }
            }
            let ((a, cpuSeconds), (b, deviceSeconds)) = (run(cpu.model), run(other.model))
            var row = Row(check: method.name, agree: false, cpuSeconds: cpuSeconds, deviceSeconds: deviceSeconds)
            switch (a, b) {
            case (.success(let x), .success(let y)):
                (row.agree, row.cpuTokens, row.deviceTokens) = (x == y, x, y)
            case (.failure(let x), .failure(let y)):
                // A method this family cannot run (DAMRO without a [CLS] token) fails alike on both.
                (row.agree, row.note) = ("\(x)" == "\(y)", "not run on either: \(x)")
            case (.failure(let x), .success):
                row.note = "failed on cpu only: \(x)"
            case (.success, .failure(let y)):
                row.note = "failed on the device only: \(y)"
            }
            rows.append(row)
            progress(describe(rows[rows.count - 1]))
        }
        return rows
    }

    /// The methods compared: every decoder, with fixed small parameters and `seed` for sampling.
    static func methods(seed: UInt64, hasImage: Bool) -> [DecodingMethod] {
        var opera = OPERAParameters()
        opera.beams = 2
        opera.candidates = 3
        var methods: [DecodingMethod] = [.greedy, .sample(SamplingParameters(temperature: 1, topK: 20, seed: seed)),
                                         .beam(BeamSearchParameters(beams: 3)), .opera(opera)]
        if hasImage {
            methods.append(.vcd(ContrastiveParameters(alpha: 1, beta: 0.1), noiseStep: 500, noiseSeed: seed))
            methods.append(.damro(ContrastiveParameters(alpha: 0.5, beta: 0.1), outliers: 4, attention: .singleHead))
        }
        return methods
    }

    /// Seeded random ids (never the image placeholder) with one placeholder after the first token
    /// for a vision-language model, and its seeded random image of the model's input size.
    static func prompt(for opened: OpenedModel, options: Options) throws -> (ids: [Int], images: [Tensor]) {
        var random = SplitMix64(seed: options.seed)
        let vocabulary = opened.model.vocabularySize
        let placeholder = opened.vision?.imagePlaceholderID
        var ids: [Int] = []
        while ids.count < options.promptLength {
            let id = Int(random.next() % UInt64(vocabulary))
            if id != placeholder { ids.append(id) }
        }
        guard let vision = opened.vision, let placeholder else { return (ids, []) }
        ids.insert(placeholder, at: 1)
        let side = vision.imageSize
        let pixels = (0..<(side * side * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let image = try RGBImage(width: side, height: side, pixels: pixels)
        return (ids, [try opened.pixelValues(decoded: image, padToSquare: false)])
    }

    static func logitRow(cpu: any CausalLanguageModel, other: any CausalLanguageModel, ids: [Int], images: [Tensor],
                         tolerance: Double) throws -> Row {
        func logits(_ model: any CausalLanguageModel) throws -> Tensor {
            try withNoGrad { () throws -> Tensor in
                let options = ForwardOptions(logits: .last)
                let trace = try (model as? any VisionLanguageModel).map { try $0.forward(ids: ids, images: images, cache: nil, options: options) }
                    ?? model.forward(tokens: Tensor(ids, shape: [1, ids.count]), cache: nil, options: options)
                guard let logits = trace.logits else { throw ModelOpenError("the forward pass produced no logits") }
                return logits.to(.cpu).to(.f64)
            }
        }
        let (a, cpuSeconds) = try timed { try logits(cpu) }
        let (b, deviceSeconds) = try timed { try logits(other) }
        let difference = relative(a, b)
        return Row(check: "logits", agree: difference <= tolerance, relativeDifference: difference, tolerance: tolerance,
                   cpuSeconds: cpuSeconds, deviceSeconds: deviceSeconds)
    }

    /// d log p(top token) / d pixels through the vision tower, the projector and the decoder.
    static func gradientRow(cpu: any CausalLanguageModel, other: any CausalLanguageModel, ids: [Int], pixels: Tensor,
                            tolerance: Double) throws -> Row {
        var target: Int?
        func gradient(_ model: any CausalLanguageModel) throws -> Tensor {
            guard let vlm = model as? any VisionLanguageModel else { throw ModelOpenError("not a vision-language model") }
            let input = pixels.detached().to(.f32)
            input.requiresGrad = true
            let trace = try vlm.forward(ids: ids, images: [input], cache: nil, options: ForwardOptions(logits: .last))
            guard let logits = trace.logits else { throw ModelOpenError("the forward pass produced no logits") }
            let scores = logits.reshaped(-1).to(.f32).logSoftmax(axis: -1)
            let token = target ?? scores.argmax().intValue
            target = token
            guard scores.requiresGrad else {
                throw ModelOpenError("the logits do not depend differentiably on the pixels (a blocked quantiser or a detached vision path)")
            }
            guard let grad = Tensor.gradients(of: [scores[token]], withRespectTo: [input]).first ?? nil else {
                throw ModelOpenError("no gradient reached the pixels")
            }
            return grad.to(.cpu).to(.f64)
        }
        let (a, cpuSeconds) = try timed { try gradient(cpu) }
        let (b, deviceSeconds) = try timed { try gradient(other) }
        let difference = relative(a, b)
        // Gradients pass back through every layer: twice the logits' tolerance.
        return Row(check: "pixel gradient", agree: difference <= 2 * tolerance, relativeDifference: difference, tolerance: 2 * tolerance,
                   cpuSeconds: cpuSeconds, deviceSeconds: deviceSeconds)
    }

    /// Runs `body` with every defence's quantiser backward set to straight-through, then restores it.
    static func withStraightThrough<T>(_ defenses: [QMLLMDefense?], _ body: () throws -> T) rethrows -> T {
        let saved = defenses.map { $0?.backward }
        for defense in defenses { defense?.backward = .straightThrough }
        defer { for (defense, backward) in zip(defenses, saved) { if let defense, let backward { defense.backward = backward } } }
        return try body()
    }

    /// The Q-MLLM gate's verdict (deciding semantic code, category, refused or not) on the same image.
    static func gateRow(cpu: (QMLLMDefense, any VisionLanguageModel), other: (QMLLMDefense, any VisionLanguageModel),
                        pixels: Tensor) -> Row {
        let (a, cpuSeconds) = timed { cpu.0.screen(cpu.1, pixels: pixels) }
        let (b, deviceSeconds) = timed { other.0.screen(other.1, pixels: pixels) }
        let verdict: ([QMLLMDefense.Verdict]) -> String = { $0.map { "code \($0.code) (\($0.category), \($0.harmful ? "refused" : "let through"))" }.joined(separator: "; ") }
        return Row(check: "Q-MLLM gate", agree: a == b, note: a == b ? verdict(a) : "cpu: \(verdict(a)); device: \(verdict(b))",
                   cpuSeconds: cpuSeconds, deviceSeconds: deviceSeconds)
    }

    /// max |a − b| / max |a| (0 when both are zero).
    static func relative(_ a: Tensor, _ b: Tensor) -> Double {
        let scale = a.abs().max().item()
        let difference = (a - b).abs().max().item()
        return scale > 0 ? difference / scale : difference
    }

    static func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        // Results are copied to the host inside `body`, so an asynchronous device has finished.
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// One line for a row: its verdict and what was compared.
    public static func describe(_ row: Row) -> String {
        let verdict = row.agree ? "agree" : "DIFFER"
        let timing = String(format: "cpu %.3f s, device %.3f s", row.cpuSeconds, row.deviceSeconds)
        if let difference = row.relativeDifference, let tolerance = row.tolerance {
            let note = row.note.map { ", \($0)" } ?? ""
            return "\(row.check): \(verdict) (relative difference \(String(format: "%.2e", difference)), tolerance \(tolerance); \(timing))\(note)"
        }
        if let note = row.note { return "\(row.check): \(verdict), \(note)" }
        let tokens = row.agree ? "\(row.cpuTokens ?? [])" : "cpu \(row.cpuTokens ?? []) vs device \(row.deviceTokens ?? [])"
        return "\(row.check): \(verdict) \(tokens) (\(timing))"
    }
}
