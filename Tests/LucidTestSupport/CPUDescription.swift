import Foundation

/// The CPU's vendor and instruction-set flags as Linux's /proc/cpuinfo lists them (empty elsewhere), for tests whose
/// reference bits depend on the kernels libtorch picks by vendor and instruction set.
public struct CPUDescription: Sendable {
    public let vendor: String
    public let flags: Set<String>

    /// The first processor's `vendor_id` and `flags`.
    public static let current: CPUDescription = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n")
        func value(_ key: String) -> String {
            guard let line = lines.first(where: { $0.hasPrefix(key) }), let colon = line.firstIndex(of: ":") else { return "" }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return CPUDescription(vendor: value("vendor_id"), flags: Set(value("flags").split(separator: " ").map(String.init)))
    }()

    public var isIntel: Bool { vendor == "GenuineIntel" }
    public var isAMD: Bool { vendor == "AuthenticAMD" }
}
