import Foundation

/// Where a geolocation database places an address: degrees, the radius (km) within which it
/// places it when the database says, and which database said so (its file name).
public struct GeoPoint: Hashable, Sendable, Codable {
    public var latitude: Double
    public var longitude: Double
    public var radiusKm: Int?
    public var source: String

    public init(latitude: Double, longitude: Double, radiusKm: Int?, source: String) {
        self.latitude = latitude
        self.longitude = longitude
        self.radiusKm = radiusKm
        self.source = source
    }

    /// The great-circle distance to another point, in kilometres (haversine, mean Earth radius
    /// 6,371.0088 km).
    public func kilometres(to other: GeoPoint) -> Double {
        let r = 6_371.0088
        let (φ1, φ2) = (latitude * .pi / 180, other.latitude * .pi / 180)
        let dφ = φ2 - φ1
        let dλ = (other.longitude - longitude) * .pi / 180
        let a = sin(dφ / 2) * sin(dφ / 2) + cos(φ1) * cos(φ2) * sin(dλ / 2) * sin(dλ / 2)
        return 2 * r * asin(min(1, sqrt(a)))
    }
}
