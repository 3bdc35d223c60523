import SpoorCore

/// Reading an action from a source's own words when it has no fixed vocabulary (generic files,
/// Google activity types, Proton events).
enum ActionWords {
    static func action(_ text: String?, default fallback: Action) -> Action {
        guard let lower = text?.lowercased(), !lower.isEmpty else { return fallback }
        let failed = lower.contains("fail") || lower.contains("denied") || lower.contains("invalid")
        let signIn = ["login", "log in", "logon", "sign-in", "sign in", "signin", "auth"].contains { lower.contains($0) }
        if failed && signIn { return .loginFailed }
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
}
