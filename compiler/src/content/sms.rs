//! SMS encoding and segment counting (RULES.md SMS-ENC). Filled in by the stdlib work.
