//! `journey map` (`--format html`): one self-contained HTML file per project.
//!
//! The page holds everything it needs: the stylesheet, the vendored layout library (dagre,
//! `cli/assets/map/vendor/README.md` says which version and why), the page's script, and the map
//! document as JSON. A Content-Security-Policy forbids every fetch, so a map never reaches the
//! network when it is viewed.
//!
//! Message texts are hostile input. The document is embedded as JSON inside
//! `<script type="application/json">`, where the only way out is a `</script` (or a `<!--`) in
//! the text: every `<` in the JSON is written `\u003c`, which JSON reads back as the same
//! character, so no text of the project can close the element. The script puts texts into the
//! page only through its `esc` function. The title is HTML-escaped here.

use super::model::MapDocument;

const CSS: &str = include_str!("../../assets/map/map.css");
const DAGRE: &str = include_str!("../../assets/map/vendor/dagre.min.js");
const SCRIPT: &str = include_str!("../../assets/map/map.js");

/// The page of a map.
pub fn write(doc: &MapDocument) -> Result<String, String> {
    let json = serde_json::to_string(doc).map_err(|e| format!("cannot write the map document: {e}"))?;
    let title = escape_html(&format!("journey map: {}", doc.project));
    let mut page = String::with_capacity(json.len() + DAGRE.len() + SCRIPT.len() + CSS.len() + 2048);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // Nothing but what the page holds: no fetch, no image, no font from anywhere.
    page.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n");
    page.push_str("<title>");
    page.push_str(&title);
    page.push_str("</title>\n<style>\n");
    page.push_str(CSS);
    page.push_str("</style>\n</head>\n<body>\n<header class=\"top\"><h1>");
    page.push_str(&title);
    page.push_str("</h1><span class=\"counts\" id=\"counts\"></span></header>\n");
    page.push_str(
        "<main><div id=\"flow\"></div><aside><nav><button data-panel=\"lifecycle\" class=\"on\">Lifecycle</button>\
         <button data-panel=\"details\">Details</button><button data-panel=\"problems\">Problems</button></nav>\
         <section id=\"lifecycle\" class=\"on\"></section><section id=\"details\"><p class=\"muted\">Click a step to see its compliance record.</p></section>\
         <section id=\"problems\"></section></aside></main>\n",
    );
    page.push_str(
        "<noscript>This map is drawn by JavaScript; `journey map --format dot` gives a static graph.</noscript>\n",
    );
    page.push_str("<script type=\"application/json\" id=\"map-data\">");
    page.push_str(&json_for_script(&json));
    page.push_str("</script>\n<script>\n");
    page.push_str(DAGRE);
    page.push_str("\n</script>\n<script>\n");
    page.push_str(SCRIPT);
    page.push_str("</script>\n</body>\n</html>\n");
    Ok(page)
}

/// JSON text safe inside a `<script>` element: `<` as `\u003c` (so neither `</script` nor `<!--`
/// can occur), and U+2028 and U+2029 as escapes too (valid in JSON, but line breaks to older
/// JavaScript parsers). Outside strings JSON has none of these characters, so only string
/// contents change, and they parse back to the same text.
pub fn json_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_end_tag_in_a_text_cannot_close_the_data_element_and_reads_back_the_same() {
        let hostile = "</script><script>alert(1)</script> <!-- \u{2028} \"quoted\" 'single' & é 🎉";
        let json = serde_json::to_string(&hostile).unwrap();
        let safe = json_for_script(&json);
        assert!(!safe.contains('<'), "{safe}");
        assert!(!safe.contains('\u{2028}'));
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, hostile);
    }

    #[test]
    fn the_embedded_assets_cannot_end_their_script_elements_early() {
        for (name, asset) in [("dagre.min.js", DAGRE), ("map.js", SCRIPT)] {
            let lower = asset.to_ascii_lowercase();
            assert!(!lower.contains("</script") && !lower.contains("<!--"), "{name}");
        }
        assert!(!CSS.to_ascii_lowercase().contains("</style"));
    }

    #[test]
    fn the_title_is_escaped() {
        assert_eq!(escape_html("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
