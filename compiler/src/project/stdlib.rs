//! The standard library, embedded at build time from `stdlib/*.journey` (see `build.rs`).

include!(concat!(env!("OUT_DIR"), "/stdlib_modules.rs"));

/// The source of module `std/NAME`.
pub fn module(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(module, _)| *module == name).map(|(_, source)| *source)
}

/// The names of all modules, sorted.
pub fn module_names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(name, _)| *name)
}
