//! Builds Portico: the site (browser bundle, styles, assets) and the `portico` binary.
//!
//! ```text
//! cargo xtask build [--release]   # the site into target/site, and the server
//! cargo xtask site [--release]    # the site only
//! ```
//!
//! The browser crate is compiled to wasm32 by cargo in `target/front`, then the `bundle`
//! package binds it with wasm-bindgen's own library and writes `target/site`, its file
//! names carrying a fingerprint of their content (`portico.<hash>.wasm`, listed in
//! `target/site/hash.txt` for the server). No build tool has to be installed first, and
//! this program has no dependencies, so the server's build starts within seconds.

use std::{
    env,
    path::PathBuf,
    process::{Command, ExitCode},
    time::Instant,
};
use xtask::{announce, elapsed, timed};

#[derive(Clone, Copy)]
struct Mode {
    release: bool,
    /// Builds at the lowest CPU priority (while the server builds).
    background: bool,
}

/// The profile of the browser crate in release builds (size-optimised, see Cargo.toml).
const WASM_RELEASE_PROFILE: &str = "wasm-release";

const USAGE: &str = "usage: cargo xtask build [--release]   (the site and the server)
       cargo xtask site [--release]    (the site only)";

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

fn run(args: &[String]) -> Result<(), String> {
    let (command, flags) = args.split_first().ok_or(USAGE)?;
    let mut mode = Mode {
        release: false,
        background: false,
    };
    for flag in flags {
        match flag.as_str() {
            "--release" => mode.release = true,
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    let started = Instant::now();
    match command.as_str() {
        "build" => build(mode)?,
        "site" => site(mode)?,
        other => return Err(format!("unknown command {other:?}\n{USAGE}")),
    }
    announce(&format!("Done in {}", elapsed(started.elapsed())));
    Ok(())
}

/// The server and the site side by side, each cargo in its own target folder so none waits
/// for another's lock. The server is the longest build, so the site's two builds (the
/// wasm, and the bundle step's program) run at the lowest CPU priority: they take the cores
/// the server leaves idle (its long single-threaded crates) instead of slowing it down,
/// and fill both cores once it is done. Measured on 2 cores from a fresh clone (BENCHMARKS.md):
/// 7m04s to a running portal all at equal priority, 6m23s niced (6m48s with wasm-bindgen's
/// crates optimised for page edits, see Cargo.toml).
fn build(mode: Mode) -> Result<(), String> {
    let mut args = vec!["build", "--package", "server", "--bin", "portico"];
    if mode.release {
        args.push("--release");
    }
    announce(&format!("cargo {} (in the background)", args.join(" ")));
    let started = Instant::now();
    let mut server = cargo()
        .args(&args)
        .spawn()
        .map_err(|e| format!("starting cargo: {e}"))?;
    let background = Mode {
        background: true,
        ..mode
    };
    // Compiled now so that it is ready when the wasm is; `site` runs it (and reports a
    // failure to build it).
    let mut bundle_tool = cargo_at(background)
        .args(["build", "--quiet", "--package", "bundle", "--target-dir"])
        .arg(target_dir().join("bundle"))
        .spawn()
        .map_err(|e| format!("starting cargo: {e}"))?;
    let site = site(background);
    let _ = bundle_tool.wait();
    let status = server
        .wait()
        .map_err(|e| format!("waiting for cargo: {e}"))?;
    site?;
    if !status.success() {
        return Err("cargo build of the server failed (its errors are above)".into());
    }
    let profile = if mode.release { "release" } else { "debug" };
    println!(
        "    target/{profile}/portico built: {}",
        elapsed(started.elapsed())
    );
    Ok(())
}

/// The browser crate to wasm32 (in `target/front`), then the `bundle` step on it (its
/// program built in `target/bundle`).
fn site(mode: Mode) -> Result<(), String> {
    let target = target_dir();
    let front = target.join("front");
    announce("cargo build --package frontend --target wasm32-unknown-unknown");
    timed("browser crate compiled to wasm32", || {
        let mut command = cargo_at(mode);
        command
            .args(["build", "--quiet", "--package", "frontend", "--lib"])
            .args(["--target", "wasm32-unknown-unknown", "--target-dir"])
            .arg(&front);
        if mode.release {
            command.args(["--profile", WASM_RELEASE_PROFILE]);
        }
        succeed(command, "cargo build of the browser crate")
    })?;
    let profile = if mode.release {
        WASM_RELEASE_PROFILE
    } else {
        "debug"
    };
    let wasm = front
        .join("wasm32-unknown-unknown")
        .join(profile)
        .join("frontend.wasm");
    announce("bundle: wasm-bindgen, fingerprints, target/site");
    let mut command = cargo_at(mode);
    command
        .args(["run", "--quiet", "--package", "bundle", "--target-dir"])
        .arg(target.join("bundle"))
        .arg("--")
        .arg(&wasm)
        .arg(target.join("site"));
    if mode.release {
        command.arg("--release");
    }
    succeed(command, "the bundle step")
}

fn succeed(mut command: Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("starting {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed (its errors are above)"))
    }
}

/// `CARGO_TARGET_DIR` when set (relative to the workspace), else the workspace's target/.
fn target_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf();
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
}

/// The cargo that runs this task, so toolchain overrides carry through.
fn cargo() -> Command {
    Command::new(cargo_program())
}

fn cargo_program() -> std::ffi::OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Cargo at the mode's CPU priority: `nice -n 19` in the background, where there is nice.
fn cargo_at(mode: Mode) -> Command {
    if mode.background && cfg!(unix) {
        let mut command = Command::new("nice");
        command.args(["-n", "19"]).arg(cargo_program());
        command
    } else {
        cargo()
    }
}
