import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// The request context of `lucid serve`: Hummingbird's basic context plus a way to learn that the
/// client went away.
///
/// Hummingbird 2 does not cancel a handler when its client goes away, and it allows half-closed
/// connections, so a client's FIN only shows as an `inputClosed` event in the channel pipeline
/// (the channel itself stays open until the handler answers). `onClose` hears of either: the
/// `HangUpWatcher` that `ChatServer.httpServer` puts in every connection's pipeline, and the channel's
/// close.
public struct ServeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    private let channel: any Channel
    private let watcher: EventLoopFuture<HangUpWatcher>

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        watcher = source.channel.pipeline.handler(type: HangUpWatcher.self)
    }

    /// Closes the connection (after a body given up past the drain bound: `RequestBodyReader`).
    func closeConnection() { channel.close(promise: nil) }

    /// Calls `action` once the client has closed its side of the connection or the connection closed
    /// (at once if that already happened); it may be called more than once.
    func onClose(_ action: @escaping @Sendable () -> Void) {
        channel.closeFuture.whenComplete { _ in action() }
        watcher.whenSuccess { $0.onHangUp(action) }
    }
}

/// A pass-through channel handler that remembers whether the client closed its input (half-closure)
/// or the connection went inactive, and runs callbacks registered for that.
public final class HangUpWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    public typealias InboundIn = NIOAny

    private let state = NIOLockedValueBox<(hungUp: Bool, actions: [@Sendable () -> Void])>((false, []))

    public init() {}

    /// Runs `action` when the client hangs up, or now if it already has.
    func onHangUp(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLockedValue { state -> Bool in
            if !state.hungUp { state.actions.append(action) }
            return state.hungUp
        }
        if now { action() }
    }

    private func hangUp() {
        let actions = state.withLockedValue { state -> [@Sendable () -> Void] in
            state.hungUp = true
            defer { state.actions.removeAll() }
            return state.actions
        }
        actions.forEach { $0() }
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { hangUp() }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        hangUp()
        context.fireChannelInactive()
    }
}
