//! `journey map PATH... --out FILE`: a picture of each project's journeys (docs/map.md).
//!
//! The projects are found and checked exactly as `journey check` finds and checks them (the same
//! PATH and `--exclude`, the same diagnostics on standard error, the same exit codes), and each
//! project's map is made from the report of that check:
//!
//! - `model.rs`: the map document, layout-neutral data built from the report;
//! - `html.rs`: the self-contained page (`--format html`, the default);
//! - `dot.rs`: Graphviz DOT text (`--format dot`), for docs;
//! - `svg.rs`: that DOT text drawn by Graphviz's `dot` (`--format svg`).
//!
//! A project with errors still gets its map (its violations are what the map shows); a path that
//! cannot be read makes the run write nothing (exit 2), as the map would leave files out. One
//! project writes FILE; several write one file each into the directory `--out` names, each named
//! after its project ([`file_names`]). Files are written atomically (`atomic.rs`).

pub mod dot;
pub mod html;
pub mod model;
pub mod svg;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use journey_compiler::project::Origin;
use journey_compiler::{FileId, ProjectReport};

use crate::args::{CheckArgs, ColorChoice, Format, MapArgs, MapFormat};
use crate::check;
use crate::exit::Exit;
use crate::project::ProjectInputs;

pub fn run(args: &MapArgs) -> Exit {
    let check_args = CheckArgs {
        paths: args.paths.clone(),
        exclude: args.exclude.clone(),
        verbose: false,
        format: Format::Short,
        color: ColorChoice::Never,
        deny: Vec::new(),
        stdin_filename: None,
        quiet: false,
        fix: false,
    };
    let mut maps: Vec<(String, String, Result<String, String>)> = Vec::new();
    let outcome = check::check_projects(&check_args.paths, &check_args.exclude, |inputs, report| {
        let (name, stem) = project_name(inputs);
        let doc = document(&name, inputs, report);
        let text = match args.format {
            MapFormat::Html => html::write(&doc),
            MapFormat::Dot => Ok(dot::write(&doc)),
            MapFormat::Svg => svg::render(&dot::write(&doc)),
        };
        maps.push((name, stem, text));
    });
    let checked = check::report(&check_args, &outcome);
    if checked == Exit::Usage {
        let _ = writeln!(io::stderr().lock(), "error: no map written: some paths could not be read");
        return checked;
    }
    let extension = match args.format {
        MapFormat::Html => "html",
        MapFormat::Dot => "dot",
        MapFormat::Svg => "svg",
    };
    let targets = match file_names(&args.out, maps.iter().map(|(_, stem, _)| stem.as_str()), extension) {
        Ok(targets) => targets,
        Err(message) => {
            let _ = writeln!(io::stderr().lock(), "error: no map written: {message}");
            return Exit::Usage;
        }
    };
    // The directory of the maps: `--out` itself for several, its parent for one.
    let dir =
        if maps.len() > 1 { Some(args.out.as_path()) } else { args.out.parent().filter(|p| !p.as_os_str().is_empty()) };
    if let Some(dir) = dir {
        if let Err(error) = std::fs::create_dir_all(dir) {
            let shown = crate::discover::display_path(dir);
            let _ = writeln!(io::stderr().lock(), "error: cannot create `{shown}`: {error}");
            return Exit::Usage;
        }
    }
    // Every map is made before any is written: one that cannot be made leaves all as they were.
    let mut texts = Vec::new();
    for (name, _, text) in &maps {
        match text {
            Ok(text) => texts.push((name, text)),
            Err(message) => {
                let _ = writeln!(io::stderr().lock(), "error: no map written: the map of {name}: {message}");
                return Exit::Usage;
            }
        }
    }
    for ((name, text), target) in texts.into_iter().zip(&targets) {
        let shown = crate::discover::display_path(target);
        if let Err(error) = crate::atomic::write(target, text.as_bytes()) {
            let _ = writeln!(io::stderr().lock(), "error: cannot write `{shown}`: {error}");
            return Exit::Usage;
        }
        let _ = writeln!(io::stderr().lock(), "wrote the map of {name} to {shown}");
    }
    checked
}

/// The map document of one checked project, its files named as `journey check` names them.
pub fn document(name: &str, inputs: &ProjectInputs, report: &ProjectReport) -> model::MapDocument {
    let names: BTreeMap<FileId, String> = report
        .sources
        .files
        .iter()
        .map(|file| {
            let shown = match &file.origin {
                Origin::Project(path) => inputs
                    .entries
                    .iter()
                    .find(|(p, _)| p == path)
                    .map_or_else(|| format!("{}{}", inputs.display_prefix, path), |(_, shown)| shown.clone()),
                Origin::Std(_) => file.name.clone(),
            };
            (file.id, shown)
        })
        .collect();
    model::build(name, report, &|file| names.get(&file).cloned().unwrap_or_default())
}

/// How a project is named (the directory of its `journey.toml`, or its one file as the user
/// wrote it), and the file name stem of its map when several are written.
pub fn project_name(inputs: &ProjectInputs) -> (String, String) {
    let first = inputs.entries.first().map(|(path, shown)| (path.as_str().to_owned(), shown.clone()));
    if inputs.manifest {
        let stem = inputs.root.file_name().map_or_else(|| "project".to_owned(), |n| n.to_string_lossy().into_owned());
        let shown = inputs.display_prefix.trim_end_matches('/');
        let name = if shown.is_empty() { stem.clone() } else { shown.to_owned() };
        (name, stem)
    } else {
        let (path, shown) = first.unwrap_or_default();
        let stem =
            Path::new(&path).file_stem().map_or_else(|| "project".to_owned(), |n| n.to_string_lossy().into_owned());
        (shown, stem)
    }
}

/// Where each map goes: `out` itself for one project; `out/<stem>.<extension>` for each of
/// several, refused when two projects would share a file.
pub fn file_names<'a>(
    out: &Path,
    stems: impl Iterator<Item = &'a str>,
    extension: &str,
) -> Result<Vec<PathBuf>, String> {
    let stems: Vec<&str> = stems.collect();
    if stems.len() <= 1 {
        return Ok(stems.iter().map(|_| out.to_path_buf()).collect());
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for stem in &stems {
        *seen.entry(stem).or_insert(0) += 1;
    }
    if let Some((stem, _)) = seen.iter().find(|(_, n)| **n > 1) {
        return Err(format!(
            "{} projects were given, so `--out` is a directory with one map per project named after it, \
             and two projects are named `{stem}`; map them one at a time",
            stems.len()
        ));
    }
    if out.is_file() {
        return Err(format!(
            "{} projects were given, so `--out` must be a directory (one map per project), and `{}` is a file",
            stems.len(),
            crate::discover::display_path(out)
        ));
    }
    Ok(stems.iter().map(|stem| out.join(format!("{stem}.{extension}"))).collect())
}
