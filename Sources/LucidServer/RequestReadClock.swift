import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client takes longer than `limit` to send one request, head and body.
///
/// Hummingbird's idle timeout closes a connection only after a silence, so a client that trickles a byte just inside
/// it (slowloris) held its connection, and a descriptor, for as long as it kept trickling. This clock counts only the
/// time the server spends waiting for the client: from each read it asks for to the bytes' arrival, summed from a
/// request's first byte to the end of its body as decoded. Time in which the server does not read is not counted (a
/// handler still consuming the body, a pipelined request held by NIO until the one before it is answered), nor the
/// silence between requests (the idle timeout's). When a request's first bytes arrive together with the end of the one
/// before, its count starts when more of its bytes arrive: a little more time than the limit, never less.
///
/// One clock per connection, used only on its event loop by its two handlers: `PartsSide` (after HTTP decoding, sees
/// each request end; put it in the pipeline) and `BytesSide` (raw bytes, placed first by `PartsSide` when added).
final class RequestReadClock {
    let limit: TimeAmount
    /// Called as the clock closes a connection (`lucid_read_timeouts_total`).
    let onTimeout: @Sendable () -> Void
    private var reading = false
    private var waited = TimeAmount.zero
    private var waitingSince: NIODeadline?
    private var alarm: Scheduled<Void>?

    init(limit: TimeAmount, onTimeout: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.onTimeout = onTimeout
    }

    /// The server asked for bytes: while a request is being read, the connection closes once its waits reach `limit`.
    func serverWaits(_ context: ChannelHandlerContext) {
        guard waitingSince == nil else { return }
        waitingSince = context.eventLoop.now
        guard reading, alarm == nil else { return }
        let (bound, onTimeout) = (NIOLoopBound(context, eventLoop: context.eventLoop), onTimeout)
        alarm = context.eventLoop.scheduleTask(in: limit - waited) {
            onTimeout()
            bound.value.close(promise: nil)
        }
    }

    /// Bytes arrived: the wait they end counts if a request was being read; otherwise they begin one.
    func bytesArrived(_ context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        if reading {
            if let waitingSince { waited = waited + (now - waitingSince) }
        } else {
            reading = true
            waited = .zero
        }
        waitingSince = nil
        stopAlarm()
    }

    /// The request's end was decoded: the next one starts a fresh count.
    func requestRead() {
        reading = false
        waited = .zero
        stopAlarm()
    }

    func stopAlarm() {
        alarm?.cancel()
        alarm = nil
    }

    /// Sees each request end, after HTTP decoding; puts `BytesSide` first in the pipeline when added.
    final class PartsSide: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        private let clock: RequestReadClock

        init(limit: TimeAmount, onTimeout: @escaping @Sendable () -> Void = {}) {
            clock = RequestReadClock(limit: limit, onTimeout: onTimeout)
        }

        func handlerAdded(context: ChannelHandlerContext) {
            do {
                try context.pipeline.syncOperations.addHandler(BytesSide(clock: clock), position: .first)
            } catch {
                context.fireErrorCaught(error)
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            clock.stopAlarm()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .end = unwrapInboundIn(data) { clock.requestRead() }
            context.fireChannelRead(data)
        }
    }

    /// Sees the server's reads and the client's bytes, before HTTP decoding.
    final class BytesSide: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
        private let clock: RequestReadClock

        init(clock: RequestReadClock) {
            self.clock = clock
        }

        func read(context: ChannelHandlerContext) {
            clock.serverWaits(context)
            context.read()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            clock.bytesArrived(context)
            context.fireChannelRead(data)
        }

        func channelInactive(context: ChannelHandlerContext) {
            clock.stopAlarm()
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            clock.stopAlarm()
        }
    }
}
