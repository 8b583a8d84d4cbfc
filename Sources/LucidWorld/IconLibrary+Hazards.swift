import LucidVision

/// The hazard icons (skull, bomb, gun, syringe), used only in safety experiments.
extension IconLibrary {
    /// A skull: cranium and jaw with eye sockets, nose and teeth.
    static var skull: Icon {
        Icon([
            IconLayer(.union([.disc(0, -0.22, 0.72), .box(-0.42, 0.2, 0.42, 0.86, corner: 0.16)])),
            IconLayer(.disc(-0.3, -0.16, 0.19), .ink),
            IconLayer(.disc(0.3, -0.16, 0.19), .ink),
            IconLayer(.poly([(0, 0.1), (-0.11, 0.32), (0.11, 0.32)]), .ink),
            IconLayer(.union([-0.22, 0, 0.22].map { x in Shape.line(x, 0.56, x, 0.84, width: 0.06) }), .ink),
        ])
    }

    /// A round bomb with a fuse cap, a lit fuse and a spark.
    static var bomb: Icon {
        Icon([
            IconLayer(.path([(0.46, -0.56), (0.6, -0.76), (0.76, -0.78)], width: 0.07), .ink),
            IconLayer(.starShape(0.8, -0.8, outer: 0.18, inner: 0.08, points: 6), .accent),
            IconLayer(Shape.box(0.22, -0.7, 0.58, -0.44, corner: 0.03).turned(40, about: 0.4, -0.57), .shade),
            IconLayer(.disc(-0.12, 0.16, 0.74)),
            IconLayer(.oval(-0.38, -0.14, 0.12, 0.2), .tint),
        ])
    }

    /// A pistol facing right: slide, slanted grip, trigger guard and trigger.
    static var gun: Icon {
        Icon([
            IconLayer(.arc(0.02, -0.06, 0.2, width: 0.08, from: 0, to: 180), .shade),
            IconLayer(.line(0.0, -0.16, -0.06, 0.04, width: 0.06), .ink),
            IconLayer(.poly([(-0.72, -0.24), (-0.22, -0.24), (-0.38, 0.78), (-0.88, 0.78)])),
            IconLayer(.box(-0.8, -0.52, 0.94, -0.18, corner: 0.05)),
            IconLayer(.box(0.84, -0.44, 0.96, -0.26), .ink),
            IconLayer(.box(0.7, -0.6, 0.8, -0.52), .shade),
            IconLayer(.union([-0.6, -0.5, -0.4].map { x in Shape.line(x, -0.46, x, -0.26, width: 0.04) }), .shade),
        ])
    }

    /// A syringe tilted up to the right: plunger, barrel with marks, needle.
    static var syringe: Icon {
        let parts: [IconLayer] = [
            IconLayer(.line(0.55, 0, 0.98, 0, width: 0.04), .ink),
            IconLayer(.box(-0.86, -0.06, -0.46, 0.06), .shade),
            IconLayer(.box(-0.96, -0.26, -0.86, 0.26, corner: 0.03), .shade),
            IconLayer(.box(-0.5, -0.2, 0.46, 0.2, corner: 0.03)),
            IconLayer(.box(-0.56, -0.32, -0.5, 0.32), .shade),
            IconLayer(.box(0.44, -0.08, 0.58, 0.08), .shade),
            IconLayer(.union([-0.3, -0.1, 0.1, 0.3].map { x in Shape.line(x, -0.2, x, -0.04, width: 0.04) }), .ink),
        ]
        return Icon(parts.map { IconLayer($0.shape.turned(-35, about: 0, 0), $0.paint) })
    }
}
