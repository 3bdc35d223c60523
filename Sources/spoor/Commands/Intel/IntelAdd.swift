import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

extension Intel {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add one indicator with who reported it.",
            discussion: """
                The value is read as an import reads it (defanged notation undone, addresses canonicalised). \
                The same value from another source, reference or first-seen date is a second provenance record; \
                the same one again changes nothing.
                """)

        enum TypeChoice: String, ExpressibleByArgument, CaseIterable { case ipv4, ipv6, cidr, asn, domain, url }

        @Argument(help: "The address, network, AS number, domain or URL.") var value: String
        @Option(help: "The type, when the value's shape does not say it.") var type: TypeChoice?
        @Option(help: ArgumentHelp("Who reported it (organisation or investigator).", valueName: "name")) var source: String
        @Option(help: "Title of the report or case.") var title: String?
        @Option(help: "Where it was reported: URL or citation.") var reference: String?
        @Option(help: ArgumentHelp("Publication date.", valueName: "date")) var published: String?
        @Option(help: ArgumentHelp("First observed.", valueName: "date")) var firstSeen: String?
        @Option(help: ArgumentHelp("Last observed.", valueName: "date")) var lastSeen: String?
        @Option(help: "Confidence, 0 to 100.") var confidence: Int?
        @Option(help: "Traffic Light Protocol: clear, white, green, amber, amber+strict, red.") var tlp: String?
        @Option(name: .customLong("tag"), help: "A tag (repeat for more).") var tags: [String] = []
        @Option(help: "Campaign or actor.") var campaign: String?
        @Option(help: "Free text.") var description: String?
        @Option(help: ArgumentHelp("Start of the validity window.", valueName: "date")) var validFrom: String?
        @Option(help: ArgumentHelp("End of the validity window.", valueName: "date")) var validUntil: String?
        @OptionGroup var intel: IntelStoreOption

        func validate() throws {
            if let confidence, !(0...100).contains(confidence) { throw ValidationError("--confidence must be 0 to 100") }
            try Intel.validate(tlp: tlp)
            for (name, date) in [
                ("published", published), ("first-seen", firstSeen), ("last-seen", lastSeen), ("valid-from", validFrom),
                ("valid-until", validUntil),
            ] {
                if let date, IndicatorDate.normalise(date) == nil {
                    throw ValidationError("--\(name) \(date): not a date (YYYY-MM-DD or RFC 3339)")
                }
            }
            guard !source.trimming(" \t").isEmpty else { throw ValidationError("--source must name who reported it") }
        }

        func run() throws {
            let indicator: Indicator
            let notes: [Indicator.Note]
            switch Indicator.parse(value, type: type.flatMap { IndicatorType(rawValue: $0.rawValue) }) {
            case .success(let parsed): (indicator, notes) = parsed
            case .failure(let error):
                Console.error("spoor: error: \(SafeText.terminal(value)): \(error)")
                throw ExitStatus.failure
            }
            let provenance = Provenance(
                source: source, title: title, reference: reference, published: published.flatMap(IndicatorDate.normalise),
                firstSeen: firstSeen.flatMap(IndicatorDate.normalise), lastSeen: lastSeen.flatMap(IndicatorDate.normalise),
                confidence: confidence, tlp: tlp?.lowercased(), tags: tags, campaign: campaign, description: description,
                validFrom: validFrom.flatMap(IndicatorDate.normalise), validUntil: validUntil.flatMap(IndicatorDate.normalise),
                origin: "added by hand")
            let store = try Intel.open(intel)
            let added: Bool
            do { added = try store.add(indicator, provenance: provenance) } catch { throw fail(error) }
            let how = notes.isEmpty ? "" : " (" + notes.map(\.rawValue).joined(separator: ", ") + ")"
            print(
                "\(indicator.type.rawValue) \(SafeText.terminal(indicator.value))\(how): "
                    + (added ? "added, reported by \(SafeText.terminal(source))" : "already held with this provenance"))
        }
    }
}
