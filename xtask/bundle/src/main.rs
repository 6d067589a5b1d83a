//! The bundle step of `cargo xtask`: binds the browser crate's wasm with wasm-bindgen's own
//! library and writes the site,
//! `target/site/{pkg/portico.<hash>.{js,wasm,css}, pkg/portico.css, pkg/snippets/…, hash.txt}`
//! and everything under `public/`.
//!
//! `bundle WASM SITE [--release]`; run by `cargo xtask` in its wasm target folder.

use std::{
    env, fs, io,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::UNIX_EPOCH,
};

use sha2::{Digest, Sha256};
use wasm_bindgen_cli_support::Bindgen;
use xtask::timed;

/// The bundle's base name; Leptos is compiled with the same (`LEPTOS_OUTPUT_NAME`).
const OUTPUT_NAME: &str = "portico";
/// The one wasm-opt release known to produce a bundle that hydrates (Debian's 108 does not).
const WASM_OPT_VERSION: &str = "132";
/// What rustc 1.95 emits for wasm32-unknown-unknown by default; wasm-opt must be told, as
/// wasm-bindgen drops the section that says so (without them: "all used features should
/// be allowed").
const WASM_FEATURES: [&str; 6] = [
    "bulk-memory",
    "nontrapping-float-to-int",
    "sign-ext",
    "mutable-globals",
    "reference-types",
    "multivalue",
];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let release = args.iter().any(|arg| arg == "--release");
    let paths: Vec<&String> = args.iter().filter(|arg| *arg != "--release").collect();
    let [wasm, site] = paths[..] else {
        eprintln!("usage: bundle WASM SITE [--release]");
        return ExitCode::FAILURE;
    };
    match bundle(Path::new(wasm), Path::new(site), release) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bundle: {error}");
            ExitCode::FAILURE
        }
    }
}

fn bundle(wasm: &Path, site: &Path, release: bool) -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    // The bindings are staged next to the wasm, with a stamp of the wasm they came from.
    let staged = wasm.with_file_name("bindgen");
    let stamp = input_stamp(wasm)?;
    if staged_from(&staged).as_ref() == Some(&stamp) {
        println!("    wasm-bindgen: unchanged, skipped");
    } else {
        timed("wasm-bindgen", || bind(wasm, &staged, release))?;
        if release {
            optimize(&staged.join(format!("{OUTPUT_NAME}_bg.wasm")))?;
        }
        write(&staged.join(STAMP), &stamp)?;
    }
    timed("site assembled", || assemble(&root, &staged, site))
}

/// Names the wasm file that the staged bindings came from, so an unchanged bundle is not
/// bound again (wasm-bindgen takes seconds on a debug build).
const STAMP: &str = "input.stamp";

fn input_stamp(wasm: &Path) -> Result<String, String> {
    let meta = fs::metadata(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    Ok(format!("{} {} {modified}", wasm.display(), meta.len()))
}

fn staged_from(staged: &Path) -> Option<String> {
    fs::read_to_string(staged.join(STAMP)).ok()
}

fn bind(wasm: &Path, staged: &Path, release: bool) -> Result<(), String> {
    let _ = fs::remove_dir_all(staged);
    let mut bindgen = Bindgen::new();
    bindgen
        .input_path(wasm)
        .out_name(OUTPUT_NAME)
        .typescript(false)
        .debug(!release)
        .keep_debug(false)
        .remove_name_section(release)
        .remove_producers_section(release);
    bindgen
        .web(true)
        .map_err(|e| format!("wasm-bindgen: {e:#}"))?;
    bindgen
        .generate(staged)
        .map_err(|e| format!("wasm-bindgen on {}: {e:#}", wasm.display()))
}

/// Shrinks a release bundle with wasm-opt: the one named by `WASM_OPT`, which must be the
/// pinned version, or else one on PATH if it is that version. Optional: without it the
/// bundle works, only larger, and the build says so.
fn optimize(wasm: &Path) -> Result<(), String> {
    let required = env::var_os("WASM_OPT");
    let program = required.clone().unwrap_or_else(|| "wasm-opt".into());
    let version = Command::new(&program)
        .arg("--version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string());
    let refusal = match &version {
        None => format!("{} was not found", program.to_string_lossy()),
        Some(version) if !version.contains(&format!("version {WASM_OPT_VERSION}")) => format!(
            "{version:?} is not version {WASM_OPT_VERSION} (others have produced bundles \
             that fail to hydrate)"
        ),
        Some(_) => String::new(),
    };
    if !refusal.is_empty() {
        if required.is_some() {
            return Err(format!("WASM_OPT: {refusal}"));
        }
        println!(
            "    wasm-opt: skipped, {refusal}; the bundle is not size-optimised \
             (npm install --global binaryen@{WASM_OPT_VERSION}.0.0 adds it)"
        );
        return Ok(());
    }
    timed("wasm-opt -Oz", || {
        let status = Command::new(&program)
            .arg("-Oz")
            .args(WASM_FEATURES.map(|feature| format!("--enable-{feature}")))
            .arg(wasm)
            .arg("-o")
            .arg(wasm)
            .status()
            .map_err(|e| format!("starting wasm-opt: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("wasm-opt failed on {}", wasm.display()))
        }
    })
}

/// Writes the site next to the old one and swaps it in: `pkg` with fingerprinted names,
/// `hash.txt` naming them, and `public/` copied as it is.
fn assemble(root: &Path, staged: &Path, site: &Path) -> Result<(), String> {
    let next = site.join("pkg.next");
    let _ = fs::remove_dir_all(&next);
    create_dir(&next)?;
    let js = install(&staged.join(format!("{OUTPUT_NAME}.js")), &next, "js")?;
    let wasm = install(
        &staged.join(format!("{OUTPUT_NAME}_bg.wasm")),
        &next,
        "wasm",
    )?;
    let style = root.join("style/main.css");
    let css = install(&style, &next, "css")?;
    // Pages written outside Leptos (a failed sign-in) link the plain name.
    fs::copy(&style, next.join(format!("{OUTPUT_NAME}.css")))
        .map_err(|e| format!("{}: {e}", style.display()))?;
    let snippets = staged.join("snippets");
    if snippets.is_dir() {
        copy_tree(&snippets, &next.join("snippets"))?;
    }
    copy_tree(&root.join("public"), site)?;
    let pkg = site.join("pkg");
    let _ = fs::remove_dir_all(&pkg);
    fs::rename(&next, &pkg).map_err(|e| format!("{}: {e}", pkg.display()))?;
    write(
        &site.join("hash.txt"),
        format!("js: {js}\nwasm: {wasm}\ncss: {css}\n"),
    )
}

/// Copies `file` into `pkg` as `portico.<fingerprint>.<extension>`; returns the fingerprint.
fn install(file: &Path, pkg: &Path, extension: &str) -> Result<String, String> {
    let bytes = fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let hash = fingerprint(&bytes);
    write(
        &pkg.join(format!("{OUTPUT_NAME}.{hash}.{extension}")),
        &bytes,
    )?;
    Ok(hash)
}

/// 64 bits of SHA-256 in hex: enough to tell builds apart in a URL.
fn fingerprint(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    create_dir(to)?;
    let entries = fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let (source, dest) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_tree(&source, &dest)?;
        } else {
            fs::copy(&source, &dest).map_err(|e| format!("{}: {e}", source.display()))?;
        }
    }
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

fn write(file: &Path, contents: impl AsRef<[u8]>) -> Result<(), String> {
    fs::write(file, contents).map_err(|e: io::Error| format!("{}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_changes_with_the_content_and_only_with_it() {
        assert_eq!(fingerprint(b"body{}"), fingerprint(b"body{}"));
        assert_ne!(fingerprint(b"body{}"), fingerprint(b"body{ }"));
        assert_eq!(fingerprint(b"").len(), 16);
    }
}
