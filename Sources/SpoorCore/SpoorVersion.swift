/// The version of Spoor, recorded in every report and case.
public enum SpoorVersion {
    public static let current = "0.1.0"
}
