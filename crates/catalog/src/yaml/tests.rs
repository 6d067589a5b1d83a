use super::*;
use serde_json::json;

fn load(text: &str) -> (Vec<Document>, Vec<YamlError>) {
    load_documents(text, &Limits::default())
}

fn values(text: &str) -> Vec<Value> {
    let (docs, errors) = load(text);
    assert_eq!(errors, vec![], "unexpected errors for {text:?}");
    docs.into_iter().map(|d| d.value).collect()
}

fn one(text: &str) -> Value {
    let mut all = values(text);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

#[test]
fn core_schema_scalars() {
    let v = one(
        "a: ~\nb: null\nc: true\nd: False\ne: 42\nf: -7\ng: 0x1f\nh: 0o17\ni: 1.5\nj: .5\nk: 1e3\n\
         l: yes\nm: '42'\nn: \"true\"\no: 1.2.3\np: .inf\nq: 18446744073709551615\nr: 99999999999999999999\ns:\n",
    );
    assert_eq!(
        v,
        json!({
            "a": null, "b": null, "c": true, "d": false, "e": 42, "f": -7, "g": 31, "h": 15,
            "i": 1.5, "j": 0.5, "k": 1000.0, "l": "yes", "m": "42", "n": "true", "o": "1.2.3",
            "p": ".inf", "q": 18446744073709551615u64, "r": 1e20, "s": null
        })
    );
}

#[test]
fn float_syntax() {
    for yes in ["1.", ".5", "+1.5", "-2e-3", "3E+4", "7"] {
        assert!(is_float(yes), "{yes:?}");
    }
    for no in [".", "e5", "1e", "1.2.3", "--1", "1_000", ""] {
        assert!(!is_float(no), "{no:?}");
    }
}

#[test]
fn core_tags() {
    let v = one("a: !!str 42\nb: !!int \"7\"\nc: !!float 1\nd: !custom hello\ne: !!binary aGk=\n");
    assert_eq!(
        v,
        json!({"a": "42", "b": 7, "c": 1, "d": "hello", "e": "aGk="})
    );
    let (docs, errors) = load("a: !!int nope\n");
    assert!(docs.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].message.contains("\"nope\" is not a valid !!int"),
        "{errors:?}"
    );
}

#[test]
fn block_scalars_and_nesting() {
    let v = one(
        "spec:\n  definition: |\n    openapi: 3.0.0\n    info: {}\n  list:\n    - a\n    - {b: [1, 2]}\n",
    );
    assert_eq!(
        v,
        json!({"spec": {"definition": "openapi: 3.0.0\ninfo: {}\n", "list": ["a", {"b": [1, 2]}]}})
    );
}

#[test]
fn json_is_yaml() {
    let v = one(r#"{"apiVersion": "v1", "n": [1, 2.5, null, true], "s": "a\"b"}"#);
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "n": [1, 2.5, null, true], "s": "a\"b"})
    );
}

#[test]
fn positions_are_where_content_starts() {
    let text = "# comment\n---\nkind: A\n---\n\n  # indented comment\nkind: B\n--- {kind: C}\n";
    let (docs, errors) = load(text);
    assert_eq!(errors, vec![]);
    let got: Vec<_> = docs.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(got, [(3, 1), (7, 1), (8, 5)]);
}

#[test]
fn empty_documents_are_skipped() {
    assert_eq!(values(""), Vec::<Value>::new());
    assert_eq!(values("# only a comment\n"), Vec::<Value>::new());
    assert_eq!(
        values("---\n---\na: 1\n---\n...\n---\n"),
        vec![json!({"a": 1})]
    );
}

#[test]
fn anchors_and_aliases_copy_values() {
    let v = one("base: &b {x: 1}\ncopy: *b\nname: &n hi\nagain: *n\n");
    assert_eq!(
        v,
        json!({"base": {"x": 1}, "copy": {"x": 1}, "name": "hi", "again": "hi"})
    );
}

#[test]
fn merge_keys_are_plain_keys_in_yaml_1_2() {
    let v = one("a: &a {x: 1}\nb:\n  <<: *a\n");
    assert_eq!(v, json!({"a": {"x": 1}, "b": {"<<": {"x": 1}}}));
}

#[test]
fn duplicate_keys_are_errors() {
    let (docs, errors) = load("a: 1\nb: 2\na: 3\n---\nok: 1\n");
    assert_eq!(docs.len(), 1, "the good document survives");
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].line, errors[0].column), (3, 1));
    assert!(errors[0].message.contains("duplicate key \"a\""));
}

#[test]
fn collection_keys_are_errors() {
    let (docs, errors) = load("? [a, b]\n: 1\n");
    assert!(docs.is_empty());
    assert!(errors[0].message.contains("must be a string"), "{errors:?}");
}

#[test]
fn scalar_keys_become_strings() {
    assert_eq!(
        one("1: a\ntrue: b\n~: c\n"),
        json!({"1": "a", "true": "b", "": "c"})
    );
}

#[test]
fn syntax_errors_have_positions_and_later_documents_survive() {
    let text = "a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n";
    let (docs, errors) = load(text);
    let got: Vec<_> = docs.iter().map(|d| (d.value.clone(), d.line)).collect();
    assert_eq!(got, [(json!({"a": 1}), 1), (json!({"d": 4}), 6)]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, YamlErrorKind::Syntax);
    assert!(errors[0].line >= 3 && errors[0].line <= 5, "{errors:?}");
    assert!(errors[0].message.starts_with("invalid YAML: "));
}

#[test]
fn error_positions_are_absolute_after_recovery() {
    let text = "a: [\n---\nb: 1\nb: 2\n";
    let (docs, errors) = load(text);
    assert!(docs.is_empty());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!((errors[1].line, errors[1].column), (4, 1));
}

#[test]
fn tabs_and_bad_indentation_do_not_panic() {
    for text in [
        "a:\n\t- b\n",
        "a: b: c\n",
        "- a\nb: c\n",
        "\"unterminated\n",
        "a: *missing\n",
        "[",
        "}",
        "key: @bad",
    ] {
        let (_docs, errors) = load(text);
        assert!(!errors.is_empty(), "{text:?} should fail");
        assert!(
            errors.iter().all(|e| e.line >= 1 && e.column >= 1),
            "{errors:?}"
        );
    }
}

#[test]
fn depth_limit() {
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    let (docs, errors) = load_documents("a: {b: {c: 1}}\n", &limits);
    assert_eq!((docs.len(), errors.len()), (1, 0));
    let (docs, errors) = load_documents("a: {b: {c: [1]}}\n---\nok: 1\n", &limits);
    assert_eq!(docs.len(), 1);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, YamlErrorKind::Limit);
    assert_eq!((errors[0].line, errors[0].column), (1, 12));
    assert!(errors[0].message.contains("more than 3 levels"));
}

#[test]
fn depth_limit_counts_aliased_collections() {
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    let (_, errors) = load_documents("x: &x {b: {c: 1}}\ny: {z: *x}\n", &limits);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, YamlErrorKind::Limit);
}

#[test]
fn very_deep_input_is_refused_without_overflow() {
    // Block nesting: our depth limit stops it.
    let text = format!("{}1\n", "- ".repeat(10_000));
    let (docs, errors) = load(&text);
    assert!(docs.is_empty());
    assert_eq!(errors[0].kind, YamlErrorKind::Limit);
    assert!(errors[0].message.contains("more than 64 levels"));
    // Flow nesting: the scanner refuses it first (its own limit).
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (docs, errors) = load(&text);
    assert!(docs.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
}

const BILLION_LAUGHS: &str = "\
a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
";

#[test]
fn nested_anchors_count_their_copies() {
    // Every level is anchored, so each keeps a copy of everything below it:
    // 62 levels around a 2,000-item list would keep ~124,000 nodes.
    let items = vec!["x"; 2_000].join(", ");
    let open: String = (0..62).map(|i| format!("&a{i} [")).collect();
    let text = format!("k: {open}{items}{}\n", "]".repeat(62));
    let (_docs, errors) = load(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, YamlErrorKind::Limit);
}

#[test]
fn billion_laughs_is_refused() {
    let (docs, errors) = load(BILLION_LAUGHS);
    assert!(docs.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, YamlErrorKind::Limit);
    assert!(
        errors[0].message.contains("more than 100000 nodes"),
        "{errors:?}"
    );
    // It stops at e (9^4 lol copied in, plus the copies kept for anchors a-e).
    assert_eq!(errors[0].line, 5);
}

#[test]
fn node_limit_is_exact() {
    // 1 mapping + 2 keys + 1 list + 3 items = 7 nodes; the anchor keeps a
    // copy of 4 and the alias copies 4 more: 15.
    let text = "k: &l [1, 2, 3]\nm: *l\n";
    let at = |max_nodes| {
        let limits = Limits {
            max_nodes,
            ..Limits::default()
        };
        load_documents(text, &limits).1.len()
    };
    assert_eq!(at(15), 0);
    assert_eq!(at(14), 1);
}

#[test]
fn document_limit() {
    let limits = Limits {
        max_documents: 2,
        ..Limits::default()
    };
    let (docs, errors) = load_documents("a: 1\n---\n---\nb: 2\n---\nc: 3\n---\nd: 4\n", &limits);
    assert_eq!(docs.len(), 2, "empty documents do not count");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, YamlErrorKind::Limit);
    assert_eq!(errors[0].line, 6);
}

#[test]
fn byte_order_mark_is_accepted() {
    assert_eq!(one("\u{feff}a: 1\n"), json!({"a": 1}));
}

#[test]
fn next_document_marker_finds_only_real_markers() {
    let text = "a\n---x\n --- \n---\n--- # c\n";
    let at = |offset, line| Segment { offset, line };
    assert_eq!(next_document_marker(text, at(0, 1), 0), Some(at(13, 4)));
    assert_eq!(next_document_marker(text, at(0, 1), 4), Some(at(13, 4)));
    assert_eq!(next_document_marker(text, at(13, 4), 4), Some(at(17, 5)));
    assert_eq!(next_document_marker(text, at(17, 5), 5), None);
}

/// One document of the 63 KB file in issue 8 (`bench/hostile-yaml.sh` writes
/// the same): 91,363 nodes counting the copies anchors keep, within the
/// 100,000-node limit of one document; 91,340 of them are copies.
fn alias_document(number: usize) -> String {
    format!(
        "---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {{name: lol-{number}}}\n\
         spec:\n  owner: team-a\n\
         \x20 a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n\
         \x20 b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
         \x20 c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
         \x20 d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
         \x20 e: [*d, *d, *d, *d, *d, *d]\n"
    )
}

#[test]
fn alias_copies_are_limited_for_the_whole_file() {
    let (docs, errors) = load(&alias_document(1));
    assert_eq!((docs.len(), errors), (1, vec![]), "one is within limits");
    let text: String = (1..=200).map(alias_document).collect();
    assert_eq!(text.len(), 65_092);
    let (docs, errors) = load(&text);
    assert_eq!(docs.len(), 1, "reading stops in the second document");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, YamlErrorKind::Limit);
    assert_eq!(
        errors[0].message,
        "file has more than 100000 nodes copied by anchors and aliases (all its documents together); \
         reading stopped here. Remove nested aliases or split the file into several files"
    );
    // The second document's sixth `*c` takes the file past 100,000 copies.
    assert_eq!((errors[0].line, errors[0].column), (21, 30));
}

#[test]
fn alias_limit_is_exact() {
    // The anchor keeps a copy of 4 nodes and the alias copies 4 more: 8 per
    // document, 16 for the file.
    let text = "k: &l [1, 2, 3]\nm: *l\n---\nk: &l [1, 2, 3]\nm: *l\n";
    let at = |max_alias_nodes| {
        let limits = Limits {
            max_alias_nodes,
            ..Limits::default()
        };
        load_documents(text, &limits).1.len()
    };
    assert_eq!(at(16), 0);
    assert_eq!(at(15), 1);
}

/// `---\n]\n` repeated: every document is broken (issue 8).
fn broken_documents(bytes: usize) -> String {
    "---\n]\n".repeat(bytes / 6)
}

#[test]
fn errors_are_capped_and_reading_stops() {
    let text = broken_documents(480 * 1024);
    let (docs, errors) = load(&text);
    assert!(docs.is_empty());
    assert_eq!(
        errors.len(),
        101,
        "100 errors and the one reading stopped at"
    );
    let last = &errors[100];
    assert_eq!((last.line, last.column), (202, 1), "{last:?}");
}

#[test]
fn recovery_walks_the_text_once() {
    let text = broken_documents(480 * 1024);
    let limits = Limits {
        max_errors: usize::MAX,
        max_documents: usize::MAX,
        ..Limits::default()
    };
    let loader = read(&text, &limits);
    assert_eq!(loader.errors.len(), 81_920);
    // Searching from the top of the text after each error walked 20 GB here.
    assert!(
        loader.recovery_scanned <= text.len(),
        "{} bytes walked for {} bytes of text",
        loader.recovery_scanned,
        text.len()
    );
    let wrong = loader
        .errors
        .iter()
        .enumerate()
        .find(|(i, e)| (e.line, e.column) != (2 * i + 2, 1));
    assert_eq!(wrong, None, "positions stay right after every recovery");
}

#[test]
fn document_limit_counts_failed_and_broken_documents() {
    let limits = Limits {
        max_documents: 2,
        ..Limits::default()
    };
    // A duplicate key fails the first document, `]` breaks the second.
    let text = "a: 1\na: 1\n---\n]\n---\nb: 2\n";
    let (docs, errors) = load_documents(text, &limits);
    assert!(docs.is_empty(), "{docs:?}");
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[2].kind, YamlErrorKind::Limit);
    assert_eq!(errors[2].line, 6);
    assert!(errors[2].message.contains("more than 2 documents"));
}

#[test]
fn error_limit_stops_reading() {
    let limits = Limits {
        max_errors: 2,
        ..Limits::default()
    };
    let text = format!("{}---\nok: 1\n", broken_documents(4 * 6));
    let (docs, errors) = load_documents(&text, &limits);
    assert!(docs.is_empty(), "nothing after the third error is read");
    let lines: Vec<_> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 4, 6]);
}

#[test]
fn anchors_do_not_outlive_their_document() {
    // A document with many anchors, then one with one anchor: the map the
    // second starts from must not be the first's (clearing it costs its
    // capacity, for every later document).
    let many: String = (0..1_000).map(|i| format!("- &a{i} x\n")).collect();
    let text = format!("{many}--- &b ~\n");
    let limits = Limits::default();
    let loader = read(&text, &limits);
    assert!(
        loader.anchors.capacity() < 100,
        "{}",
        loader.anchors.capacity()
    );
}
