import Foundation
import SpoorCase
import SpoorStore
import SpoorCore

/// `report.html`: one self-contained page (no scripts, no external resources) laid out by the
/// report templates (``ReportTemplates``) from the values ``ReportView`` gathers. Print-ready,
/// with page numbers when printed, and readable on a phone.
public enum HTMLReport {
    /// The page for a case; `document` is already redacted when `redaction` is given, and
    /// `overview` was gathered from the subjects as `findings.json` was written.
    static func render(
        _ document: FindingsDocument, overview: SubjectOverview, store: CaseStore, templates: ReportTemplates,
        redaction: Redaction? = nil, pdf: Bool = false
    ) throws -> String {
        // Markers are placed by each supporting record's evidence hash and position, which
        // redaction leaves as they are.
        let timeline = try Timeline.build(
            store: store, findings: document.findings, captureName: { name in redaction?.path(name) ?? name })
        let view = try ReportView.build(
            document, overview: overview, store: store, timeline: timeline, pdfRequested: pdf, redaction: redaction)
        return templates.render(view)
    }
}
