//! Builds Portico: the site (browser bundle, styles, assets) and the `portico` binary.
//!
//! ```text
//! cargo xtask build [--release]   # the site into target/site, and the server
//! cargo xtask site [--release]    # the site only
//! ```
//!
//! The browser crate is compiled to wasm32 by cargo and bound by wasm-bindgen's own library,
//! so no build tool has to be installed first. File names in `target/site/pkg` carry a
//! fingerprint of their content (`portico.<hash>.wasm`); `target/site/hash.txt` tells the
//! server which, the way Leptos reads it, so browsers may cache them for good.

mod site;

use std::{
    env,
    path::PathBuf,
    process::{Child, Command, ExitCode},
    time::{Duration, Instant},
};

/// How the build was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    pub release: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask build [--release]   (the site and the server)
       cargo xtask site [--release]    (the site only)";

fn run(args: &[String]) -> Result<(), String> {
    let (command, flags) = args.split_first().ok_or(USAGE)?;
    let mut mode = Mode { release: false };
    for flag in flags {
        match flag.as_str() {
            "--release" => mode.release = true,
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    let paths = Paths::from_env();
    let started = Instant::now();
    match command.as_str() {
        "build" => {
            // The server and the wasm bundle build in separate target folders, side by side:
            // each crate graph has long single-threaded stretches (the app crate) that the
            // other fills, and neither waits for the other's lock.
            let mut server = spawn_server_build(mode)?;
            let site = site::build(&paths, mode);
            let server_status = server
                .wait()
                .map_err(|e| format!("waiting for cargo: {e}"))?;
            site?;
            if !server_status.success() {
                return Err("cargo build of the server failed (its errors are above)".into());
            }
            let profile = if mode.release { "release" } else { "debug" };
            announce(&format!(
                "Built target/{profile}/portico and target/site in {}",
                elapsed(started.elapsed())
            ));
            Ok(())
        }
        "site" => {
            site::build(&paths, mode)?;
            announce(&format!(
                "Built target/site in {}",
                elapsed(started.elapsed())
            ));
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    }
}

/// Where the build reads and writes.
pub struct Paths {
    pub root: PathBuf,
    pub target: PathBuf,
}

impl Paths {
    fn from_env() -> Paths {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace")
            .to_path_buf();
        let target = env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map(|dir| {
                if dir.is_absolute() {
                    dir
                } else {
                    root.join(dir)
                }
            })
            .unwrap_or_else(|| root.join("target"));
        Paths { root, target }
    }
}

fn spawn_server_build(mode: Mode) -> Result<Child, String> {
    let mut args = vec!["build", "--package", "server", "--bin", "portico"];
    if mode.release {
        args.push("--release");
    }
    announce(&format!("cargo {} (in the background)", args.join(" ")));
    cargo()
        .args(&args)
        .spawn()
        .map_err(|e| format!("starting cargo: {e}"))
}

/// The cargo that runs this task, so toolchain overrides carry through.
pub fn cargo() -> Command {
    Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// A step header, bold like the scripts' own.
pub fn announce(what: &str) {
    println!("\x1b[1m==> {what}\x1b[0m");
}

/// Runs one step and says how long it took.
pub fn timed<T>(what: &str, step: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let started = Instant::now();
    let value = step()?;
    println!("    {what}: {}", elapsed(started.elapsed()));
    Ok(value)
}

pub fn elapsed(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        format!(
            "{}m{:02}s",
            duration.as_secs() / 60,
            duration.as_secs() % 60
        )
    }
}
