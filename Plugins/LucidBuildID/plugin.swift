import Foundation
import PackagePlugin

/// Writes the git commit Lucid is built from into the target (`LucidBuild.commit`).
///
/// The command reruns when the checkout's HEAD moves (a commit, checkout, reset or pull changes
/// `HEAD`, its reflog or the branch's reference), and writes its file only when the commit changed,
/// so an unchanged commit recompiles nothing. It runs `git rev-parse --short=12 HEAD` in the package
/// directory; outside a git checkout, or without git, the commit is `unknown`. Uncommitted edits are
/// not tracked (the command does not rerun for them), so the id says which commit was checked out,
/// not that the tree was clean.
@main
struct LucidBuildID: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appending(path: "GeneratedCommit.swift")
        let git = gitDirectory(of: root)
        let inputs: [URL] = git.map { (git: URL) -> [URL] in
            // A linked worktree keeps HEAD and its reflog in its own git directory, branches and
            // packed-refs in the common one.
            let common = commonDirectory(of: git)
            let files = ["HEAD", "logs/HEAD"].map { git.appending(path: $0) }
                + (["packed-refs"] + [branchReference(in: git)].compactMap { $0 }).map { common.appending(path: $0) }
            return files.filter { FileManager.default.fileExists(atPath: $0.path) }
        } ?? []
        // $1: the package directory; $2: the Swift file to write (only when its text changes); $3: 1 where
        // the package is a checkout of its own (not a copy inside another repository, whose commit it is not).
        let script = """
            unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_COMMON_DIR; \
            commit=$([ "$3" = 1 ] && git -C "$1" rev-parse --short=12 HEAD 2>/dev/null | tr -cd '0-9A-Za-z._-') ; \
            printf '/// Written by the LucidBuildID plugin.\\nlet generatedCommit = "%s"\\n' "${commit:-unknown}" > "$2.new" && \
            if cmp -s "$2.new" "$2"; then rm -f "$2.new"; else mv "$2.new" "$2"; fi
            """
        return [.buildCommand(displayName: "Reading Lucid's git commit", executable: URL(fileURLWithPath: "/bin/sh"),
                              arguments: ["-c", script, "sh", root.path, output.path, git == nil ? "0" : "1"], inputFiles: inputs, outputFiles: [output])]
    }

    /// The branch `HEAD` points at (`refs/heads/main`), whose file moves on a commit where no reflog is kept.
    func branchReference(in git: URL) -> String? {
        guard let head = try? String(contentsOf: git.appending(path: "HEAD"), encoding: .utf8), head.hasPrefix("ref:") else { return nil }
        let reference = head.dropFirst("ref:".count).trimmingCharacters(in: .whitespacesAndNewlines)
        return reference.hasPrefix("refs/") && !reference.contains("..") ? reference : nil
    }

    /// Where a git directory's shared refs live: its `commondir` (a linked worktree's), else itself.
    func commonDirectory(of git: URL) -> URL {
        guard let text = try? String(contentsOf: git.appending(path: "commondir"), encoding: .utf8) else { return git }
        let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if path.isEmpty { return git }
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : git.appending(path: path)
    }

    /// The git directory of a checkout at `root`: `.git`, or where a worktree's `.git` file points.
    func gitDirectory(of root: URL) -> URL? {
        let dotGit = root.appending(path: ".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { return dotGit }
        guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") else { return nil }
        let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appending(path: path)
    }
}
