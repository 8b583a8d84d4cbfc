@testable import LucidTensor

/// Runs `body` once under each small-linear kernel this CPU can run (forcing one it lacks gives the best
/// below it, which runs only once), then restores the automatic choice; returns the kernels that ran.
///
/// The choice is process-wide, so a test keeps the whole loop inside itself.
@discardableResult
func withEverySmallLinearKernel(_ body: (SmallLinearKernel) -> Void) -> [SmallLinearKernel] {
    defer { SmallLinearKernel.force(nil) }
    var seen: [SmallLinearKernel] = []
    for kernel in SmallLinearKernel.allCases {
        let active = SmallLinearKernel.force(kernel)
        guard !seen.contains(active) else { continue }
        seen.append(active)
        body(active)
    }
    return seen
}
