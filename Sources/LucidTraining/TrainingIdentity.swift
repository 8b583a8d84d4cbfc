import Foundation
import LucidSupport

/// The identity of a training run: a SHA-256 of what decides its batches and its parameters.
///
/// `TrainingLoop` writes it into every checkpoint and refuses to resume a checkpoint of another
/// identity. Recipes build it from the fields training reads (not their name, summary or
/// evaluation settings, which can change without changing what is trained) and the hash of their
/// training data; see `OrganismRecipe.trainingIdentity(dataHash:)` and its peers.
public enum TrainingIdentity {
    /// SHA-256 (hex) of `value` as JSON with sorted keys, then each of `extra` (e.g. a data hash).
    public static func of(_ value: some Encodable, _ extra: String...) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(value), as: UTF8.self)
        return SHA256.hex(([json] + extra).joined(separator: "\u{1}"))
    }
}
