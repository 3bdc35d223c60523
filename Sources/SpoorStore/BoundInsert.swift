import GRDB
import GRDBSQLite
import SpoorCapture
import SpoorCore

/// A prepared insert bound with SQLite's own functions. The two inserts that run once per
/// record or flow (a million times for a large export) use it: building GRDB's boxed arguments
/// for each row cost more than SQLite's insert itself. Errors are GRDB's `DatabaseError`, so
/// they are named by cause like any other (``StoreFault``).
struct BoundInsert {
    let sql: String
    let statement: Statement
    let connection: SQLiteConnection?

    init(_ db: Database, sql: String) throws {
        self.sql = sql
        statement = try db.cachedStatement(sql: sql)
        connection = db.sqliteConnection
    }

    /// SQLite copies each text it is given before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Binds the row's values in column order (``Row/int(_:)``, ``Row/text(_:)``) and runs the insert.
    func insert(_ bind: (inout Row) -> Void) throws {
        let h = statement.sqliteStatement
        sqlite3_reset(h)
        var row = Row(statement: h)
        bind(&row)
        let code = sqlite3_step(h)
        guard code == SQLITE_DONE else {
            let extended = sqlite3_extended_errcode(connection)
            let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            sqlite3_reset(h)
            throw DatabaseError(resultCode: ResultCode(rawValue: extended == 0 ? code : extended), message: message, sql: sql)
        }
    }

    /// The values of one row, bound one column after another.
    struct Row {
        let statement: SQLiteStatement
        var column: Int32 = 0

        mutating func int(_ value: Int64?) {
            column += 1
            if let value { sqlite3_bind_int64(statement, column, value) } else { sqlite3_bind_null(statement, column) }
        }

        mutating func int(_ value: Int?) { int(value.map(Int64.init)) }

        mutating func blob(_ value: [UInt8]?) {
            column += 1
            guard let value else {
                sqlite3_bind_null(statement, column)
                return
            }
            let (statement, column) = (statement, column)
            value.withUnsafeBytes {
                _ = sqlite3_bind_blob(statement, column, $0.baseAddress, Int32($0.count), BoundInsert.transient)
            }
        }

        mutating func text(_ value: String?) {
            column += 1
            guard var value else {
                sqlite3_bind_null(statement, column)
                return
            }
            let (statement, column) = (statement, column)
            value.withUTF8 { bytes in
                _ = bytes.withMemoryRebound(to: CChar.self) {
                    sqlite3_bind_text(statement, column, $0.baseAddress, Int32($0.count), BoundInsert.transient)
                }
            }
        }
    }
}

extension BoundInsert {
    /// A capture's flow as a row of the `flow` table: the values and columns of
    /// ``CaptureRowEncoder/flowArguments(_:evidenceID:)`` (a test holds the two equal).
    func insert(_ flow: Flow, evidenceID: Int64) throws {
        try insert { row in
            row.int(evidenceID)
            row.int(flow.firstPacket)
            row.int(flow.firstTime)
            row.int(flow.id)
            row.int(Int(flow.protocolNumber))
            row.text(flow.originator.description)
            row.int(Int(flow.originatorPort))
            row.text(flow.responder.description)
            row.int(Int(flow.responderPort))
            row.int(flow.lastTime)
            row.int(flow.firstPacketOffset)
            row.int(flow.lastPacket)
            row.int(flow.originatorPackets)
            row.int(flow.responderPackets)
            row.int(flow.originatorIPBytes)
            row.int(flow.responderIPBytes)
            row.int(flow.originatorBytes)
            row.int(flow.responderBytes)
            row.int(flow.missedBytes)
            row.text(flow.state)
            row.text(flow.history)
            row.text(flow.communityID)
            row.text(JSONText.array(flow.services))
            row.text(JSONText.array(flow.names))
            row.int(flow.vlan.map(Int.init))
            row.text(flow.tunnel?.rawValue)
            row.text(flow.tunnelSource?.description)
            row.text(flow.tunnelDestination?.description)
            row.int(flow.tunnelParent)
            row.text(flow.ended)
        }
    }
}
