import NIOCore

/// Reads a request body up to the server's size limit, and past it reads the rest and drops it, so that the
/// client hears its 413.
///
/// Many clients send their whole body before they read an answer (Python's `urllib`, which also sends
/// `Connection: close`). Hummingbird 2 answers such a connection and then waits for the client to close it,
/// reading nothing more: a body over the limit filled the socket buffers, the client's send blocked, and
/// neither side moved until the client's timeout (measured with a 25 MB body: urllib waited its whole 20 s).
/// Keep-alive connections were drained by Hummingbird after the answer, so only `Connection: close` hung.
/// Draining here, before the 413 is written, as web servers' lingering close does, serves both.
///
/// The drain is bounded: past `limit + drainBytes` the body is given up (`.tooLarge(drained: false)`), and the
/// caller closes the connection rather than read a hostile client's endless body.
enum RequestBodyReader {
    enum Outcome: Equatable {
        /// The whole body, at most `limit` bytes.
        case body(ByteBuffer)
        /// Over `limit`: `drained` when the rest was read to its end within `drainBytes` more, else given up.
        case tooLarge(drained: Bool)
    }

    /// How much past the limit a body is read and dropped before the connection is closed instead: 64 MiB.
    static let defaultDrainBytes = 64 << 20

    /// `body`'s bytes when they are at most `limit`; else what became of the rest (see `Outcome`).
    static func read<Body: AsyncSequence>(_ body: Body, limit: Int, drainBytes: Int = defaultDrainBytes) async throws -> Outcome
    where Body.Element == ByteBuffer {
        var collected = ByteBuffer()
        var dropped = 0
        var over = false
        for try await chunk in body {
            let size = chunk.readableBytes
            if !over && size <= limit - collected.readableBytes {
                var chunk = chunk
                collected.writeBuffer(&chunk)
                continue
            }
            if !over {
                over = true
                dropped = collected.readableBytes
                collected = ByteBuffer()
            }
            // Both terms are at most limit + drainBytes (+ one chunk), far below Int.max.
            dropped += size
            if dropped - limit > drainBytes { return .tooLarge(drained: false) }
        }
        return over ? .tooLarge(drained: true) : .body(collected)
    }
}
