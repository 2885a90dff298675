//! Channel content rules: how message text is measured against a channel's declared limits.

pub mod sms;
pub mod vocabulary;
