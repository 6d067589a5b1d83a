use super::*;
use crate::{RenderOptions, parse_spec, render};

fn changes(lines: &[DiffLine]) -> Vec<LineChange> {
    lines.iter().map(|l| l.change).collect()
}

#[test]
fn equal_texts_have_no_diff() {
    assert!(line_diff("a\nb\n", "a\nb\n").is_empty());
    assert!(line_diff("", "").is_empty());
}

#[test]
fn changes_keep_three_lines_of_context() {
    let d = line_diff("1\n2\n3\n4\n5\n6\n7\n8\nx\n", "1\n2\n3\n4\n5\n6\n7\n8\ny\n");
    use LineChange::*;
    assert_eq!(changes(&d), [Elided, Same, Same, Same, Removed, Added]);
    assert_eq!(d[1].text, "6");
    assert_eq!(d[4].text, "x");
    assert_eq!(d[5].text, "y");
}

#[test]
fn one_elided_line_stands_for_each_unchanged_run() {
    let a = "a\n1\n2\n3\n4\n5\n6\n7\n8\nz\n";
    let b = "b\n1\n2\n3\n4\n5\n6\n7\n8\ny\n";
    use LineChange::*;
    assert_eq!(
        changes(&line_diff(a, b)),
        [
            Removed, Added, Same, Same, Same, Elided, Same, Same, Same, Removed, Added
        ]
    );
}

#[test]
fn environments_are_paired_by_what_their_files_are() {
    let spec = parse_spec(include_str!("../../tests/specs/fastapi.yaml")).unwrap();
    let rendered = render(&spec, &RenderOptions::default()).unwrap();
    let diffs = environment_diffs(&rendered.files, "staging", "production");
    assert!(!diffs.is_empty());
    for diff in &diffs {
        let (from, to) = (diff.from.as_deref(), diff.to.as_deref());
        assert!(
            from.is_none_or(|p| p.contains("staging")),
            "{from:?} is not staging's"
        );
        assert!(
            to.is_none_or(|p| p.contains("production")),
            "{to:?} is not production's"
        );
    }
    let argocd = diffs
        .iter()
        .find(|d| d.from.as_deref() == Some("deploy/argocd/staging.yaml"))
        .expect("Argo CD applications are paired");
    assert_eq!(argocd.to.as_deref(), Some("deploy/argocd/production.yaml"));
    assert!(argocd.lines.iter().any(|l| l.change == LineChange::Added));
    assert!(environment_diffs(&rendered.files, "", "production").is_empty());
    let same = environment_diffs(&rendered.files, "staging", "staging");
    assert!(same.iter().all(|d| d.lines.is_empty()));
}

#[test]
fn a_file_only_one_environment_has_is_diffed_against_nothing() {
    let files = [
        File {
            path: "deploy/k8s/overlays/dev/extra.yaml".into(),
            contents: "a: 1\n".into(),
        },
        File {
            path: "infra/environments/prod.tfvars".into(),
            contents: "x = 1\n".into(),
        },
    ];
    let diffs = environment_diffs(&files, "dev", "prod");
    assert_eq!(diffs.len(), 2);
    assert_eq!(
        diffs[0].from.as_deref(),
        Some("deploy/k8s/overlays/dev/extra.yaml")
    );
    assert_eq!(diffs[0].to, None);
    assert_eq!(changes(&diffs[0].lines), [LineChange::Removed]);
    assert_eq!(diffs[1].from, None);
    assert_eq!(changes(&diffs[1].lines), [LineChange::Added]);
}
