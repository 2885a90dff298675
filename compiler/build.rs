//! Embeds the standard library: every `stdlib/*.journey` file becomes a module `std/NAME`,
//! compiled into the binary, so `import "std/channels"` never touches the file system.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let stdlib = Path::new(&manifest).join("stdlib");
    println!("cargo:rerun-if-changed={}", stdlib.display());
    let mut modules: Vec<(String, String)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&stdlib) {
        for entry in entries.flatten() {
            let path = entry.path();
            println!("cargo:rerun-if-changed={}", path.display());
            if path.extension().is_some_and(|e| e == "journey") {
                if let (Some(stem), Ok(absolute)) = (path.file_stem(), path.canonicalize()) {
                    modules.push((stem.to_string_lossy().into_owned(), absolute.display().to_string()));
                }
            }
        }
    }
    // Sorted, so the generated table (and everything built from it) is deterministic.
    modules.sort();
    let mut code = String::from("/// `(module name, source)` for every standard-library module, sorted by name.\n");
    code.push_str("pub static MODULES: &[(&str, &str)] = &[\n");
    for (name, path) in &modules {
        let _ = writeln!(code, "    ({name:?}, include_str!({path:?})),");
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_owned());
    if let Err(error) = std::fs::write(Path::new(&out).join("stdlib_modules.rs"), code) {
        println!("cargo:warning=cannot write the stdlib table: {error}");
        std::process::exit(1);
    }
}
