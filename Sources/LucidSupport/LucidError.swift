/// A library failure a user can act on: one line (`description`) that says what and where.
///
/// Front ends render these once at the top (the CLI prints `Error: <description>`); code in between
/// lets them pass instead of re-wrapping. The protocol lives here, beneath every layer, so an error
/// type can conform in its own module (LucidBench's `BenchError` does); the conformances of the
/// modules below the orchestration layer are collected in LucidPipeline's `LucidError.swift`.
public protocol LucidError: Error, CustomStringConvertible {}
