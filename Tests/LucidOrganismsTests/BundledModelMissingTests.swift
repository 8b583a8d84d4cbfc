import Testing
@testable import LucidOrganisms

/// A bundled name whose directory is not where Lucid looked says where it looked and how to point
/// Lucid at the models (a binary run from outside the repository), not only that a config is missing.
@Suite("missing bundled model")
struct BundledModelMissingTests {
    @Test func loadingAMissingBundledOrganismNamesLucidModelsAndTheTrainingCommand() {
        func message(_ directory: String) -> String {
            do {
                _ = try OrganismLoader.load(directory: directory)
                return "loaded"
            } catch {
                return "\(error)"
            }
        }
        let smol = message("/no/such/Models/shapes-smol")
        #expect(smol.contains("the bundled model 'shapes-smol' is not at /no/such/Models/shapes-smol") && smol.contains("set LUCID_MODELS")
                && smol.contains("`lucid train shapes-smol`"), "\(smol)")
        #expect(message("/no/such/Models/shapes-smol-q").contains("`lucid defend qmllm train`"))
        #expect(message("/no/such/Models/shapes-smol-hazard").contains("`lucid train shapes-smol-hazard`"))
        // Another missing directory keeps the plain reason.
        #expect(message("/no/such/model").contains("no readable config.json"))
    }
}
