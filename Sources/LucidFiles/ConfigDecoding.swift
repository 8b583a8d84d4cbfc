/// Strict optional keys for configuration files written by others (`config.json`).
///
/// `decodeIfPresent` reads an explicit `null` as an absent key, so `"hidden_size": null` would
/// silently take the default. transformers 5 refuses such a `null` for most keys (its configs
/// are strict dataclasses); only a few keys treat `null` as "not set" (sub-configurations,
/// `num_key_value_heads`, `head_dim`, `rope_scaling`, docs/security.md lists them). Lucid decodes
/// the others with `decodeIfPresentNonNull`, which refuses `null` with the key's path.
extension KeyedDecodingContainer {
    /// The value under `key`, or nil when the key is absent; an explicit `null` is an error
    /// (`DecodingError.valueNotFound` whose coding path ends in `key`).
    public func decodeIfPresentNonNull<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw DecodingError.valueNotFound(T.self, DecodingError.Context(
                codingPath: codingPath + [key],
                debugDescription: "null is not a value here (leave the key out for the default)"))
        }
        return try decode(T.self, forKey: key)
    }
}
