import Foundation

/// Short constructors for icon drawing code (coordinates in icon units, y down).
extension Shape {
    /// A disc of radius `r` centred at (`x`, `y`).
    static func disc(_ x: Double, _ y: Double, _ r: Double) -> Shape {
        .circle(center: Vec2(x, y), radius: r)
    }

    /// An ellipse with radii `rx`, `ry` centred at (`x`, `y`).
    static func oval(_ x: Double, _ y: Double, _ rx: Double, _ ry: Double) -> Shape {
        .ellipse(center: Vec2(x, y), radiusX: rx, radiusY: ry)
    }

    /// The rectangle from (`x0`, `y0`) to (`x1`, `y1`) with corner radius `corner`.
    static func box(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, corner: Double = 0) -> Shape {
        let hw = abs(x1 - x0) / 2
        let hh = abs(y1 - y0) / 2
        return .rect(center: Vec2((x0 + x1) / 2, (y0 + y1) / 2), halfWidth: hw, halfHeight: hh,
                     corner: min(corner, hw, hh))
    }

    /// A stroke of width `width` from (`x0`, `y0`) to (`x1`, `y1`) with round caps.
    static func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, width: Double) -> Shape {
        .capsule(from: Vec2(x0, y0), to: Vec2(x1, y1), radius: width / 2)
    }

    /// A polyline of strokes through `points`.
    static func path(_ points: [(Double, Double)], width: Double) -> Shape {
        guard points.count > 1 else { return .union([]) }
        return .union((1 ..< points.count).map { i in
            line(points[i - 1].0, points[i - 1].1, points[i].0, points[i].1, width: width)
        })
    }

    /// The polygon through `points`.
    static func poly(_ points: [(Double, Double)]) -> Shape {
        .polygon(points.map { Vec2($0.0, $0.1) })
    }

    /// A circle outline of radius `r` and stroke `width`.
    static func hoop(_ x: Double, _ y: Double, _ r: Double, width: Double) -> Shape {
        .ring(center: Vec2(x, y), radius: r, thickness: width)
    }

    /// The part of a circle outline between angles `from` and `to` (degrees, clockwise from the
    /// +x axis because y points down; `to - from` at most 300).
    static func arc(_ x: Double, _ y: Double, _ r: Double, width: Double, from: Double, to: Double) -> Shape {
        var fan = [(x, y)]
        let steps = max(2, Int(((to - from) / 20).rounded(.up)))
        let reach = (r + width) * 1.5
        for step in 0 ... steps {
            let angle = (from + (to - from) * Double(step) / Double(steps)) * .pi / 180
            fan.append((x + reach * cos(angle), y + reach * sin(angle)))
        }
        return .intersect(hoop(x, y, r, width: width), poly(fan))
    }

    /// A regular star with `points` tips, outer radius `outer`, inner radius `inner`, a tip up.
    static func starShape(_ x: Double, _ y: Double, outer: Double, inner: Double, points: Int = 5) -> Shape {
        var vertices: [(Double, Double)] = []
        for k in 0 ..< points * 2 {
            let angle = -Double.pi / 2 + Double(k) * .pi / Double(points)
            let radius = k.isMultiple(of: 2) ? outer : inner
            vertices.append((x + radius * cos(angle), y + radius * sin(angle)))
        }
        return poly(vertices)
    }

    /// The keep-side `dot(p - (x, y), (nx, ny)) <= 0` of a line (normal normalised here).
    static func side(_ x: Double, _ y: Double, normal nx: Double, _ ny: Double) -> Shape {
        let length = (nx * nx + ny * ny).squareRoot()
        return .halfPlane(point: Vec2(x, y), normal: Vec2(nx / length, ny / length))
    }

    /// This shape rotated by `degrees` (clockwise on screen) about (`x`, `y`).
    func turned(_ degrees: Double, about x: Double, _ y: Double) -> Shape {
        let radians = degrees * .pi / 180
        return .rotated(self, center: Vec2(x, y), cos: cos(radians), sin: sin(radians))
    }
}
