@testable import LucidCLI
import Testing

/// `lucid serve`'s connection flags reach the server's limits, and a bad value is refused before a model is opened.
@Suite("serve command flags")
struct ServeCommandTests {
    @Test func connectionTimeoutsReachTheLimitsAndBadOnesAreRefusedNamingThem() throws {
        let parsed = try LucidCommand.parseAsRoot(["serve", "--model", "m", "--idle-timeout", "7", "--read-timeout", "11", "--request-timeout", "13"])
        let serve = try #require(parsed as? ServeCommand)
        #expect(serve.limits.idleTimeoutSeconds == 7)
        #expect(serve.limits.readTimeoutSeconds == 11)
        #expect(serve.limits.requestTimeoutSeconds == 13)
        for (flag, named) in [("--read-timeout=0", "read timeout"), ("--read-timeout=86401", "read timeout"), ("--idle-timeout=-1", "idle timeout")] {
            do {
                _ = try LucidCommand.parseAsRoot(["serve", "--model", "m", flag])
                Issue.record("\(flag) was accepted")
            } catch {
                #expect(LucidCommand.message(for: error).contains(named), "\(LucidCommand.message(for: error))")
            }
        }
    }
}
