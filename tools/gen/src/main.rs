//! `journey-gen VARIANT > file.journey`: writes one synthetic workload (see the library docs).

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if matches!(args.first().map(String::as_str), Some("-h" | "--help")) {
        println!("{}", journey_gen::USAGE);
        return ExitCode::SUCCESS;
    }
    let variant = match journey_gen::Variant::from_args(&args) {
        Ok(variant) => variant,
        Err(message) => {
            eprintln!("journey-gen: {message}");
            return ExitCode::from(2);
        }
    };
    let text = variant.generate();
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("journey-gen: cannot write: {error}");
            ExitCode::from(2)
        }
    }
}
