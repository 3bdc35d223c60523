import Foundation
import GRDB
import SpoorCore
import SpoorIntel

/// Answers "what does each registry import say of this address" for many addresses in a row,
/// as ``IndicatorStore/registryAnswers(for:)`` does for one.
///
/// It starts by asking the store (a few indexed queries per import and address) and, once it
/// has answered enough addresses that reading an import's ranges once costs less than going on
/// asking, reads that import's netblocks and routes into a ``RegistrySegments`` of its own and
/// answers from memory (ski rental: at most about twice the cost of the better choice made in
/// hindsight). Objects, organisations and AS names are decoded once and kept. Both ways give
/// the same answers; a test holds them to it.
public final class RegistryReader {
    /// When to read an import's ranges into memory.
    public enum Strategy: Sendable {
        /// After `ranges / rangesPerLookup` addresses were answered by queries.
        case adaptive(rangesPerLookup: Int)
        /// Never: every answer by queries (the reference the tests compare with).
        case queries
        /// At once.
        case memory

        /// Reading a range costs about a hundredth of answering an address by queries (an
        /// address in no range makes the ordered query walk every range that starts before it).
        /// The import is also read into memory once the time its queries took passes what
        /// reading it would take (about 2 µs a range): addresses in no range cost far more than
        /// the count assumes.
        public static let standard = Strategy.adaptive(rangesPerLookup: 100)

        /// What reading one range into memory is taken to cost, in nanoseconds.
        static let loadNanosPerRange: UInt64 = 2_000
    }

    private final class Source {
        let record: RegistryImport
        /// How many ranges the import holds: counted when the adaptive strategy first asks.
        var rangeCount: Int?
        var lookups = 0
        /// Time the queries for this import took so far.
        var queryNanos: UInt64 = 0
        var netblocks: RegistrySegments?
        var routes: RegistrySegments?
        var organisations: [String: RegistryObject?] = [:]
        var autNums: [UInt32: RegistryObject?] = [:]
        /// Whether the import holds AS objects (aut-num, as2org ASes): asked once.
        var holdsAutNums: Bool?

        init(record: RegistryImport) {
            self.record = record
        }
    }

    let store: IndicatorStore
    private let strategy: Strategy
    private let sources: [Source]
    private var objects: [Int64: RegistryObject] = [:]
    /// Objects kept decoded at most (a registry dump has millions; a case names few).
    private static let objectLimit = 200_000

    static let netblockKinds: [RegistryObject.Kind] = [.inetnum, .inet6num, .asnRange]
    static let routeKinds: [RegistryObject.Kind] = [.route, .route6, .prefixOrigin]

    /// Reads the list of imports (oldest data first).
    public init(_ store: IndicatorStore, strategy: Strategy = .standard) throws(IntelError) {
        self.store = store
        self.strategy = strategy
        do {
            sources = try store.reader.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM registry_import ORDER BY as_of, id").map {
                    Source(record: IndicatorStore.registryImport($0))
                }
            }
        } catch {
            throw IntelError.store(error, path: store.path)
        }
    }

    /// The import of that id, as listed when the reader was made.
    func sourceRecord(_ id: Int64) -> RegistryImport? { sources.first { $0.record.id == id }?.record }

    /// Whether any import is held in memory (for tests and measurements).
    public var importsInMemory: Int { sources.count { $0.netblocks != nil } }

    /// What each import says of the address, one answer per import that has any, oldest first.
    /// - Parameter days: the first and last day (YYYY-MM-DD…) of the address's records, when
    ///   they are known. Then only the imports that can matter for those days are asked: the one
    ///   answering nearest before the first day (else the earliest answering after it), those
    ///   dated within the days, the latest answering, and the imports of the same dates as
    ///   those. A year of monthly snapshots is not asked twelve times for an address seen on one
    ///   day. ``HeldAt`` gives the same answer from these as from all of them; a test holds it.
    public func answers(for address: IPAddress, days: ClosedRange<String>? = nil) throws(IntelError) -> [RegistryAnswer] {
        guard !sources.isEmpty else { return [] }
        let address = address.normalized
        let dated = sources.filter { $0.record.format != RegistryFormat.torExits.rawValue }
        do {
            // In one transaction: SQLite takes and releases its file lock once for the address
            // rather than once for each of its dozen statements (system calls that cost more
            // than the queries). The reading connection is read-only, so this does not switch
            // `query_only` (which would expire the prepared statements).
            return try store.reader.read { db in
                var asked: [Int: RegistryAnswer?] = [:]
                func ask(_ i: Int) throws -> RegistryAnswer? {
                    if let known = asked[i] { return known }
                    let found = try answer(dated[i], address, db)
                    asked[i] = .some(found)
                    return found
                }
                guard let days else { return try dated.indices.compactMap(ask) }
                let first = String(days.lowerBound.prefix(10))
                let last = String(days.upperBound.prefix(10))
                var chosen = Set(dated.indices.filter { dated[$0].record.asOf > first && dated[$0].record.asOf <= last })
                if let before = try dated.indices.reversed().first(where: { try dated[$0].record.asOf <= first && ask($0) != nil }
                ) {
                    chosen.insert(before)
                } else if let after = try dated.indices.first(where: { try ask($0) != nil }) {
                    chosen.insert(after)
                }
                if let latest = try dated.indices.reversed().first(where: { try ask($0) != nil }) { chosen.insert(latest) }
                let dates = Set(chosen.map { dated[$0].record.asOf })
                chosen.formUnion(dated.indices.filter { dates.contains(dated[$0].record.asOf) })
                return try chosen.sorted().compactMap(ask)
            }
        } catch let error as IntelError {
            throw error
        } catch {
            throw IntelError.store(error, path: store.path)
        }
    }

    /// What one import says of the address, nil when it holds nothing containing it.
    private func answer(_ source: Source, _ address: IPAddress, _ db: Database) throws -> RegistryAnswer? {
        source.lookups += 1
        let useMemory: Bool
        switch strategy {
        case .queries: useMemory = false
        case .memory: useMemory = true
        case .adaptive(let perLookup):
            if source.rangeCount == nil {
                source.rangeCount =
                    try Int.fetchOne(
                        db, sql: "SELECT count(*) FROM registry_object WHERE import_id = ? AND first IS NOT NULL",
                        arguments: [source.record.id]) ?? 0
            }
            let ranges = source.rangeCount ?? 0
            useMemory =
                source.lookups * perLookup >= ranges || source.queryNanos >= UInt64(ranges) * Strategy.loadNanosPerRange
        }
        let netblockID: Int64?
        let routeID: Int64?
        if useMemory {
            if source.netblocks == nil { try load(source, db) }
            netblockID = source.netblocks?.object(containing: address)
            routeID = source.routes?.object(containing: address)
        } else {
            let started = DispatchTime.now().uptimeNanoseconds
            netblockID = try Self.mostSpecific(Self.netblockKinds, address, import: source.record.id, db)
            routeID = try Self.mostSpecific(Self.routeKinds, address, import: source.record.id, db)
            source.queryNanos += DispatchTime.now().uptimeNanoseconds - started
        }
        guard netblockID != nil || routeID != nil else { return nil }
        return try answer(
            source, netblock: try netblockID.map { try object($0, db) }, route: try routeID.map { try object($0, db) }, db)
    }

    /// Every Tor exit list imported (oldest first), each with the exit entries it holds for the
    /// address (none when it does not list it): a list that does not hold it says something too.
    public func torExitLists(for address: IPAddress) throws(IntelError) -> [TorExitListAnswer] {
        let lists = sources.filter { $0.record.format == RegistryFormat.torExits.rawValue }
        guard !lists.isEmpty else { return [] }
        let key = Data(address.normalized.bytes)
        do {
            return try store.reader.unsafeRead { db in
                try lists.map { source in
                    let exits = try Row.fetchAll(
                        db.cachedStatement(
                            sql: """
                                SELECT \(RegistryRows.columns) FROM registry_object
                                WHERE import_id = ? AND kind = 'tor-exit' AND family = ? AND first = ? ORDER BY id
                                """),
                        arguments: [source.record.id, Int(address.normalized.family.rawValue), key]
                    ).compactMap(RegistryRows.object)
                    return TorExitListAnswer(list: source.record, exits: exits)
                }
            }
        } catch {
            throw IntelError.store(error, path: store.path)
        }
    }

    /// The most specific object of the kinds containing the address: the latest start, then the
    /// earliest end, then the earlier kind in `kinds`, then the later row. One kind at a time,
    /// so the index `registry_object_containing` (v5) gives the rows in that order and the first
    /// one that contains the address is the kind's answer; a kind the import lacks costs nothing.
    static func mostSpecific(_ kinds: [RegistryObject.Kind], _ address: IPAddress, import id: Int64, _ db: Database) throws
        -> Int64?
    {
        let key = Data(address.bytes)
        var best: (first: Data, last: Data, id: Int64)?
        for kind in kinds {
            // The kind is written into the statement, not bound: with a bound kind SQLite's
            // planner compares it to the partial indexes' `kind = '…'`, and a statement whose
            // plan looked at a bound value is compiled again each time that value changes
            // (every call, here). Kinds are Spoor's own names.
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT first, last, id FROM registry_object
                            WHERE import_id = ? AND kind = '\(kind.rawValue)' AND family = ? AND first <= ? AND last >= ?
                            ORDER BY first DESC, last ASC, id DESC LIMIT 1
                            """),
                    arguments: [id, Int(address.family.rawValue), key, key])
            else { continue }
            // Bytes of one family and length: their order is the addresses' order.
            let candidate: (first: Data, last: Data, id: Int64) = (row[0], row[1], row[2])
            if let current = best,
                current.first.lexicographicallyPrecedes(candidate.first) == false && current.first != candidate.first
                    || (current.first == candidate.first && !candidate.last.lexicographicallyPrecedes(current.last))
            {
                continue
            }
            best = candidate
        }
        return best?.id
    }

    /// Reads the import's netblocks and routes into memory.
    private func load(_ source: Source, _ db: Database) throws {
        func segments(_ kinds: [RegistryObject.Kind]) throws -> RegistrySegments {
            var ranges: [RegistrySegments.Range] = []
            let rank = Dictionary(uniqueKeysWithValues: kinds.enumerated().map { ($1.rawValue, $0) })
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, kind, family, first, last FROM registry_object
                    WHERE import_id = ? AND kind IN (\(kinds.map { "'\($0.rawValue)'" }.joined(separator: ", ")))
                      AND first IS NOT NULL
                    """,
                arguments: [source.record.id])
            while let row = try rows.next() {
                guard let first = RegistryRows.address(row[3])?.value, let last = RegistryRows.address(row[4])?.value
                else { continue }
                let family: Int = row[2]
                ranges.append(
                    .init(
                        v6: family == Int(IPAddress.Family.v6.rawValue), first: first, last: last,
                        kindRank: rank[row[1] as String] ?? 0, id: row[0]))
            }
            return RegistrySegments(ranges)
        }
        source.netblocks = try segments(Self.netblockKinds)
        source.routes = try segments(Self.routeKinds)
    }

    private func fetchObject(_ sql: String, _ arguments: StatementArguments, _ db: Database) throws -> RegistryObject? {
        try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments).flatMap(RegistryRows.object)
    }

    private func organisation(_ key: String, in source: Source, _ db: Database) throws -> RegistryObject? {
        if let known = source.organisations[key] { return known }
        let found = try fetchObject(
            "SELECT \(RegistryRows.columns) FROM registry_object WHERE import_id = ? AND kind = 'organisation' AND key = ? LIMIT 1",
            [source.record.id, key], db)
        source.organisations[key] = .some(found)
        return found
    }

    private func autNum(_ asn: UInt32, in source: Source, _ db: Database) throws -> RegistryObject? {
        if let known = source.autNums[asn] { return known }
        let found = try fetchObject(
            "SELECT \(RegistryRows.columns) FROM registry_object WHERE import_id = ? AND kind = 'aut-num' AND asn = ? LIMIT 1",
            [source.record.id, Int64(asn)], db)
        source.autNums[asn] = .some(found)
        return found
    }

    /// The imports holding AS objects, the nearest before (or on) the date first, going back,
    /// then those after it, going forward.
    private func autNumSources(near day: String, _ db: Database) throws -> [Source] {
        var holding: [Source] = []
        for source in sources {
            if source.holdsAutNums == nil {
                source.holdsAutNums =
                    try Bool.fetchOne(
                        db.cachedStatement(
                            sql: "SELECT EXISTS (SELECT 1 FROM registry_object WHERE import_id = ? AND kind = 'aut-num')"),
                        arguments: [source.record.id]) ?? false
            }
            if source.holdsAutNums == true { holding.append(source) }
        }
        // Sources are in date order.
        return holding.filter { $0.record.asOf <= day }.reversed() + holding.filter { $0.record.asOf > day }
    }

    private func object(_ id: Int64, _ db: Database) throws -> RegistryObject {
        if let known = objects[id] { return known }
        guard
            let decoded = try fetchObject("SELECT \(RegistryRows.columns) FROM registry_object WHERE id = ?", [id], db)
        else { throw IntelError.store(DatabaseError(message: "registry object \(id) vanished"), path: store.path) }
        if objects.count < Self.objectLimit { objects[id] = decoded }
        return decoded
    }

    /// The answer from the netblock and route found: the holder (the netblock's organisation
    /// name, else its description, or an iptoasn range's name) and the origin AS and its name.
    private func answer(_ source: Source, netblock: RegistryObject?, route: RegistryObject?, _ db: Database) throws
        -> RegistryAnswer
    {
        var answer = RegistryAnswer(source: source.record, netblock: netblock, route: route)
        if let org = netblock?.org { answer.holder = try organisation(org, in: source, db)?.name }
        if answer.holder == nil { answer.holder = netblock?.kind == .asnRange ? netblock?.name : netblock?.descr }
        answer.originASN = route?.asn ?? (netblock?.kind == .asnRange && netblock?.asn != 0 ? netblock?.asn : nil)
        if let asn = answer.originASN {
            // The AS's name and organisation: from this import, else from the import holding
            // AS objects (RPSL aut-num, as2org) nearest before its date, else the earliest after.
            var named = try autNum(asn, in: source, db).map { (source, $0) }
            if named == nil {
                for other in try autNumSources(near: source.record.asOf, db) where other !== source {
                    if let object = try autNum(asn, in: other, db) {
                        named = (other, object)
                        break
                    }
                }
            }
            if let (from, object) = named {
                answer.originName = object.name
                answer.originOrganisation = try object.org.flatMap { try organisation($0, in: from, db)?.name }
                if from !== source { answer.originFrom = "\(from.record.fileName) as of \(from.record.asOf)" }
            }
            if answer.originName == nil, netblock?.kind == .asnRange { answer.originName = netblock?.name }
        }
        return answer
    }
}

/// One Tor exit list and what it holds for an address: the exit entries (fingerprint, the
/// relay's `LastStatus`, when it was seen exiting from the address), empty when it lists none.
public struct TorExitListAnswer: Hashable, Sendable, Codable {
    public var list: RegistryImport
    public var exits: [RegistryObject]
}

/// Ranges that may nest or overlap, cut into disjoint segments each naming its most specific
/// range (latest start, then earliest end, then lowest kind rank, then highest id), so one
/// binary search answers what the store's ordered query answers.
public struct RegistrySegments: Sendable {
    public struct Range: Sendable {
        var v6: Bool
        var first: UInt128
        var last: UInt128
        var kindRank: Int
        var id: Int64

        public init(v6: Bool, first: UInt128, last: UInt128, kindRank: Int, id: Int64) {
            self.v6 = v6
            self.first = first
            self.last = last
            self.kindRank = kindRank
            self.id = id
        }
    }

    private struct Family: Sendable {
        var starts: [UInt128] = []
        var ends: [UInt128] = []
        var ids: [Int64] = []
    }

    private var v4 = Family()
    private var v6 = Family()

    public init(_ ranges: [Range]) {
        v4 = Self.segment(ranges.filter { !$0.v6 })
        v6 = Self.segment(ranges.filter(\.v6))
    }

    public var segmentCount: Int { v4.starts.count + v6.starts.count }

    /// A sweep over the range boundaries with a stack: ranges are pushed in order of start and,
    /// for one start, worst first, so the stack's top (once ranges that ended are popped) is the
    /// best range holding the point.
    private static func segment(_ input: [Range]) -> Family {
        let ranges = input.filter { $0.first <= $0.last }.sorted {
            if $0.first != $1.first { return $0.first < $1.first }
            if $0.last != $1.last { return $0.last > $1.last }
            if $0.kindRank != $1.kindRank { return $0.kindRank > $1.kindRank }
            return $0.id < $1.id
        }
        var points = Set<UInt128>()
        for range in ranges {
            points.insert(range.first)
            if range.last != .max { points.insert(range.last + 1) }
        }
        let sortedPoints = points.sorted()
        var family = Family()
        var stack: [Int] = []
        var next = 0
        for (p, point) in sortedPoints.enumerated() {
            while next < ranges.count, ranges[next].first == point {
                stack.append(next)
                next += 1
            }
            while let top = stack.last, ranges[top].last < point { stack.removeLast() }
            guard let top = stack.last else { continue }
            let end = p + 1 < sortedPoints.count ? sortedPoints[p + 1] - 1 : ranges[top].last
            let id = ranges[top].id
            if let last = family.ends.last, family.ids.last == id, last != .max, last + 1 == point {
                family.ends[family.ends.count - 1] = end
            } else {
                family.starts.append(point)
                family.ends.append(end)
                family.ids.append(id)
            }
        }
        return family
    }

    /// The id of the most specific range holding the (normalized) address, if any.
    public func object(containing address: IPAddress) -> Int64? {
        let family = address.family == .v6 ? v6 : v4
        let q = address.value
        var low = 0
        var high = family.starts.count
        while low < high {
            let mid = (low + high) >> 1
            if family.starts[mid] <= q { low = mid + 1 } else { high = mid }
        }
        guard low > 0, family.ends[low - 1] >= q else { return nil }
        return family.ids[low - 1]
    }
}
