internal import Foundation

/// The record of processing as a printable HTML page (for the reseller's file and its supervisory
/// authority): every value escaped, no scripts, no external resources.
enum ProcessingRecordsPage {
    static func render(_ records: Components.Schemas.ProcessingRecords) -> String {
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Record of processing</title>
            <style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;width:100%;margin:1em 0}
            th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#eee}@media print{body{margin:0}}</style>
            </head><body>
            <h1>Record of processing activities</h1>
            <p>Carried out on behalf of <strong>\(escape(records.controller.name))</strong> (controller, reseller id \(escape(records.controller.resellerId))).
            Processor: \(escape(records.processor)). Generated \(escape(timestamp(records.generatedAt))) from the system's declarations.</p>
            <h2>Processing activities</h2><table><tr><th>Activity</th><th>Purpose</th><th>Data</th><th>Data subjects</th><th>Retention</th></tr>
            """
        for activity in records.activities {
            html += "<tr><td>\(escape(activity.name))</td><td>\(escape(activity.purpose))</td><td>\(escape(activity.dataCategories.joined(separator: ", ")))</td>"
                + "<td>\(escape(activity.dataSubjects))</td><td>\(activity.retention.map(escape).joined(separator: "<br>"))</td></tr>"
        }
        html += "</table><h2>Sub-processors</h2><table><tr><th>Name</th><th>Service</th><th>Location</th><th>Transfer basis</th><th>Engaged</th></tr>"
        for entry in records.subProcessors {
            let period = entry.engagedUntil.map { "\(entry.engagedFrom) – \($0)" } ?? "from \(entry.engagedFrom)"
            html += "<tr><td>\(escape(entry.name))</td><td>\(escape(entry.service))</td><td>\(escape(entry.location))</td>"
                + "<td>\(escape(entry.transferBasis))</td><td>\(escape(period))</td></tr>"
        }
        if records.subProcessors.isEmpty { html += "<tr><td colspan=\"5\">None registered.</td></tr>" }
        html += "</table><h2>Transfers outside the EEA</h2><ul>"
        html += (records.transfers ?? []).map { "<li>\(escape($0))</li>" }.joined()
        if (records.transfers ?? []).isEmpty { html += "<li>None.</li>" }
        html += "</ul><h2>Security measures</h2><ul>" + records.securityMeasures.map { "<li>\(escape($0))</li>" }.joined() + "</ul></body></html>\n"
        return html
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func timestamp(_ date: Date) -> String {
        (try? RFC3339DateTranscoder().encode(date)) ?? ""
    }
}
