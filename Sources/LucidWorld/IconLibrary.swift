import Foundation
import LucidVision

/// The icon of every category, built once from vector shapes (coordinates in [-1, 1]², y down).
///
/// Each icon has its own silhouette and details so that no two categories look alike (the tests
/// compare every pair drawn alone at the same place). This file holds the tableware, nature and
/// sky icons; `IconLibrary+Things.swift` the household and vehicle icons and
/// `IconLibrary+Hazards.swift` the hazards.
enum IconLibrary {
    /// The icon of `category`.
    static func icon(for category: ShapeCategory) -> Icon {
        table[category.id - 1]
    }

    /// Icons in ``ShapeCategory`` declaration order.
    private static let table: [Icon] = ShapeCategory.allCases.map(build)

    private static func build(_ category: ShapeCategory) -> Icon {
        switch category {
        case .ball: return ball
        case .box: return box
        case .cup: return cup
        case .fork: return fork
        case .knife: return knife
        case .spoon: return spoon
        case .key: return key
        case .fish: return fish
        case .bird: return bird
        case .tree: return tree
        case .house: return house
        case .car: return car
        case .boat: return boat
        case .sun: return sun
        case .moon: return moon
        case .cloud: return cloud
        case .star: return star
        case .hat: return hat
        case .lamp: return lamp
        case .clock: return clock
        case .bell: return bell
        case .apple: return apple
        case .flower: return flower
        case .umbrella: return umbrella
        case .chair: return chair
        case .bottle: return bottle
        case .kite: return kite
        case .book: return book
        case .skull: return skull
        case .bomb: return bomb
        case .gun: return gun
        case .syringe: return syringe
        }
    }

    static let leafGreen = IconPaint.fixed(RGBColor(red: 58, green: 150, blue: 52))
    static let woodBrown = IconPaint.fixed(RGBColor(red: 112, green: 72, blue: 38))
    static let paper = IconPaint.fixed(RGBColor(red: 250, green: 248, blue: 240))
    static let steel = IconPaint.fixed(RGBColor(red: 196, green: 200, blue: 208))

    // MARK: - Tableware

    /// A beach ball: a disc with a light middle band and a highlight.
    static var ball: Icon {
        let disc = Shape.disc(0, 0, 0.86)
        return Icon([
            IconLayer(disc),
            IconLayer(.intersect(disc, .oval(0, 0, 0.3, 0.9)), .tint),
            IconLayer(.intersect(disc, .union([.oval(-0.86, 0, 0.3, 0.9), .oval(0.86, 0, 0.3, 0.9)])), .shade),
            IconLayer(.oval(-0.32, -0.5, 0.12, 0.08), .fixed(RGBColor(red: 255, green: 255, blue: 255))),
        ])
    }

    /// A cardboard-style cube: front face, lighter top, darker side.
    static var box: Icon {
        Icon([
            IconLayer(.poly([(-0.85, -0.4), (0.4, -0.4), (0.4, 0.88), (-0.85, 0.88)])),
            IconLayer(.poly([(-0.85, -0.4), (-0.38, -0.86), (0.86, -0.86), (0.4, -0.4)]), .tint),
            IconLayer(.poly([(0.4, -0.4), (0.86, -0.86), (0.86, 0.4), (0.4, 0.88)]), .shade),
            IconLayer(.box(-0.34, -0.4, -0.12, 0.2), .shade),
        ])
    }

    /// A mug with a handle on the right, on a saucer.
    static var cup: Icon {
        Icon([
            IconLayer(.oval(-0.1, 0.8, 0.88, 0.13), .shade),
            IconLayer(.arc(0.38, 0.08, 0.3, width: 0.15, from: -100, to: 100)),
            IconLayer(.box(-0.62, -0.6, 0.4, 0.72, corner: 0.14)),
            IconLayer(.box(-0.62, -0.6, 0.4, -0.44, corner: 0.06), .shade),
            IconLayer(.box(-0.45, -0.25, -0.32, 0.45, corner: 0.06), .tint),
        ])
    }

    /// A fork, tines up.
    static var fork: Icon {
        let tines: [Shape] = [-0.3, -0.1, 0.1, 0.3].map { x in .line(x, -0.92, x, -0.3, width: 0.12) }
        return Icon([
            IconLayer(.union(tines + [
                .box(-0.36, -0.36, 0.36, -0.16, corner: 0.1),
                .poly([(-0.2, -0.2), (0.2, -0.2), (0.09, 0.05), (-0.09, 0.05)]),
                .line(0, 0, 0, 0.88, width: 0.18),
            ])),
            IconLayer(.line(0, 0.3, 0, 0.8, width: 0.06), .shade),
        ])
    }

    /// A kitchen knife, point up: a broad blade and a riveted handle.
    static var knife: Icon {
        Icon([
            IconLayer(.poly([(-0.2, 0.14), (-0.2, -0.98), (0.06, -0.8), (0.24, -0.5), (0.32, -0.1), (0.32, 0.14)])),
            IconLayer(.poly([(-0.2, -0.98), (0.06, -0.8), (0.24, -0.5), (0.32, -0.1), (0.32, 0.14), (0.2, 0.14),
                             (0.2, -0.1), (0.13, -0.48), (-0.02, -0.76)]), .tint),
            IconLayer(.box(-0.15, 0.1, 0.13, 0.97, corner: 0.1), .shade),
            IconLayer(.disc(-0.01, 0.38, 0.055), .ink),
            IconLayer(.disc(-0.01, 0.72, 0.055), .ink),
        ])
    }

    /// A spoon, bowl up.
    static var spoon: Icon {
        Icon([
            IconLayer(.union([.oval(0, -0.55, 0.34, 0.42), .line(0, -0.2, 0, 0.88, width: 0.16)])),
            IconLayer(.oval(-0.08, -0.6, 0.14, 0.24), .tint),
        ])
    }

    /// A key lying flat: ring head on the left, toothed shaft to the right.
    static var key: Icon {
        Icon([
            IconLayer(.union([
                .subtract(.disc(-0.52, 0, 0.42), .disc(-0.52, 0, 0.17)),
                .box(-0.2, -0.09, 0.95, 0.09, corner: 0.03),
                .box(0.5, 0, 0.63, 0.36),
                .box(0.74, 0, 0.86, 0.28),
            ])),
            IconLayer(.line(-0.05, 0, 0.85, 0, width: 0.04), .shade),
        ])
    }

    // MARK: - Nature

    /// A fish swimming right: oval body, tail, fin, eye.
    static var fish: Icon {
        Icon([
            IconLayer(.poly([(-0.4, 0), (-0.95, -0.42), (-0.85, 0), (-0.95, 0.42)]), .shade),
            IconLayer(.poly([(-0.1, -0.3), (0.2, -0.62), (0.35, -0.28)]), .shade),
            IconLayer(.oval(0.12, 0, 0.62, 0.38)),
            IconLayer(.arc(0.2, 0, 0.28, width: 0.05, from: -50, to: 50), .shade),
            IconLayer(.disc(0.5, -0.08, 0.075), .ink),
        ])
    }

    /// A bird standing, facing right.
    static var bird: Icon {
        Icon([
            IconLayer(.path([(-0.05, 0.45), (-0.1, 0.9)], width: 0.07), .ink),
            IconLayer(.path([(0.15, 0.45), (0.15, 0.9)], width: 0.07), .ink),
            IconLayer(.poly([(-0.5, 0.05), (-0.96, -0.25), (-0.9, 0.2)])),
            IconLayer(.oval(-0.05, 0.15, 0.55, 0.38)),
            IconLayer(.disc(0.45, -0.3, 0.28)),
            IconLayer(.poly([(0.66, -0.38), (0.97, -0.27), (0.66, -0.18)]), .accent),
            IconLayer(.poly([(-0.4, 0.0), (0.22, 0.02), (-0.1, 0.34)]), .shade),
            IconLayer(.disc(0.52, -0.36, 0.055), .ink),
        ])
    }

    /// A round-crowned tree on a trunk.
    static var tree: Icon {
        Icon([
            IconLayer(.box(-0.13, 0.1, 0.13, 0.96, corner: 0.03), woodBrown),
            IconLayer(.union([.disc(0, -0.5, 0.42), .disc(-0.44, -0.1, 0.38), .disc(0.44, -0.1, 0.38),
                              .disc(0, 0.05, 0.4)])),
            IconLayer(.disc(-0.2, -0.55, 0.1), .tint),
        ])
    }

    /// A daisy-like flower with a stem and a leaf.
    static var flower: Icon {
        var petals: [Shape] = []
        for k in 0 ..< 6 {
            let angle = Double(k) * .pi / 3
            petals.append(.disc(0.32 * cos(angle), -0.42 + 0.32 * sin(angle), 0.22))
        }
        return Icon([
            IconLayer(.line(0, -0.2, 0, 0.92, width: 0.1), leafGreen),
            IconLayer(Shape.oval(0.24, 0.58, 0.24, 0.1).turned(-35, about: 0.24, 0.58), leafGreen),
            IconLayer(.union(petals)),
            IconLayer(.disc(0, -0.42, 0.17), .accent),
        ])
    }

    /// An apple with a stem and a leaf.
    static var apple: Icon {
        Icon([
            IconLayer(.line(0, -0.45, 0.1, -0.9, width: 0.1), woodBrown),
            IconLayer(Shape.oval(0.34, -0.68, 0.24, 0.1).turned(-30, about: 0.34, -0.68), leafGreen),
            IconLayer(.union([.disc(-0.3, 0.12, 0.6), .disc(0.3, 0.12, 0.6), .disc(0, 0.3, 0.55)])),
            IconLayer(.oval(-0.4, -0.08, 0.1, 0.2), .tint),
        ])
    }

    // MARK: - Sky

    /// A sun: a disc with eight rays.
    static var sun: Icon {
        var rays: [Shape] = []
        for k in 0 ..< 8 {
            let angle = Double(k) * .pi / 4
            rays.append(.line(0.64 * cos(angle), 0.64 * sin(angle), 0.92 * cos(angle), 0.92 * sin(angle),
                              width: 0.13))
        }
        return Icon([IconLayer(.union(rays)), IconLayer(.disc(0, 0, 0.48)), IconLayer(.disc(0, 0, 0.3), .tint)])
    }

    /// A crescent moon opening to the right.
    static var moon: Icon {
        Icon([
            IconLayer(.subtract(.disc(-0.05, 0, 0.82), .disc(0.35, -0.18, 0.66))),
            IconLayer(.disc(-0.5, 0.22, 0.08), .shade),
        ])
    }

    /// A cumulus cloud with a flat base.
    static var cloud: Icon {
        Icon([
            IconLayer(.union([.disc(-0.48, 0.12, 0.36), .disc(0, -0.12, 0.5), .disc(0.48, 0.06, 0.4),
                              .box(-0.86, 0.05, 0.88, 0.46, corner: 0.2)])),
            IconLayer(.oval(-0.1, -0.28, 0.22, 0.1), .tint),
        ])
    }

    /// A five-pointed star.
    static var star: Icon {
        Icon([
            IconLayer(.starShape(0, 0.08, outer: 0.95, inner: 0.4)),
            IconLayer(.starShape(0, 0.08, outer: 0.36, inner: 0.16), .tint),
        ])
    }
}
