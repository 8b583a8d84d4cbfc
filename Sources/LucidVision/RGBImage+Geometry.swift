/// Cropping, padding and resizing of ``RGBImage`` with transformers' and LLaVA's exact offsets.
extension RGBImage {
    /// This image resized with PIL's algorithm (see ``Resampler``).
    public func resized(width: Int, height: Int, filter: ResampleFilter = .bicubic) throws -> RGBImage {
        try Resampler.resize(self, width: width, height: height, filter: filter)
    }

    /// The pixels in columns `x ..< x + width` and rows `y ..< y + height`; parts outside the
    /// image are filled with `fill`. Throws `.invalidImage` for a size below 1x1.
    public func cropped(x: Int, y: Int, width: Int, height: Int,
                        fill: RGBColor = RGBColor(red: 0, green: 0, blue: 0)) throws -> RGBImage {
        var result = try RGBImage(width: width, height: height, color: fill)
        let columns = max(x, 0) ..< min(x + width, self.width)
        let rows = max(y, 0) ..< min(y + height, self.height)
        guard !columns.isEmpty, !rows.isEmpty else { return result }
        let rowBytes = columns.count * 3
        for row in rows {
            let source = (row * self.width + columns.lowerBound) * 3
            let target = ((row - y) * width + (columns.lowerBound - x)) * 3
            result.pixels.replaceSubrange(target ..< target + rowBytes, with: pixels[source ..< source + rowBytes])
        }
        return result
    }

    /// transformers' `center_crop` (4.40) to `height` x `width`, including its zero padding.
    ///
    /// Offsets are `top = (H - height) // 2`, `left = (W - width) // 2` (floor division). When
    /// the crop does not fit, the image is first pasted onto a black canvas of
    /// `max(height, H) x max(width, W)` at `((newH - H) // 2, (newW - W) // 2)` and the crop
    /// window, shifted by that offset, is clipped to the canvas. As in transformers, an image
    /// smaller than the crop by an odd amount therefore comes out one pixel short of the
    /// requested size on that axis.
    public func centerCropped(width cropWidth: Int, height cropHeight: Int) throws -> RGBImage {
        guard cropWidth >= 1, cropHeight >= 1 else {
            throw ImageError.invalidImage(reason: "cannot center-crop to \(cropWidth)x\(cropHeight)")
        }
        var top = floorDivide(height - cropHeight, 2)
        var bottom = top + cropHeight
        var left = floorDivide(width - cropWidth, 2)
        var right = left + cropWidth
        if top >= 0, bottom <= height, left >= 0, right <= width {
            return try cropped(x: left, y: top, width: cropWidth, height: cropHeight)
        }
        let canvasHeight = max(cropHeight, height)
        let canvasWidth = max(cropWidth, width)
        let topPad = (canvasHeight - height) / 2
        let leftPad = (canvasWidth - width) / 2
        top += topPad
        bottom += topPad
        left += leftPad
        right += leftPad
        let rows = max(0, top) ..< min(canvasHeight, bottom)
        let columns = max(0, left) ..< min(canvasWidth, right)
        // Canvas coordinates (row r, column c) hold image pixel (c - leftPad, r - topPad).
        return try cropped(x: columns.lowerBound - leftPad, y: rows.lowerBound - topPad,
                           width: columns.count, height: rows.count)
    }

    /// LLaVA's `expand2square`: a square canvas of `background` with this image pasted centred.
    ///
    /// A wide image (W > H) goes to (0, (W - H) // 2) on a W x W canvas, a tall one to
    /// ((H - W) // 2, 0) on H x H; a square image is returned unchanged. LLaVA passes
    /// `tuple(int(x * 255) for x in image_processor.image_mean)` as the background
    /// (``CLIPPreprocessorConfig/llavaPadColor``).
    public func expandedToSquare(background: RGBColor) throws -> RGBImage {
        if width == height { return self }
        let side = max(width, height)
        return try cropped(x: -(side - width) / 2, y: -(side - height) / 2, width: side, height: side,
                           fill: background)
    }
}

/// Python's `//` for integers: the quotient rounded toward negative infinity.
func floorDivide(_ numerator: Int, _ denominator: Int) -> Int {
    let quotient = numerator / denominator
    return (numerator % denominator != 0 && (numerator < 0) != (denominator < 0)) ? quotient - 1 : quotient
}
