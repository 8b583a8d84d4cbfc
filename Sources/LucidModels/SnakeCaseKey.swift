import Foundation

/// A JSON key read under its snake_case name, or under the camelCase name files written before
/// the snake_case vocabulary used (docs/json.md).
///
/// Types whose `CodingKeys` are snake_case decode through it in `init(from:)`, so that records
/// such as the committed `Models/*/organism.json` keep loading.
public struct SnakeCaseKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == SnakeCaseKey {
    /// The value under `key`, else under `legacy`; a missing key is an error naming `key`.
    public func decode<T: Decodable>(_ key: String, legacy: String) throws -> T {
        if key != legacy, !contains(SnakeCaseKey(stringValue: key)), contains(SnakeCaseKey(stringValue: legacy)) {
            return try decode(T.self, forKey: SnakeCaseKey(stringValue: legacy))
        }
        return try decode(T.self, forKey: SnakeCaseKey(stringValue: key))
    }

    /// The value under `key`, else under `legacy`, else nil.
    public func decodeIfPresent<T: Decodable>(_ key: String, legacy: String) throws -> T? {
        if let value = try decodeIfPresent(T.self, forKey: SnakeCaseKey(stringValue: key)) { return value }
        return key == legacy ? nil : try decodeIfPresent(T.self, forKey: SnakeCaseKey(stringValue: legacy))
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
            let parts = key.split(separator: "_", omittingEmptySubsequences: false)
            guard parts.count > 1 else { return path.last ?? SnakeCaseKey(stringValue: key) }
            let camel = String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
            return SnakeCaseKey(stringValue: camel)
        }
        return encoder
    }
}
