import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 (random port) that answers each request with the next
/// canned (status, body) and records what it received. Serves a bounded number of requests, then stops.
///
/// Made with `answer:`, it serves connections concurrently instead (a thread each), answers each
/// request from its body after `delay` seconds, and counts the most requests it held at once.
final class MockChatServer: @unchecked Sendable {
    private let lock = NSLock()
    private var responses: [(Int, String)]
    private(set) var requests: [(headers: String, body: String)] = []
    let port: UInt16
    private let socketFD: Int32
    private var answer: (@Sendable (String) -> (Int, String))?
    private var delay: TimeInterval = 0
    private var inFlight = 0
    private var mostInFlight = 0

    /// A concurrent server for `count` requests: each answered with `answer(body)` after `delay` seconds.
    convenience init(count: Int, delay: TimeInterval, answer: @escaping @Sendable (String) -> (Int, String)) throws {
        try self.init(responses: Array(repeating: (500, "{}"), count: count), answer: answer, delay: delay)
    }

    init(responses: [(Int, String)], answer: (@Sendable (String) -> (Int, String))? = nil, delay: TimeInterval = 0) throws {
        self.responses = responses
        self.answer = answer
        self.delay = delay
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw CocoaError(.fileWriteUnknown)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: actual.sin_port)
        socketFD = fd
        let count = responses.count
        Thread.detachNewThread { [self] in self.serve(count) }
    }

    deinit { close(socketFD) }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }

    var recorded: [(headers: String, body: String)] {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    /// The most requests the server held at once (concurrent mode).
    var mostConcurrent: Int {
        lock.lock()
        defer { lock.unlock() }
        return mostInFlight
    }

    private func serve(_ count: Int) {
        for _ in 0..<count {
            let client = accept(socketFD, nil, nil)
            if client < 0 { return }
            if answer != nil { Thread.detachNewThread { [self] in self.respond(client) } } else { respond(client) }
        }
    }

    private func respond(_ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var received: [UInt8] = []
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { break }
            received += buffer[0..<n]
            if headerEnd == nil, let range = String(decoding: received, as: UTF8.self).range(of: "\r\n\r\n") {
                let head = String(String(decoding: received, as: UTF8.self)[..<range.lowerBound])
                headerEnd = head.utf8.count + 4
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let end = headerEnd, received.count >= end + contentLength { break }
        }
        let end = headerEnd ?? received.count
        let headers = String(decoding: received.prefix(end), as: UTF8.self)
        let body = String(decoding: received.dropFirst(end), as: UTF8.self)
        lock.lock()
        requests.append((headers, body))
        var (status, reply) = responses.isEmpty ? (500, "{}") : responses.removeFirst()
        inFlight += 1
        mostInFlight = max(mostInFlight, inFlight)
        lock.unlock()
        if let answer {
            Thread.sleep(forTimeInterval: delay)
            (status, reply) = answer(body)
        }
        lock.lock()
        inFlight -= 1
        lock.unlock()
        let bytes = Array(reply.utf8)
        let head = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        let out = Array(head.utf8) + bytes
        _ = out.withUnsafeBytes { write(client, $0.baseAddress, out.count) }
        close(client)
    }

    /// An OpenAI-style completion body whose first choice says `text`.
    static func completion(_ text: String) -> String {
        let escaped = String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
        return #"{"choices":[{"index":0,"message":{"role":"assistant","content":"# + escaped + #"}}]}"#
    }
}
