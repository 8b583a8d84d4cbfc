/// One line of a results file: a work item's result, or the error it failed with.
///
/// The line is JSON with the fields in this order:
/// `{"key", "model", "method", "method_id", "seed", "sample_id", "input_hash", "result" | "error", "elapsed_s"}`.
/// A failed item has `"error"` (a message) instead of `"result"`; it is retried on the next resume.
public struct ResultRecord: Sendable, Equatable {
    /// What the work item produced.
    public enum Outcome: Sendable, Equatable {
        case success(JSONValue)
        case failure(String)
    }

    public var key: String
    public var model: String
    /// The method's name (`opera`).
    public var method: String
    /// The method's name and configuration hash (`opera@1f0c9a2e`), as in the key.
    public var methodID: String
    public var seed: Int
    public var sampleID: String
    public var inputHash: String
    public var outcome: Outcome
    /// Wall time of the item in seconds, rounded to milliseconds.
    public var elapsedSeconds: Double

    public init(key: String, model: String, method: String, methodID: String, seed: Int, sampleID: String,
                inputHash: String, outcome: Outcome, elapsedSeconds: Double) {
        self.key = key
        self.model = model
        self.method = method
        self.methodID = methodID
        self.seed = seed
        self.sampleID = sampleID
        self.inputHash = inputHash
        self.outcome = outcome
        self.elapsedSeconds = (elapsedSeconds * 1000).rounded() / 1000
    }

    /// The record of `item` with `outcome`.
    public init(item: WorkItem, outcome: Outcome, elapsedSeconds: Double) {
        self.init(key: item.key, model: item.model.label, method: item.method.name, methodID: item.method.id, seed: item.seed,
                  sampleID: item.sample.id, inputHash: item.inputHash, outcome: outcome, elapsedSeconds: elapsedSeconds)
    }

    /// The result, when the item succeeded.
    public var result: JSONValue? {
        if case .success(let value) = outcome { return value }
        return nil
    }

    /// The error message, when the item failed.
    public var error: String? {
        if case .failure(let message) = outcome { return message }
        return nil
    }

    /// The JSON line, newline included.
    public func line() throws(JSONWriteError) -> String {
        var out = "{\"key\":"
        JSONValue.writeString(key, to: &out)
        out += ",\"model\":"
        JSONValue.writeString(model, to: &out)
        out += ",\"method\":"
        JSONValue.writeString(method, to: &out)
        out += ",\"method_id\":"
        JSONValue.writeString(methodID, to: &out)
        out += ",\"seed\":\(seed),\"sample_id\":"
        JSONValue.writeString(sampleID, to: &out)
        out += ",\"input_hash\":"
        JSONValue.writeString(inputHash, to: &out)
        switch outcome {
        case .success(let value):
            out += ",\"result\":"
            try JSONValue.write(value, to: &out, path: "result")
        case .failure(let message):
            out += ",\"error\":"
            JSONValue.writeString(message, to: &out)
        }
        out += ",\"elapsed_s\":"
        try JSONValue.write(.double(elapsedSeconds), to: &out, path: "elapsed_s")
        out += "}\n"
        return out
    }

    /// Parses one line (without its newline); the reason says which field is wrong.
    public static func parse(line bytes: some Collection<UInt8>) throws(ResultLineError) -> ResultRecord {
        let value: JSONValue
        do { value = try JSONValue.parse(utf8: bytes) } catch {
            throw ResultLineError(reason: "column \(error.column): \(error.reason)")
        }
        guard let fields = value.objectValue else { throw ResultLineError(reason: "expected an object, found \(value.typeDescription)") }
        func text(_ name: String) throws(ResultLineError) -> String {
            guard let string = fields[name]?.stringValue else { throw ResultLineError(reason: "`\(name)` must be a string") }
            return string
        }
        guard case .int(let seed) = fields["seed"] else { throw ResultLineError(reason: "`seed` must be an integer") }
        guard let elapsed = fields["elapsed_s"]?.doubleValue else { throw ResultLineError(reason: "`elapsed_s` must be a number") }
        let outcome: Outcome
        switch (fields["result"], fields["error"]) {
        case (let result?, nil): outcome = .success(result)
        case (nil, .string(let message)?): outcome = .failure(message)
        case (nil, _?): throw ResultLineError(reason: "`error` must be a string")
        case (_?, _?): throw ResultLineError(reason: "has both `result` and `error`")
        case (nil, nil): throw ResultLineError(reason: "has neither `result` nor `error`")
        }
        return ResultRecord(key: try text("key"), model: try text("model"), method: try text("method"), methodID: try text("method_id"),
                            seed: seed, sampleID: try text("sample_id"), inputHash: try text("input_hash"),
                            outcome: outcome, elapsedSeconds: elapsed)
    }
}

/// Why a results line is not a valid record.
public struct ResultLineError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
