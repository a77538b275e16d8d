//! HTML helpers: escaping and the page layout shared by every page.

use std::fmt::Write as _;

/// `s` escaped for HTML text and attribute values.
#[must_use]
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Which entry of the navigation is the current page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// `/`
    Overview,
    /// `/live`
    Live,
    /// `/prices`
    Prices,
    /// `/reconcile`
    Reconcile,
    /// None of them (errors).
    None,
}

/// A whole page: head (CSS and the progressive-enhancement script, both
/// served from `/assets/`), navigation, `<main>` with `body`.
#[must_use]
pub fn page(title: &str, nav: Nav, body: &str) -> String {
    let mut s = String::with_capacity(body.len() + 2048);
    s.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    s.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
    let _ = writeln!(s, "<title>{} · llmcost</title>", esc(title));
    s.push_str("<link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">\n");
    s.push_str("<link rel=\"stylesheet\" href=\"/assets/style.css\">\n");
    s.push_str("<script src=\"/assets/app.js\" defer></script>\n</head>\n<body>\n");
    s.push_str("<a class=\"skip\" href=\"#main\">Skip to content</a>\n");
    s.push_str(
        "<header class=\"top\"><span class=\"brand\">llmcost</span>\n<nav aria-label=\"Main\"><ul>",
    );
    for (href, label, n) in [
        ("/", "Overview", Nav::Overview),
        ("/live", "Live", Nav::Live),
        ("/prices", "Prices", Nav::Prices),
        ("/reconcile", "Reconcile", Nav::Reconcile),
    ] {
        let cur = if n == nav {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(s, "<li><a href=\"{href}\"{cur}>{label}</a></li>");
    }
    s.push_str("</ul></nav></header>\n<main id=\"main\" tabindex=\"-1\">\n");
    let _ = writeln!(s, "<h1>{}</h1>", esc(title));
    s.push_str(body);
    s.push_str("\n</main>\n<footer><p>Amounts are exact decimals; charts round only for drawing. Read-only: nothing here changes the ledger.</p></footer>\n</body>\n</html>\n");
    s
}

/// A `<table>` whose header cells are sortable by the script (and plain with
/// JavaScript off). `numeric[i]` right-aligns column `i` and sorts it as a number.
#[must_use]
pub fn table(
    testid: &str,
    caption: &str,
    head: &[&str],
    numeric: &[bool],
    rows: &[Vec<String>],
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<div class=\"table-wrap\"><table class=\"sortable\" data-testid=\"{}\"><caption>{}</caption><thead><tr>",
        esc(testid),
        esc(caption)
    );
    for (i, h) in head.iter().enumerate() {
        let cls = if numeric.get(i).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(s, "<th scope=\"col\"{cls}>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for row in rows {
        s.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let cls = if numeric.get(i).copied().unwrap_or(false) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(s, "<td{cls}>{}</td>", esc(c));
        }
        s.push_str("</tr>");
    }
    if rows.is_empty() {
        let _ = write!(
            s,
            "<tr><td colspan=\"{}\">Nothing in this period.</td></tr>",
            head.len().max(1)
        );
    }
    s.push_str("</tbody></table></div>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn page_marks_the_current_entry() {
        let p = page("Live", Nav::Live, "<p>x</p>");
        assert!(p.contains("<a href=\"/live\" aria-current=\"page\">Live</a>"));
        assert!(p.contains("<a href=\"/\">Overview</a>"));
        assert!(!p.contains("<script>"), "no inline script");
    }
}
