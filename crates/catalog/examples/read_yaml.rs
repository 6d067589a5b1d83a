//! Reads one catalog file the way `portico catalog validate` does (`parse_bytes`
//! with the default limits) and prints how many entities and errors it gave.
//! Used by `bench/hostile-yaml.sh` to measure the parser without building the server:
//!
//!     cargo build --release -p catalog --example read_yaml
//!     /usr/bin/time -v target/release/examples/read_yaml FILE
//!
//! `--no-error-limit` lifts the error and document limits, to time error
//! recovery itself on a file with an error in every document.

use catalog::{Limits, parse_bytes};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, limits) = match args.as_slice() {
        [path] => (path, Limits::default()),
        [path, flag] if flag == "--no-error-limit" => {
            let limits = Limits {
                max_errors: usize::MAX,
                max_documents: usize::MAX,
                ..Limits::default()
            };
            (path, limits)
        }
        _ => {
            eprintln!("usage: read_yaml FILE [--no-error-limit]");
            std::process::exit(2);
        }
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{path}: cannot be read: {e}");
            std::process::exit(2);
        }
    };
    let parsed = parse_bytes(path, &bytes, &limits);
    println!(
        "{path}: {} entities, {} errors",
        parsed.entities.len(),
        parsed.errors.len()
    );
    if let Some(last) = parsed.errors.last() {
        println!("last error: {last}");
    }
}
