import LucidGeneration
import LucidPipeline
import LucidRuns

/// Lucid's request extension `"decoding": {"method": "greedy"|"sample"|"beam"|"opera"|"vcd"|"damro", …options}`,
/// mapped to a typed `DecodingMethod` with the option names and defaults of run manifests
/// (`DecodingMethod(manifest:seed:)`), after checking each option's JSON type.
enum DecodingRequest {
    /// The JSON kind each option must have.
    enum Kind { case integer, number, bool, string }

    static let kinds: [String: Kind] = [
        "temperature": .number, "top_k": .integer, "top_p": .number, "beams": .integer, "length_penalty": .number,
        "candidates": .integer, "scale": .number, "threshold": .integer, "penalty": .number, "mode": .string,
        "efficient": .bool, "alpha": .number, "beta": .number, "noise_step": .integer, "outliers": .integer,
        "attention": .string, "warpers": .bool, "min_p": .number, "hypothesis_length": .string,
    ]

    /// The `top_k` a request may ask for.
    static let topKRange = 0...1000

    /// Ranges a public server allows integer options (the decoders' own checks follow; these bound the work).
    static let integerRanges: [String: ClosedRange<Int>] = [
        "top_k": topKRange, "beams": 1...8, "candidates": 1...10, "threshold": 1...1000, "noise_step": 0...999, "outliers": 1...64,
    ]

    /// The method of a `decoding` object; the request's `temperature`/`top_k`/`top_p` fill in for sampling
    /// methods that do not set their own (and `min_p` for `sample`), and `seed` seeds sampling and VCD's noise.
    static func method(_ value: JSONValue, temperature: Double?, topK: Int?, topP: Double?, minP: Double?, seed: Int) throws(APIError) -> DecodingMethod {
        guard var options = value.objectValue else { throw .invalid("'decoding' must be an object with a 'method'", param: "decoding") }
        guard let name = options.removeValue(forKey: "method")?.stringValue else {
            throw .invalid("decoding.method must be a string: one of \(DecodingMethod.names.joined(separator: ", "))", param: "decoding.method")
        }
        // The penalties, the minimum length, the n-gram ban and the logit bias are request fields of their own
        // (OpenAI's and vLLM's, and Lucid's `no_repeat_ngram_size`), not options of the method.
        guard let known = DecodingMethod.manifestOptions[name]?.subtracting(GenerationLimits.manifestOptions) else {
            throw .invalid("decoding.method '\(name)' is not one of \(DecodingMethod.names.joined(separator: ", "))", param: "decoding.method",
                           code: "unknown_decoding_method")
        }
        for (key, option) in options.sorted(by: { $0.key < $1.key }) {
            if key == "repetition_context" {
                throw .invalid("decoding.repetition_context: the server's repetition penalty counts the prompt, as OpenAI's and vLLM's do (run manifests and `lucid generate` choose)",
                               param: "decoding.repetition_context")
            }
            if GenerationLimits.manifestOptions.contains(key) {
                let field = key == "min_new_tokens" ? "min_tokens" : key
                throw .invalid("decoding.\(key): give '\(field)' at the top level of the request, a field of its own (not the method's)", param: "decoding.\(key)")
            }
            guard known.contains(key), let kind = kinds[key] else {
                throw .invalid("decoding.\(key) is not an option of \(name) (its options: \(known.sorted().joined(separator: ", ")))", param: "decoding.\(key)")
            }
            let fits: Bool
            switch kind {
            case .integer: fits = option.intValue != nil
            case .number: fits = option.doubleValue.map { $0.isFinite } ?? false
            case .bool: if case .bool = option { fits = true } else { fits = false }
            case .string: fits = option.stringValue != nil
            }
            guard fits else { throw .invalid("decoding.\(key) must be \(kind == .integer ? "an integer" : kind == .number ? "a number" : kind == .bool ? "true or false" : "a string"), not \(option.typeDescription)", param: "decoding.\(key)") }
        }
        for (key, range) in integerRanges {
            if let number = options[key]?.intValue, !range.contains(number) {
                throw .invalid("decoding.\(key) must be in \(range.lowerBound)…\(range.upperBound) (got \(number))", param: "decoding.\(key)")
            }
        }
        if ["sample", "vcd", "damro"].contains(name) {
            if options["temperature"] == nil, let temperature, temperature > 0 { options["temperature"] = .double(temperature) }
            // VCD and DAMRO without a temperature do not sample: they ignore the request's top_k and top_p, as
            // greedy decoding does (filled in, a client's neutral `top_p: 1` or `top_k: -1` had been a 400).
            if name == "sample" || options["temperature"] != nil {
                if options["top_k"] == nil, let topK { options["top_k"] = .int(topK) }
                if options["top_p"] == nil, let topP { options["top_p"] = .double(topP) }
            }
            if name == "sample", options["min_p"] == nil, let minP { options["min_p"] = .double(minP) }
        }
        do {
            return try DecodingMethod(manifest: MethodSpec(name: name, options: options), seed: seed)
        } catch {
            throw .invalid("decoding: \(error.description)", param: "decoding")
        }
    }
}
