import Foundation
import Yams

/// Which of Spoor's event keys each Sigma field name stands for, per log source.
///
/// Spoor's keys are the stored event's own: `ip`, `account`, `action` (Spoor's vocabulary),
/// `raw_action` (the source's words: an HTTP request line, an audit operation, a Workspace event
/// name), `user_agent`, `format`, every field the parser kept (by the parser's name: `method`,
/// `status`, `workload`, `error_code`, …), and two made from them: `uri_stem` (a request's path
/// before `?`) and `service` (a Workspace application as Google names its API,
/// `admin.googleapis.com`). `cs-uri-query` is matched against the whole request target. A
/// `fields.yml` in the rules folder adds to or replaces entries: `webserver: {cs-host: host}`.
public struct SigmaFields: Sendable {
    /// Per log source: Sigma field name (lower case) → Spoor key.
    public var table: [SigmaLogSource: [String: String]]

    public static let standard = SigmaFields(table: [
        .webserver: [
            "c-ip": "ip", "cs-method": "method", "cs-uri-stem": "uri_stem",
            // The whole request target: Combined logs do not split path and query, and SigmaHQ's
            // web-server rules test cs-uri-query for paths too (`../../../etc/`).
            "cs-uri-query": "path",
            "cs-uri": "path", "c-uri": "path", "cs-referer": "referer", "cs-user-agent": "user_agent", "sc-status": "status",
            "cs-username": "account",
        ],
        .sshd: ["user": "account", "src_ip": "ip"],
        .m365: [
            "operation": "raw_action", "eventname": "raw_action", "workload": "workload", "eventsource": "workload",
            "resultstatus": "resultstatus", "status": "resultstatus", "applicationid": "applicationid",
            "objectid": "objectid", "requesttype": "RequestType", "userid": "account", "clientip": "ip",
            "recordtype": "recordtype", "target": "target",
        ],
        .azureSignIn: [
            "resulttype": "error_code", "resultdescription": "failure_reason", "appdisplayname": "application",
            "clientapp": "client_app", "conditionalaccessstatus": "conditional_access", "useragent": "user_agent",
            "username": "account", "userprincipalname": "account", "ipaddress": "ip", "devicedetail.deviceid": "device_id",
            "location": "location",
        ],
        .googleWorkspace: [
            "eventname": "raw_action", "eventservice": "service", "protopayload.servicename": "service",
            "protopayload.metadata.event.eventname": "raw_action", "setting_name": "SETTING_NAME",
            "new_value": "NEW_VALUE", "actor.email": "account", "ipaddress": "ip", "target": "target",
        ],
    ])

    /// The Spoor key a Sigma field of this log source stands for, nil when none does.
    public func key(for field: String, in source: SigmaLogSource) -> String? {
        table[source]?[field.lowercased()]
    }

    /// Adds the entries of a `fields.yml` (log source → {Sigma field: Spoor key}).
    public mutating func override(with yaml: String, file: String) throws {
        guard let map = try Yams.load(yaml: yaml) as? [String: Any] else {
            throw SigmaFieldsError(file: file, reason: "expected a map of log sources")
        }
        for (name, entries) in map {
            guard let source = SigmaLogSource(rawValue: name) else {
                throw SigmaFieldsError(
                    file: file,
                    reason:
                        "'\(name)' is not a log source Spoor reads (\(SigmaLogSource.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            guard let entries = entries as? [String: Any] else {
                throw SigmaFieldsError(file: file, reason: "'\(name)' is not a map of field names")
            }
            for (field, key) in entries {
                guard let key = key as? String else {
                    throw SigmaFieldsError(file: file, reason: "'\(name).\(field)' is not a field name")
                }
                table[source, default: [:]][field.lowercased()] = key
            }
        }
    }
}

public struct SigmaFieldsError: Error, CustomStringConvertible {
    public var file: String
    public var reason: String
    public var description: String { "\(file): \(reason)" }
}
