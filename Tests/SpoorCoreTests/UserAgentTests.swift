import SpoorCore
import Testing

@Suite struct UserAgentTests {
    @Test(arguments: [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Chrome 120 · Windows 10/11 · desktop"
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
            "Safari 17 · iOS 17.2 · mobile"
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox 121 · Linux · desktop"),
        (
            "Instagram 300.0.0.0 (iPhone14,2; iOS 17_1; en_US; en; scale=3.00; 1170x2532) AppleWebKit/420+",
            "Instagram app 300 · mobile"
        ),
        ("python-requests/2.31.0", "python-requests 2 · script"),
        (
            "App : GMAIL_APP. App Version : 6.0.260302. Os : IOS_OS. Os Version : 17.2. Device Type : MOBILE.",
            "Gmail app 6.0.260302 · iOS 17.2 · mobile"
        ),
        ("App : APPLE_NATIVE_APP. Os : MAC_OS.", "Apple Native app · macOS · unknown"),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "bot"),
    ])
    func summarisesBrowsersAppsAndGooglePseudoAgents(_ ua: String, _ expected: String) {
        #expect(UserAgentSummary.summarize(ua).text == expected)
    }
}
