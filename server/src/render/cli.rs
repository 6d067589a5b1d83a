//! `portico render`: an Application spec → its delivery files on disk, or a dry run
//! (`--check`). Needs no database and of the configuration only its `render:` block
//! (when `PORTICO_CONFIG` or `./portico.yaml` has one), so it runs in CI and in
//! pre-commit hooks with the same registry, images and clusters as the portal.
//!
//! Problems go to stderr, one a line: spec errors as `path: message`, policy violations as
//! `file: Kind/name: policy: message`. Exit 0 when the spec is good, 1 otherwise.

use render::{RenderError, RenderOptions, Rendered, Violation};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug, Clone)]
pub struct RenderArgs {
    /// The Application spec (YAML or JSON); `-` reads standard input.
    #[arg(value_name = "APP.yaml")]
    pub spec: PathBuf,
    /// Write the rendered tree into this directory (created if missing; must be empty
    /// unless --force).
    #[arg(long, value_name = "DIR", required_unless_present = "check")]
    pub out: Option<PathBuf>,
    /// Render only this environment's overlay, Argo CD application and tfvars.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Validate the spec and evaluate the policies without writing anything.
    #[arg(long, conflicts_with_all = ["out", "force"])]
    pub check: bool,
    /// Write into a non-empty directory, replacing files of the same name.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Runs the command; the exit code is 0 on success, 1 on any problem.
pub fn run(args: &RenderArgs) -> ExitCode {
    let result = run_with(args, &mut io::stdout().lock(), &mut io::stderr().lock());
    if result {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// [`run`] with its output streams given; `true` when the command succeeded.
pub fn run_with(args: &RenderArgs, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let yaml = match read_spec(&args.spec) {
        Ok(yaml) => yaml,
        Err(error) => {
            let _ = writeln!(err, "{}: cannot read: {error}", args.spec.display());
            return false;
        }
    };
    let platform = match crate::config::render_options(&std::env::vars().collect()) {
        Ok(platform) => platform,
        Err(error) => {
            let _ = writeln!(err, "{error}");
            return false;
        }
    };
    let options = RenderOptions {
        environment: args.env.clone(),
        ..platform
    };
    if args.check {
        return check(&yaml, &options, out, err);
    }
    let Some(dir) = &args.out else {
        let _ = writeln!(err, "error: give --out DIR to write the files, or --check");
        return false;
    };
    let spec = match render::parse_spec(&yaml) {
        Ok(spec) => spec,
        Err(errors) => {
            for error in errors {
                let _ = writeln!(err, "{error}");
            }
            return false;
        }
    };
    let rendered = match render::render(&spec, &options) {
        Ok(rendered) => rendered,
        Err(RenderError::PolicyViolations(violations)) => {
            for violation in &violations {
                let _ = writeln!(err, "{}", violation_line(violation));
            }
            return false;
        }
        Err(error) => {
            let _ = writeln!(err, "error: {error}");
            return false;
        }
    };
    match write_tree(dir, &rendered, args.force) {
        Ok(()) => {
            let _ = writeln!(
                out,
                "wrote {} files to {}",
                rendered.files.len(),
                dir.display()
            );
            true
        }
        Err(error) => {
            let _ = writeln!(err, "{}: {error}", dir.display());
            false
        }
    }
}

fn read_spec(path: &Path) -> io::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}

fn check(yaml: &str, options: &RenderOptions, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let report = render::check(yaml, options);
    for error in &report.spec_errors {
        let _ = writeln!(err, "{error}");
    }
    for violation in &report.violations {
        let _ = writeln!(err, "{}", violation_line(violation));
    }
    for problem in &report.crd_problems {
        let _ = writeln!(err, "{problem}");
    }
    for problem in &report.overlay_problems {
        let _ = writeln!(err, "{problem}");
    }
    if let Some(error) = &report.render_error {
        let _ = writeln!(err, "error: {error}");
    }
    if report.passed() {
        let _ = writeln!(
            out,
            "ok: {} files; {} manifests pass the policies; custom resources pass their CRD schemas",
            report.files, report.manifests_checked
        );
    }
    report.passed()
}

/// `file: Kind/name: policy: message`
pub fn violation_line(v: &Violation) -> String {
    format!("{}: {}: {}: {}", v.file, v.resource, v.policy, v.message)
}

/// A renderer path as a relative path of plain components, or why not.
pub fn safe_relative_path(path: &str) -> Result<PathBuf, String> {
    let candidate = Path::new(path);
    let plain = !path.contains('\\')
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && candidate
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if plain {
        Ok(candidate.to_path_buf())
    } else {
        Err(format!(
            "refusing to write {path:?}: not a plain relative path"
        ))
    }
}

/// Writes every file under `dir`, never outside it: paths must be plain relative paths,
/// and no directory on the way may lead elsewhere (symbolic links are refused).
pub fn write_tree(dir: &Path, rendered: &Rendered, force: bool) -> Result<(), String> {
    // Check every path before writing anything.
    let paths = rendered
        .files
        .iter()
        .map(|f| safe_relative_path(&f.path))
        .collect::<Result<Vec<_>, _>>()?;
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if !meta.is_dir() => return Err("exists and is not a directory".into()),
        Ok(_) => {
            let mut entries = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
            if entries.next().is_some() && !force {
                return Err(
                    "the directory is not empty; choose an empty one or pass --force".into(),
                );
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create: {e}"))?;
        }
        Err(e) => return Err(e.to_string()),
    }
    let root = dir.canonicalize().map_err(|e| e.to_string())?;
    for (relative, file) in paths.iter().zip(&rendered.files) {
        let target = root.join(relative);
        // Create the folders one by one, refusing any that is a link (it could lead out).
        let mut folder = root.clone();
        for part in relative.parent().into_iter().flat_map(Path::components) {
            folder.push(part);
            match std::fs::symlink_metadata(&folder) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    return Err(format!(
                        "refusing to write {}: {} is a link or a file, and could lead outside the directory",
                        file.path,
                        folder.display()
                    ));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::create_dir(&folder)
                    .map_err(|e| format!("cannot create {}: {e}", folder.display()))?,
                Err(e) => return Err(format!("{}: {e}", folder.display())),
            }
        }
        if let Ok(meta) = std::fs::symlink_metadata(&target)
            && !meta.is_file()
        {
            return Err(format!(
                "refusing to write {}: it exists and is not a regular file",
                file.path
            ));
        }
        std::fs::write(&target, &file.contents)
            .map_err(|e| format!("cannot write {}: {e}", file.path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_relative_path;

    #[test]
    fn only_plain_relative_paths_are_written() {
        assert!(safe_relative_path("deploy/k8s/base/deployment.yaml").is_ok());
        assert!(safe_relative_path(".github/workflows/ci.yml").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a\\..\\b",
            ".",
        ] {
            assert!(safe_relative_path(bad).is_err(), "{bad:?} accepted");
        }
    }
}
