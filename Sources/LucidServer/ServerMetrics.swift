import Foundation
import LucidBuildInfo
import Prometheus

/// The server's Prometheus metrics, rendered in the text exposition format by `GET /metrics`.
///
/// `lucid_requests_total{status}`, `lucid_prompt_tokens_total`, `lucid_generated_tokens_total`,
/// `lucid_gate_refusals_total`, `lucid_request_duration_seconds` and `lucid_time_to_first_token_seconds`
/// (histograms), `lucid_queue_depth` (requests waiting), `lucid_active_generations` (rows decoding),
/// `lucid_tokenizer_requests` (requests admitted to the tokenizer line, to be tokenized or a large body parsed, and
/// not through it: `TokenizerLine`),
/// `lucid_batch_rows` (a histogram of rows per batched forward pass), `lucid_read_timeouts_total` (connections closed
/// because a request took longer than `--read-timeout` to arrive: `RequestReadClock`) and `lucid_build_info{version,commit} 1`
/// (which Lucid serves: `LucidBuild`, commit `unknown` outside a git checkout).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let promptTokens: Counter
    let generatedTokens: Counter
    let refusals: Counter
    let requestDuration: DurationHistogram
    let timeToFirstToken: DurationHistogram
    let queueDepth: Gauge
    let activeGenerations: Gauge
    let tokenizerRequests: Gauge
    let batchRows: ValueHistogram
    let readTimeouts: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        promptTokens = registry.makeCounter(descriptor: Self.descriptor("lucid_prompt_tokens_total", help: "Prompt tokens prefilled"))
        generatedTokens = registry.makeCounter(descriptor: Self.descriptor("lucid_generated_tokens_total", help: "Tokens generated"))
        refusals = registry.makeCounter(descriptor: Self.descriptor("lucid_gate_refusals_total", help: "Requests the image gate (Q-MLLM) refused"))
        readTimeouts = registry.makeCounter(descriptor: Self.descriptor("lucid_read_timeouts_total",
                                                                        help: "Connections closed because a request took longer than the read timeout to arrive"))
        let buckets: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                   .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300)]
        requestDuration = registry.makeDurationHistogram(
            descriptor: Self.descriptor("lucid_request_duration_seconds", help: "Chat completion time from admission to the last token"),
            buckets: buckets)
        timeToFirstToken = registry.makeDurationHistogram(
            descriptor: Self.descriptor("lucid_time_to_first_token_seconds", help: "Time from admission to the first generated token"),
            buckets: buckets)
        queueDepth = registry.makeGauge(descriptor: Self.descriptor("lucid_queue_depth", help: "Requests admitted and waiting for the model"))
        activeGenerations = registry.makeGauge(descriptor: Self.descriptor("lucid_active_generations", help: "Generations decoding now"))
        tokenizerRequests = registry.makeGauge(descriptor: Self.descriptor("lucid_tokenizer_requests",
                                                                           help: "Requests waiting to be tokenized or their large body parsed, or being so"))
        batchRows = registry.makeValueHistogram(descriptor: Self.descriptor("lucid_batch_rows", help: "Rows per batched decode step"),
                                                buckets: [1, 2, 3, 4, 6, 8, 12, 16])
        registry.makeGauge(descriptor: Self.descriptor("lucid_build_info", help: "The Lucid build serving: version and git commit"),
                           labels: [("version", LucidBuild.version), ("commit", LucidBuild.commit ?? "unknown")]).set(to: 1)
    }

    /// Counts one answered request by status code.
    func countRequest(status: Int) {
        registry.makeCounter(descriptor: Self.descriptor("lucid_requests_total", help: "Requests answered, by HTTP status"),
                             labels: [("status", String(status))]).increment()
    }

    /// A metric's full name and help text (no unit suffix: the names above already end in theirs).
    static func descriptor(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The exposition text.
    public func render() -> String { registry.emitToString() }

    static func duration(nanoseconds: UInt64) -> Duration { .nanoseconds(Int64(clamping: nanoseconds)) }
}
