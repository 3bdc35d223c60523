import SpoorCore

/// Reading an action from a source's own words when it has no fixed vocabulary (generic files,
/// Google activity types, Proton events).
enum ActionWords {
    static func action(_ text: String?, default fallback: Action) -> Action {
        guard let lower = text?.lowercased(), !lower.isEmpty else { return fallback }
        let failed = lower.contains("fail") || lower.contains("denied") || lower.contains("invalid")
        let signIn = ["login", "log in", "logon", "sign-in", "sign in", "signin", "auth"].contains { lower.contains($0) }
        if failed && signIn { return .loginFailed }
        if let takeover = takeover(lower) { return takeover }
        if lower.contains("password") { return .passwordChange }
        if failed { return .loginFailed }
        if lower.contains("2fa") || lower.contains("two-factor") || lower.contains("mfa") || lower.contains("totp") {
            return .twoFactorChange
        }
        if lower.contains("e-mail") || lower.contains("email") { return .emailChange }
        if lower.contains("logout") || lower.contains("log out") || lower.contains("sign out") || lower.contains("sign-out")
            || lower.contains("signout")
        {
            return .logout
        }
        if lower.contains("login") || lower.contains("log in") || lower.contains("logon") || lower.contains("sign-in")
            || lower.contains("sign in") || lower.contains("signin")
        {
            return .login
        }
        return fallback
    }

    /// The actions of a takeover, from lower-cased words: data exports, forwarding, grants of
    /// access, recovery changes, deletions, attack warnings. Nil when the words name none.
    static func takeover(_ lower: String) -> Action? {
        let has = { (words: [String]) in words.contains { lower.contains($0) } }
        if has(["gov_attack", "government-backed", "government backed", "state-sponsored", "state sponsored", "attack warning"]) {
            return .attackWarning
        }
        if has([
            "takeout", "download your information", "download_your_information", "data export", "export data",
            "archive requested", "data download", "download of your data",
        ]) {
            return .dataExport
        }
        if has(["forwarding", "inbox rule", "inboxrule", "mail rule"]) { return .mailForwarding }
        if has(["app password", "app-specific password", "oauth", "consent", "delegate", "authorized app", "third-party app"]) {
            return .appAccess
        }
        if lower.contains("recovery") { return .recoveryChange }
        if lower.contains("delet") || lower.contains("admin removed"),
            !has(["session", "device", "cookie", "login", "sign-in"])
        {
            return .deletion
        }
        return nil
    }
}
