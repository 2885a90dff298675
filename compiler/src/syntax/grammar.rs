//! The pest parser, derived from `grammar/journey.pest` (the single source of syntax).

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/journey.pest"]
pub struct JourneyParser;
