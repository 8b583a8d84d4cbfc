import Foundation

/// The key spellings of Lucid's record files (docs/json.md): snake_case, read and written by the
/// synthesised `Codable` of types whose `CodingKeys` are snake_case.
public enum JSONKeys {
    /// `key` in snake_case: an underscore before each upper-case letter that follows a lower-case letter or
    /// digit, then lower-cased (`trainingWorldSeed` → `training_world_seed`, `secondsPOPE` → `seconds_pope`,
    /// `popeF1` → `pope_f1`); a key without upper-case letters is returned as it is.
    public static func snakeCased(_ key: String) -> String {
        guard key.contains(where: \.isUppercase) else { return key }
        var out = ""
        var previous: Character?
        for character in key {
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber { out += "_" }
            out += character.lowercased()
            previous = character
        }
        return out
    }

    /// `key` in camelCase (`learning_rate` → `learningRate`); a key without underscores is returned as it is.
    public static func camelCased(_ key: String) -> String {
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return key }
        return String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

/// A coding key made from a string (what a key strategy returns).
struct PlainKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension JSONDecoder {
    /// A decoder for Lucid's records: keys are read through ``JSONKeys/snakeCased(_:)``, so files written with
    /// the camelCase keys of before the snake_case vocabulary (the committed `Models/*/organism.json`) still read
    /// with synthesised decoders whose `CodingKeys` are snake_case; snake_case files pass unchanged.
    ///
    /// The strategy applies to every key of the document, dictionary keys included: use it for types whose
    /// dictionaries are keyed by lower-case names only.
    public static func records() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            let snake = JSONKeys.snakeCased(key)
            return snake == key ? (path.last ?? PlainKey(stringValue: key)) : PlainKey(stringValue: snake)
        }
        return decoder
    }
}

extension JSONEncoder {
    /// An encoder (sorted keys) that writes snake_case keys back in camelCase (`learning_rate` → `learningRate`).
    ///
    /// For fingerprints taken over the JSON of types that were camelCase before the snake_case vocabulary (the
    /// training-data hash over the world configuration, the vision stage's cache key over its schedule): they
    /// stay what they were, so recorded `data_hash` values and cached stages still match.
    public static func camelCaseKeys() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            let camel = JSONKeys.camelCased(key)
            return camel == key ? (path.last ?? PlainKey(stringValue: key)) : PlainKey(stringValue: camel)
        }
        return encoder
    }
}
