import LucidVision

/// Household objects and vehicles.
extension IconLibrary {
    /// A house: walls, pitched roof, chimney, door and two windows.
    static var house: Icon {
        Icon([
            IconLayer(.box(0.42, -0.82, 0.62, -0.3), .shade),
            IconLayer(.box(-0.7, -0.18, 0.7, 0.92)),
            IconLayer(.poly([(-0.92, -0.08), (0, -0.92), (0.92, -0.08)]), .shade),
            IconLayer(.box(-0.16, 0.36, 0.16, 0.92, corner: 0.04), .ink),
            IconLayer(.box(-0.56, 0.08, -0.28, 0.36), .tint),
            IconLayer(.box(0.28, 0.08, 0.56, 0.36), .tint),
        ])
    }

    /// A car seen from the side, facing right.
    static var car: Icon {
        Icon([
            IconLayer(.union([
                .box(-0.96, -0.08, 0.96, 0.42, corner: 0.14),
                .poly([(-0.55, -0.04), (-0.32, -0.52), (0.32, -0.52), (0.62, -0.04)]),
            ])),
            IconLayer(.poly([(-0.43, -0.1), (-0.26, -0.43), (-0.03, -0.43), (-0.03, -0.1)]), .tint),
            IconLayer(.poly([(0.05, -0.1), (0.05, -0.43), (0.27, -0.43), (0.48, -0.1)]), .tint),
            IconLayer(.box(0.8, 0.02, 0.95, 0.14, corner: 0.04), .accent),
            IconLayer(.disc(-0.52, 0.44, 0.25), .ink),
            IconLayer(.disc(0.52, 0.44, 0.25), .ink),
            IconLayer(.disc(-0.52, 0.44, 0.1), steel),
            IconLayer(.disc(0.52, 0.44, 0.1), steel),
        ])
    }

    /// A sailing boat: hull, mast and two sails.
    static var boat: Icon {
        Icon([
            IconLayer(.line(0, -0.94, 0, 0.4, width: 0.07), .ink),
            IconLayer(.poly([(0.07, -0.88), (0.07, 0.26), (0.74, 0.26)]), .tint),
            IconLayer(.poly([(-0.07, -0.66), (-0.07, 0.26), (-0.58, 0.26)]), .tint),
            IconLayer(.poly([(-0.96, 0.36), (0.96, 0.36), (0.66, 0.82), (-0.66, 0.82)])),
            IconLayer(.box(-0.8, 0.44, 0.8, 0.52), .shade),
        ])
    }

    /// A top hat: tall crown, band and brim.
    static var hat: Icon {
        Icon([
            IconLayer(.box(-0.46, -0.78, 0.46, 0.46, corner: 0.06)),
            IconLayer(.box(-0.46, 0.12, 0.46, 0.36), .shade),
            IconLayer(.box(-0.92, 0.4, 0.92, 0.6, corner: 0.1)),
            IconLayer(.box(-0.3, -0.66, -0.18, 0.04, corner: 0.05), .tint),
        ])
    }

    /// A table lamp: conical shade, stem, base and pull cord.
    static var lamp: Icon {
        Icon([
            IconLayer(.line(0, -0.2, 0, 0.74, width: 0.13), .shade),
            IconLayer(.box(-0.46, 0.7, 0.46, 0.92, corner: 0.09), .shade),
            IconLayer(.line(0.42, -0.2, 0.42, 0.16, width: 0.04), .ink),
            IconLayer(.disc(0.42, 0.2, 0.06), .ink),
            IconLayer(.poly([(-0.34, -0.88), (0.34, -0.88), (0.68, -0.16), (-0.68, -0.16)])),
            IconLayer(.box(-0.68, -0.24, 0.68, -0.16), .shade),
        ])
    }

    /// An alarm clock: round body, two bells, feet, face with ticks and hands.
    static var clock: Icon {
        var ticks: [Shape] = [
            .line(0, -0.43, 0, -0.33, width: 0.07), .line(0, 0.53, 0, 0.43, width: 0.07),
            .line(-0.48, 0.05, -0.38, 0.05, width: 0.07), .line(0.48, 0.05, 0.38, 0.05, width: 0.07),
        ]
        ticks.append(.line(0, 0.05, 0, -0.28, width: 0.07))
        ticks.append(.line(0, 0.05, 0.24, 0.18, width: 0.07))
        return Icon([
            IconLayer(.disc(-0.55, -0.68, 0.24), .shade),
            IconLayer(.disc(0.55, -0.68, 0.24), .shade),
            IconLayer(.line(-0.45, 0.66, -0.66, 0.93, width: 0.11), .ink),
            IconLayer(.line(0.45, 0.66, 0.66, 0.93, width: 0.11), .ink),
            IconLayer(.disc(0, 0.05, 0.76)),
            IconLayer(.disc(0, 0.05, 0.56), paper),
            IconLayer(.union(ticks), .ink),
        ])
    }

    /// A hand bell: dome, flared body, rim, clapper and handle loop.
    static var bell: Icon {
        Icon([
            IconLayer(.hoop(0, -0.76, 0.13, width: 0.09), .shade),
            IconLayer(.disc(0, 0.72, 0.16), .shade),
            IconLayer(.union([
                .disc(0, -0.22, 0.44),
                .poly([(-0.44, -0.22), (0.44, -0.22), (0.72, 0.52), (-0.72, 0.52)]),
                .box(-0.82, 0.46, 0.82, 0.62, corner: 0.08),
            ])),
            IconLayer(.box(-0.82, 0.46, 0.82, 0.62, corner: 0.08), .shade),
            IconLayer(.oval(-0.22, -0.2, 0.08, 0.2), .tint),
        ])
    }

    /// An open umbrella with a scalloped canopy, shaft and hooked handle.
    static var umbrella: Icon {
        let dome = Shape.intersect(.disc(0, -0.04, 0.9), .side(0, -0.04, normal: 0, 1))
        let canopy = Shape.subtract(dome, .union([.disc(-0.6, -0.01, 0.3), .disc(0, -0.01, 0.3), .disc(0.6, -0.01, 0.3)]))
        return Icon([
            IconLayer(.line(0, -0.3, 0, 0.68, width: 0.08), .ink),
            IconLayer(.arc(0.17, 0.68, 0.17, width: 0.08, from: 0, to: 180), .ink),
            IconLayer(canopy),
            IconLayer(.intersect(canopy, .oval(0, -0.04, 0.3, 0.95)), .shade),
            IconLayer(.line(0, -0.92, 0, -0.95, width: 0.08), .ink),
        ])
    }

    /// A chair seen from the front: open backrest, seat and legs.
    static var chair: Icon {
        Icon([
            IconLayer(.subtract(.box(-0.52, -0.96, 0.52, -0.06, corner: 0.08), .box(-0.32, -0.76, 0.32, -0.3, corner: 0.04))),
            IconLayer(.box(-0.56, 0.1, -0.4, 0.96, corner: 0.03)),
            IconLayer(.box(0.4, 0.1, 0.56, 0.96, corner: 0.03)),
            IconLayer(.box(-0.66, -0.1, 0.66, 0.14, corner: 0.05), .shade),
        ])
    }

    /// A bottle with a cap and a label.
    static var bottle: Icon {
        Icon([
            IconLayer(.union([
                .box(-0.36, -0.28, 0.36, 0.96, corner: 0.12),
                .poly([(-0.36, -0.22), (-0.14, -0.56), (0.14, -0.56), (0.36, -0.22)]),
                .box(-0.13, -0.84, 0.13, -0.5),
            ])),
            IconLayer(.box(-0.17, -0.97, 0.17, -0.78, corner: 0.04), .shade),
            IconLayer(.box(-0.36, 0.16, 0.36, 0.56), .tint),
        ])
    }

    /// A diamond kite with spars and a bowed tail.
    static var kite: Icon {
        Icon([
            IconLayer(.path([(0, 0.42), (0.22, 0.6), (0.02, 0.78), (0.24, 0.95)], width: 0.04), .ink),
            IconLayer(.poly([(0.1, 0.56), (0.34, 0.5), (0.26, 0.7)]), .shade),
            IconLayer(.poly([(0.08, 0.82), (0.32, 0.74), (0.26, 0.94)]), .shade),
            IconLayer(.poly([(0, -0.96), (0.58, -0.3), (0, 0.44), (-0.58, -0.3)])),
            IconLayer(.poly([(0, -0.96), (0, -0.3), (-0.58, -0.3)]), .shade),
            IconLayer(.poly([(0, -0.3), (0.58, -0.3), (0, 0.44)]), .shade),
            IconLayer(.union([.line(0, -0.9, 0, 0.38, width: 0.035), .line(-0.52, -0.3, 0.52, -0.3, width: 0.035)]), .ink),
        ])
    }

    /// An open book: cover behind two pages with lines of text.
    static var book: Icon {
        var lines: [Shape] = []
        for k in 0 ..< 4 {
            let y = -0.3 + Double(k) * 0.2
            lines.append(.line(-0.78, y, -0.18, y + 0.08, width: 0.05))
            lines.append(.line(0.18, y + 0.08, 0.78, y, width: 0.05))
        }
        return Icon([
            IconLayer(.poly([(-0.98, -0.5), (0, -0.34), (0.98, -0.5), (0.98, 0.62), (0, 0.76), (-0.98, 0.62)])),
            IconLayer(.poly([(-0.88, -0.62), (-0.04, -0.46), (-0.04, 0.6), (-0.88, 0.46)]), .tint),
            IconLayer(.poly([(0.04, -0.46), (0.88, -0.62), (0.88, 0.46), (0.04, 0.6)]), .tint),
            IconLayer(.union(lines), .shade),
        ])
    }
}
