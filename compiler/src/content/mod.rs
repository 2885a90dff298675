//! Channel content rules: how message text is measured against a channel's declared limits, and
//! the wording rules (opt-out instructions, promotional content) as data.

pub mod optout;
pub mod promotional;
pub mod sms;
pub mod vocabulary;
pub mod words;
