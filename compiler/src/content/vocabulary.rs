//! The names channel declarations may use (docs/channels.md). The checker looks limits up by
//! these names, so a declaration using any other name is reported rather than ignored.

/// Element names for `supports`.
pub const ELEMENTS: &[&str] =
    &["audio", "buttons", "card", "file", "image", "list", "replies", "subject", "template", "text", "video"];

/// Limit names for `limit NAME N`, and whether the limit counts elements (`true`) or measures
/// text (`false`, in characters unless the declaration says `bytes`).
pub const LIMITS: &[(&str, bool)] = &[
    ("button_title", false),
    ("buttons", true),
    ("card_subtitle", false),
    ("card_title", false),
    ("cards", true),
    ("list_button", false),
    ("list_footer", false),
    ("list_header", false),
    ("list_rows", true),
    ("list_sections", true),
    ("replies", true),
    ("reply_title", false),
    ("row_description", false),
    ("row_id", false),
    ("row_title", false),
    ("section_title", false),
    ("segments", true),
    ("subject", false),
    ("template_body", false),
    ("template_footer", false),
    ("template_header", false),
    ("text", false),
];
