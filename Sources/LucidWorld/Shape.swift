/// A point or vector in icon coordinates: the icon's box is [-1, 1] × [-1, 1], y pointing down.
struct Vec2: Sendable, Equatable {
    var x: Double
    var y: Double

    init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }

    static func + (a: Vec2, b: Vec2) -> Vec2 { Vec2(a.x + b.x, a.y + b.y) }
    static func - (a: Vec2, b: Vec2) -> Vec2 { Vec2(a.x - b.x, a.y - b.y) }
    static func * (a: Vec2, s: Double) -> Vec2 { Vec2(a.x * s, a.y * s) }
    func dot(_ other: Vec2) -> Double { x * other.x + y * other.y }
    var length: Double { (x * x + y * y).squareRoot() }
}

/// An axis-aligned rectangle in icon coordinates (may be unbounded for half-planes).
struct Rect2: Sendable, Equatable {
    var minX: Double
    var minY: Double
    var maxX: Double
    var maxY: Double

    static let everything = Rect2(minX: -.infinity, minY: -.infinity, maxX: .infinity, maxY: .infinity)
    static let nothing = Rect2(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)

    func union(_ other: Rect2) -> Rect2 {
        Rect2(minX: min(minX, other.minX), minY: min(minY, other.minY),
              maxX: max(maxX, other.maxX), maxY: max(maxY, other.maxY))
    }

    func intersection(_ other: Rect2) -> Rect2 {
        Rect2(minX: max(minX, other.minX), minY: max(minY, other.minY),
              maxX: min(maxX, other.maxX), maxY: min(maxY, other.maxY))
    }

    func expanded(by amount: Double) -> Rect2 {
        Rect2(minX: minX - amount, minY: minY - amount, maxX: maxX + amount, maxY: maxY + amount)
    }

    func contains(_ p: Vec2) -> Bool { p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY }
}

/// A filled 2-D shape given by its signed distance function: negative inside, positive outside,
/// in icon units. The renderer turns distance into antialiased coverage
/// (`clamp(0.5 - distance_in_pixels, 0, 1)`).
///
/// Primitives are exact signed distances (after Inigo Quilez's formulas) except ``ellipse``,
/// which uses the first-order approximation `k0 (k0 - 1) / k1`; combinations use `min`/`max`,
/// which is exact outside unions and a close bound elsewhere — enough for one-pixel antialiasing.
indirect enum Shape: Sendable {
    case circle(center: Vec2, radius: Double)
    case ellipse(center: Vec2, radiusX: Double, radiusY: Double)
    /// A rectangle with rounded corners (`corner` ≤ half the smaller side).
    case rect(center: Vec2, halfWidth: Double, halfHeight: Double, corner: Double)
    /// A line segment with round caps: every point within `radius` of the segment.
    case capsule(from: Vec2, to: Vec2, radius: Double)
    /// A simple polygon (any winding).
    case polygon([Vec2])
    /// An annulus: points within `thickness / 2` of the circle of `radius`.
    case ring(center: Vec2, radius: Double, thickness: Double)
    /// The half-plane `dot(p - point, normal) <= 0` (`normal` of unit length); only meaningful
    /// inside ``intersect``.
    case halfPlane(point: Vec2, normal: Vec2)
    case union([Shape])
    /// The first shape minus the second.
    case subtract(Shape, Shape)
    case intersect(Shape, Shape)
    /// The shape rotated by the angle with this cosine and sine about `center`.
    case rotated(Shape, center: Vec2, cos: Double, sin: Double)

    /// The signed distance from `p` to the shape's boundary (negative inside).
    func distance(_ p: Vec2) -> Double {
        switch self {
        case let .circle(center, radius):
            return (p - center).length - radius
        case let .ellipse(center, rx, ry):
            let q = p - center
            let k0 = Vec2(q.x / rx, q.y / ry).length
            let k1 = Vec2(q.x / (rx * rx), q.y / (ry * ry)).length
            guard k1 > 0 else { return -min(rx, ry) }
            return k0 * (k0 - 1) / k1
        case let .rect(center, hw, hh, corner):
            let qx = abs(p.x - center.x) - hw + corner
            let qy = abs(p.y - center.y) - hh + corner
            let outside = Vec2(max(qx, 0), max(qy, 0)).length
            return outside + min(max(qx, qy), 0) - corner
        case let .capsule(a, b, radius):
            let pa = p - a
            let ba = b - a
            let denominator = ba.dot(ba)
            let h = denominator > 0 ? min(max(pa.dot(ba) / denominator, 0), 1) : 0
            return (pa - ba * h).length - radius
        case let .polygon(vertices):
            return Shape.polygonDistance(p, vertices)
        case let .ring(center, radius, thickness):
            return abs((p - center).length - radius) - thickness / 2
        case let .halfPlane(point, normal):
            return (p - point).dot(normal)
        case let .union(shapes):
            var best = Double.infinity
            for shape in shapes { best = min(best, shape.distance(p)) }
            return best
        case let .subtract(a, b):
            return max(a.distance(p), -b.distance(p))
        case let .intersect(a, b):
            return max(a.distance(p), b.distance(p))
        case let .rotated(shape, center, c, s):
            // Rotate p by the inverse angle about the centre, then measure the unrotated shape.
            let q = p - center
            return shape.distance(Vec2(c * q.x + s * q.y, -s * q.x + c * q.y) + center)
        }
    }

    /// A rectangle containing the shape (tight for primitives, conservative for combinations).
    var bounds: Rect2 {
        switch self {
        case let .circle(c, r):
            return Rect2(minX: c.x - r, minY: c.y - r, maxX: c.x + r, maxY: c.y + r)
        case let .ellipse(c, rx, ry):
            return Rect2(minX: c.x - rx, minY: c.y - ry, maxX: c.x + rx, maxY: c.y + ry)
        case let .rect(c, hw, hh, _):
            return Rect2(minX: c.x - hw, minY: c.y - hh, maxX: c.x + hw, maxY: c.y + hh)
        case let .capsule(a, b, r):
            return Rect2(minX: min(a.x, b.x) - r, minY: min(a.y, b.y) - r,
                         maxX: max(a.x, b.x) + r, maxY: max(a.y, b.y) + r)
        case let .polygon(vertices):
            var box = Rect2.nothing
            for v in vertices { box = box.union(Rect2(minX: v.x, minY: v.y, maxX: v.x, maxY: v.y)) }
            return box
        case let .ring(c, r, t):
            let outer = r + t / 2
            return Rect2(minX: c.x - outer, minY: c.y - outer, maxX: c.x + outer, maxY: c.y + outer)
        case .halfPlane:
            return .everything
        case let .union(shapes):
            return shapes.reduce(Rect2.nothing) { $0.union($1.bounds) }
        case let .subtract(a, _):
            return a.bounds
        case let .intersect(a, b):
            return a.bounds.intersection(b.bounds)
        case let .rotated(shape, center, c, s):
            return Shape.rotatedBounds(shape.bounds, center: center, cos: c, sin: s)
        }
    }

    /// The bounding box of `box` rotated by (cos, sin) about `center`.
    static func rotatedBounds(_ box: Rect2, center: Vec2, cos c: Double, sin s: Double) -> Rect2 {
        guard box.minX.isFinite, box.maxX.isFinite, box.minY.isFinite, box.maxY.isFinite else { return box }
        var result = Rect2.nothing
        for corner in [Vec2(box.minX, box.minY), Vec2(box.maxX, box.minY), Vec2(box.minX, box.maxY), Vec2(box.maxX, box.maxY)] {
            let q = corner - center
            let r = Vec2(c * q.x - s * q.y, s * q.x + c * q.y) + center
            result = result.union(Rect2(minX: r.x, minY: r.y, maxX: r.x, maxY: r.y))
        }
        return result
    }

    /// Exact signed distance to a polygon: the nearest edge gives the magnitude, a crossing
    /// count gives the sign.
    private static func polygonDistance(_ p: Vec2, _ v: [Vec2]) -> Double {
        guard let first = v.first else { return .infinity }
        var best = (p - first).dot(p - first)
        var sign = 1.0
        var j = v.count - 1
        for i in 0 ..< v.count {
            let e = v[j] - v[i]
            let w = p - v[i]
            let ee = e.dot(e)
            let t = ee > 0 ? min(max(w.dot(e) / ee, 0), 1) : 0
            let b = w - e * t
            best = min(best, b.dot(b))
            let c1 = p.y >= v[i].y
            let c2 = p.y < v[j].y
            let c3 = e.x * w.y > e.y * w.x
            if (c1 && c2 && c3) || (!c1 && !c2 && !c3) { sign = -sign }
            j = i
        }
        return sign * best.squareRoot()
    }
}
