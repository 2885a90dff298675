//! Structured logs: one JSON object a line on standard error (docs/deploy.md, "Logs"), with the
//! real time, a level, what happened, and its fields.

use std::io::Write as _;

use serde_json::{Map, Value as Json};

pub fn line(level: &str, event: &str, fields: &[(&str, &str)]) {
    let mut map = Map::new();
    let ms = crate::clock::real_ms();
    let time = journey_runtime::time::format_utc(ms.div_euclid(1000));
    map.insert("time".to_owned(), Json::String(time));
    map.insert("level".to_owned(), Json::String(level.to_owned()));
    map.insert("event".to_owned(), Json::String(event.to_owned()));
    for (key, value) in fields {
        map.insert((*key).to_owned(), Json::String((*value).to_owned()));
    }
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", Json::Object(map));
}

pub fn info(event: &str, fields: &[(&str, &str)]) {
    line("info", event, fields);
}

pub fn error(event: &str, fields: &[(&str, &str)]) {
    line("error", event, fields);
}
