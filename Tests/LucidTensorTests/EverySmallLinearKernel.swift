@testable import LucidTensor

/// Runs `body` once under each small-linear kernel this CPU can run (asking for one it lacks gives the
/// best below it, which runs only once); returns the kernels that ran.
///
/// The choice is the calling thread's (`SmallLinearKernel.using`), so tests running beside this one
/// keep the automatic kernel.
@discardableResult
func withEverySmallLinearKernel(_ body: (SmallLinearKernel) -> Void) -> [SmallLinearKernel] {
    var seen: [SmallLinearKernel] = []
    for kernel in SmallLinearKernel.allCases {
        SmallLinearKernel.using(kernel) { active in
            guard !seen.contains(active) else { return }
            seen.append(active)
            body(active)
        }
    }
    return seen
}
