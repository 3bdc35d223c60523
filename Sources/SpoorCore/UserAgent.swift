/// A short reading of a user-agent string: browser or app, operating system, device class.
/// It helps a reader tell "Chrome on Windows, desktop" from "Gmail app on iOS, mobile" at a
/// glance; the full string is always kept beside it.
public struct UserAgentSummary: Hashable, Sendable, Codable {
    public enum DeviceClass: String, Sendable, Codable {
        case desktop, mobile, tablet, bot, script, unknown
    }

    public var client: String?
    public var os: String?
    public var device: DeviceClass

    /// `Chrome 120 · Windows 10 · desktop`.
    public var text: String {
        ([client, os].compactMap { $0 } + [device.rawValue]).joined(separator: " · ")
    }

    /// Reads browser user agents, Meta app agents and Google's pseudo user agents
    /// (`App : GMAIL_APP. App Version : …. Os : IOS_OS. …. Device Type : MOBILE.`).
    public static func summarize(_ userAgent: String) -> UserAgentSummary {
        let ua = userAgent.trimming(" ")
        if ua.hasPrefix("App :") || ua.contains(". Os : ") { return google(ua) }
        let lower = ua.lowercased()

        var device = DeviceClass.unknown
        if lower.contains("bot") || lower.contains("crawler") || lower.contains("spider") {
            device = .bot
        } else if ["curl/", "wget/", "python-requests", "python-urllib", "go-http-client", "okhttp", "libwww", "java/"]
            .contains(where: lower.hasPrefix)
        {
            device = .script
        } else if lower.contains("ipad") || lower.contains("tablet") {
            device = .tablet
        } else if lower.contains("mobile") || lower.contains("iphone") || lower.contains("android") {
            device = .mobile
        } else if lower.contains("windows") || lower.contains("macintosh") || lower.contains("x11") || lower.contains("cros") {
            device = .desktop
        }

        let os: String? =
            if let v = version(in: ua, after: "Windows NT ") {
                "Windows " + (windowsNames[v] ?? v)
            } else if let v = version(in: ua, after: "iPhone OS ") ?? version(in: ua, after: "CPU OS ") {
                "iOS " + v.replacingAll("_", with: ".")
            } else if let v = version(in: ua, after: "Android ") {
                "Android " + v
            } else if let v = version(in: ua, after: "Mac OS X ") {
                "macOS " + v.replacingAll("_", with: ".")
            } else if lower.contains("cros") { "ChromeOS" } else if lower.contains("linux") { "Linux" } else { nil }

        let clients: [(marker: String, name: String)] = [
            ("Instagram ", "Instagram app"), ("FBAV/", "Facebook app"), ("Barcelona ", "Threads app"),
            ("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
            ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Version/", "Safari"),
            ("curl/", "curl"), ("Wget/", "Wget"), ("python-requests/", "python-requests"), ("Go-http-client/", "Go HTTP client"),
        ]
        var client: String? = nil
        for (marker, name) in clients {
            if let v = version(in: ua, after: marker) {
                client = name + " " + (v.split(separator: ".").first.map(String.init) ?? v)
                break
            }
        }
        return UserAgentSummary(client: client, os: os, device: device)
    }

    static let windowsNames = ["10.0": "10/11", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista", "5.1": "XP"]

    /// The version-like token (digits, dots, underscores) right after `marker`.
    static func version(in text: String, after marker: String) -> String? {
        guard let range = text.range(of: marker) else { return nil }
        let token = text[range.upperBound...].prefix { $0.isNumber || $0 == "." || $0 == "_" }
        return token.isEmpty ? nil : String(token)
    }

    /// Google's pseudo user agent: `Key : VALUE.` pairs.
    static func google(_ ua: String) -> UserAgentSummary {
        var pairs: [String: String] = [:]
        for part in ua.split(separator: ". ") {
            let kv = part.split(separator: ":", maxSplits: 1).map { $0.trimming(" .") }
            if kv.count == 2 { pairs[kv[0].lowercased()] = String(kv[1]) }
        }
        func pretty(_ code: String?) -> String? {
            code.map { $0.replacingAll("_APP", with: "").replacingAll("_OS", with: "").replacingAll("_", with: " ").capitalized }
        }
        let client = pretty(pairs["app"]).map { $0 + " app" + (pairs["app version"].map { " " + $0 } ?? "") }
        let os = pretty(pairs["os"]).map { name -> String in
            let fixed = ["Ios": "iOS", "Mac": "macOS"][name] ?? name
            return fixed + (pairs["os version"].map { " " + $0 } ?? "")
        }
        let device: DeviceClass =
            switch pairs["device type"]?.uppercased() {
            case "MOBILE": .mobile
            case "TABLET": .tablet
            case "DESKTOP", "COMPUTER": .desktop
            default: .unknown
            }
        return UserAgentSummary(client: client, os: os, device: device)
    }
}
