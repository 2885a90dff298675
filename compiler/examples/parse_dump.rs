//! Development aid: `cargo run -p journey-compiler --example parse_dump FILE` prints the
//! diagnostics (and with `--ast`, the tree) of one file.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        return;
    };
    let bytes = std::fs::read(path).unwrap_or_default();
    let checked = journey_compiler::check_file(journey_compiler::FileId(0), &bytes);
    let index = journey_compiler::LineIndex::new(&checked.text);
    if args.iter().any(|a| a == "--ast") {
        println!("{:#?}", checked.ast);
    }
    for d in &checked.diagnostics {
        let lc = index.line_col_chars(&checked.text, d.primary.span.start());
        println!(
            "{}:{}: {}[{}] {} ({})",
            lc.line + 1,
            lc.col + 1,
            d.severity.as_str(),
            d.code,
            d.message,
            d.primary.message
        );
        if let Some(h) = &d.help {
            println!("    help: {h}");
        }
    }
}
