//! Golden tests: each spec under `tests/specs/` renders to the tree committed
//! under `tests/golden/<case>/`. After an intended change, regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p render --test golden` and review the diff.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use render::{RenderOptions, parse_spec, render};

const CASES: &[&str] = &["nextjs", "fastapi", "axum", "gin-istio"];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(relative);
            }
        }
    }
    out
}

fn check_case(case: &str, update: bool) -> Vec<String> {
    let yaml = fs::read_to_string(crate_dir().join(format!("tests/specs/{case}.yaml"))).unwrap();
    let spec = parse_spec(&yaml).unwrap_or_else(|e| panic!("{case}: {e:?}"));
    let rendered =
        render(&spec, &RenderOptions::default()).unwrap_or_else(|e| panic!("{case}: {e}"));
    let dir = crate_dir().join("tests/golden").join(case);
    if update {
        let _ = fs::remove_dir_all(&dir);
        for file in &rendered.files {
            let path = dir.join(&file.path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, &file.contents).unwrap();
        }
        return vec![];
    }
    let mut problems = vec![];
    let expected = files_under(&dir);
    let actual: BTreeSet<String> = rendered.files.iter().map(|f| f.path.clone()).collect();
    for missing in expected.difference(&actual) {
        problems.push(format!("{case}: {missing} is no longer rendered"));
    }
    for file in &rendered.files {
        match fs::read_to_string(dir.join(&file.path)) {
            Ok(golden) if golden == file.contents => {}
            Ok(_) => problems.push(format!(
                "{case}: {} differs from the golden file",
                file.path
            )),
            Err(_) => problems.push(format!("{case}: {} is new", file.path)),
        }
    }
    problems
}

#[test]
fn rendered_trees_match_the_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let problems: Vec<String> = CASES
        .iter()
        .flat_map(|case| check_case(case, update))
        .collect();
    assert!(
        problems.is_empty(),
        "{}\n\nIf the change is intended: UPDATE_GOLDEN=1 cargo test -p render --test golden, then review git diff.",
        problems.join("\n")
    );
}
