extension Resampler {
    /// Pillow's resampling of one axis from `inSize` to `outSize` samples as a dense matrix, row-major
    /// [outSize, inSize]: row i holds output i's taps with the fixed-point weights Pillow uses, as floats.
    ///
    /// Applied to a float image in [0, 1] as Pillow does (horizontal pass `X · R_wᵀ`, clipped to [0, 1], then
    /// vertical `R_h · …`, clipped) it is Pillow's resize without the 8-bit rounding after each pass (at
    /// most half a level each), and a gradient goes through it (image attacks on a processor that
    /// resizes). An unchanged size is the identity.
    public static func weightMatrix(inSize: Int, outSize: Int, filter: ResampleFilter = .bicubic) -> [Float] {
        var matrix = [Float](repeating: 0, count: outSize * inSize)
        if inSize == outSize {
            for i in 0 ..< inSize { matrix[i * inSize + i] = 1 }
            return matrix
        }
        let taps = Taps(inSize: inSize, outSize: outSize, filter: filter)
        let unit = Float(1 << precisionBits)
        for output in 0 ..< outSize {
            for tap in 0 ..< taps.count[output] {
                matrix[output * inSize + taps.start[output] + tap] = Float(taps.weights[output * taps.stride + tap]) / unit
            }
        }
        return matrix
    }
}
