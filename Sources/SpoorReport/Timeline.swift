import Foundation
import SpoorCase
import SpoorStore
import SpoorCore

/// The case's records over time as an SVG picture: one row per source (a parser's records, or
/// one capture's flows), each row a strip of time bins whose bars grow with the number of
/// records in the bin, and a red line at the time of each finding's earliest placed record.
///
/// Only records whose time has a zone can be placed on one UTC axis; the rest are counted in
/// ``unplaced``. The counts are binned as bare times stream past (no record is decoded), so the
/// picture costs the same memory for a hundred records or a hundred million. The SVG carries no words of its own (the
/// template captions it), only source names, dates and finding numbers.
struct Timeline {
    struct Row {
        var label: String
        var bins: [Int]
        var total: Int
    }

    struct Marker {
        var findingID: String
        var severity: Finding.Severity
        var time: Int64
    }

    static let binCount = 96
    var start: Int64
    var end: Int64
    var rows: [Row]
    var markers: [Marker]
    /// Records with an address or action but a zone-less time, left off the axis.
    var unplaced: Int
    var placed: Int { rows.reduce(0) { $0 + $1.total } }

    /// The span, the unplaced count and each finding's earliest record come from SQL
    /// aggregates and look-ups by position; then one pass over bare times bins them.
    /// `captureName` gives the name a capture is shown by (a pseudonym in a redacted annex).
    static func build(store: CaseStore, findings: [Finding], captureName: (String) -> String) throws -> Timeline {
        let (firstTime, lastTime, unplaced) = try store.placedSpan()
        guard let first = firstTime, let last = lastTime, first <= last else {
            return Timeline(start: 0, end: 0, rows: [], markers: [], unplaced: unplaced)
        }
        var markers: [Marker] = []
        for (finding, earliest) in zip(findings, try store.earliestPlacedTimes(findings.map(\.locators))) {
            if let earliest { markers.append(Marker(findingID: finding.id, severity: finding.severity, time: earliest)) }
        }
        markers.sort { ($0.time, $0.findingID) < ($1.time, $1.findingID) }

        // Pad a span of one instant to an hour either side, so the bars have somewhere to be.
        var start = first
        var end = last
        if end - start < 60_000_000_000 {
            start -= 3_600_000_000_000
            end += 3_600_000_000_000
        }
        var rows: [String: Row] = [:]
        let span = end - start
        func add(_ label: String, _ time: Int64) {
            let bin = min(binCount - 1, Int((Double(time - start) / Double(span)) * Double(binCount)))
            rows[label, default: Row(label: label, bins: Array(repeating: 0, count: binCount), total: 0)].bins[bin] += 1
            rows[label]?.total += 1
        }
        var names: [String: String] = [:]  // capture path → the row's label
        try store.forEachPlacedTime(
            observation: { format, time in add(format, time) },
            flow: { path, member, time in
                if let member { return add("flows " + member, time) }
                if names[path] == nil { names[path] = "flows " + captureName((path as NSString).lastPathComponent) }
                add(names[path] ?? "", time)
            })
        return Timeline(
            start: start, end: end, rows: rows.values.sorted { $0.label < $1.label }, markers: markers, unplaced: unplaced)
    }

    /// The first and last instants on the axis, as UTC text.
    var spanText: (from: String, to: String) {
        (Timestamp(sortKey: start, zone: .utc).rfc3339UTC ?? "", Timestamp(sortKey: end, zone: .utc).rfc3339UTC ?? "")
    }

    // Layout, in SVG user units.
    static let labelWidth = 190
    static let plotWidth = 672  // 7 units per bin
    static let rowHeight = 28
    static let markerBand = 36
    static let axisBand = 30

    /// The picture; empty when nothing could be placed.
    func svg() -> String {
        guard !rows.isEmpty else { return "" }
        let L = Self.labelWidth
        let W = Self.plotWidth
        let H = Self.rowHeight
        let top = Self.markerBand
        let width = L + W + 16
        let height = top + rows.count * H + Self.axisBand
        let binWidth = W / Self.binCount
        let peak = rows.flatMap(\.bins).max() ?? 1
        func x(_ time: Int64) -> Int { L + Int((Double(time - start) / Double(end - start)) * Double(W)) }

        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">\n"
        out += "<style>text{font:11px sans-serif;fill:#333}.lab{font:11px monospace}.mk{fill:#b00020;font-weight:bold}</style>\n"
        for (index, row) in rows.enumerated() {
            let y = top + index * H
            let fill = index % 2 == 0 ? "#f6f6f6" : "#ffffff"
            out += "<rect x=\"\(L)\" y=\"\(y)\" width=\"\(W)\" height=\"\(H)\" fill=\"\(fill)\"/>"
            out +=
                "<text class=\"lab\" x=\"\(L - 6)\" y=\"\(y + H / 2 + 4)\" text-anchor=\"end\">\(SafeText.html(SafeText.excerpt(row.label, limit: 28)))</text>\n"
            for (bin, count) in row.bins.enumerated() where count > 0 {
                // Bar height grows with the logarithm of the count, so one record stays visible
                // beside a burst of thousands.
                let scale = log2(Double(count) + 1) / log2(Double(peak) + 1)
                let barHeight = max(3, Int(scale * Double(H - 6)))
                out +=
                    "<rect x=\(q(L + bin * binWidth)) y=\(q(y + H - 3 - barHeight)) width=\(q(binWidth - 1)) height=\(q(barHeight)) fill=\"#3a6ea5\"><title>\(count)</title></rect>"
            }
            out += "\n"
        }
        let bottom = top + rows.count * H
        out += "<line x1=\(q(L)) y1=\(q(bottom)) x2=\(q(L + W)) y2=\(q(bottom)) stroke=\"#888\"/>\n"
        // Five date ticks; with hours when the span is under four days.
        let withHours = end - start < 4 * 86_400 * 1_000_000_000
        for tick in 0...4 {
            let time = start + (end - start) / 4 * Int64(tick)
            let text = Timestamp(sortKey: time, zone: .utc).rfc3339UTC ?? ""
            let label = withHours ? String(text.prefix(16)).replacingOccurrences(of: "T", with: " ") : String(text.prefix(10))
            let tx = x(time)
            let anchor = tick == 0 ? "start" : tick == 4 ? "end" : "middle"
            out += "<line x1=\(q(tx)) y1=\(q(bottom)) x2=\(q(tx)) y2=\(q(bottom + 4)) stroke=\"#888\"/>"
            out += "<text x=\(q(tx)) y=\(q(bottom + 17)) text-anchor=\"\(anchor)\">\(label)</text>\n"
        }
        // Finding markers: a dashed line through every row at each finding's time, and above
        // them the numbers, one label per cluster of markers too close to label apart, on
        // alternating levels.
        var clusters: [(x: Int, lastX: Int, ids: [String])] = []
        for marker in markers {
            let mx = x(marker.time)
            out +=
                "<line x1=\(q(mx)) y1=\(q(top - 2)) x2=\(q(mx)) y2=\(q(bottom)) stroke=\"#b00020\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\"/>"
            if let last = clusters.last, mx - last.x < 8 * (last.ids.joined(separator: " ").count + 1) {
                clusters[clusters.count - 1].ids.append(marker.findingID)
                clusters[clusters.count - 1].lastX = mx
            } else {
                clusters.append((mx, mx, [marker.findingID]))
            }
        }
        out += "\n"
        for (index, cluster) in clusters.enumerated() {
            let text = SafeText.html(cluster.ids.joined(separator: " "))
            let level = index % 2
            // A label that would run past the plot's end ends at the cluster's last line instead.
            let nearEnd = cluster.x + 7 * text.count > L + W
            out +=
                "<text class=\"mk\" x=\(q(nearEnd ? cluster.lastX : cluster.x + 2)) y=\(q(top - 6 - level * 13)) text-anchor=\"\(nearEnd ? "end" : "start")\">\(text)</text>\n"
        }
        out += "</svg>"
        return out
    }

    private func q(_ value: Int) -> String { "\"\(value)\"" }
}
