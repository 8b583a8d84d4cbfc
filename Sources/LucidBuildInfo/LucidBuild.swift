/// Which Lucid this is: its version and the git commit it was built from.
///
/// The commit comes from the `LucidBuildID` build plugin (`git rev-parse` when the checkout's HEAD
/// last moved); a build outside a git checkout has none. Run directories record both (`run.json`'s
/// `lucid`), and `lucid --version` prints them.
public enum LucidBuild {
    /// Lucid's release version.
    public static let version = "0.1.0"

    /// The commit checked out when this build ran (`git rev-parse --short=12 HEAD`); nil
    /// outside a git checkout. Uncommitted edits are not reflected.
    public static let commit: String? = generatedCommit == "unknown" ? nil : generatedCommit

    /// `0.1.0 (commit 0123456789ab)`, or the version alone without a commit.
    public static var description: String { commit.map { "\(version) (commit \($0))" } ?? version }
}
