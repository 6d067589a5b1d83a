use super::*;

const GOOD: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: petstore
spec:
  type: service
  lifecycle: production
  owner: team-a
";

fn parse(text: &str) -> Parsed {
    parse_documents("catalog-info.yaml", text, &Limits::default())
}

fn messages(parsed: &Parsed) -> Vec<String> {
    parsed.errors.iter().map(ToString::to_string).collect()
}

#[test]
fn a_valid_file_gives_entities_with_positions() {
    let text = format!("# header\n{GOOD}---\n{}", GOOD.replace("petstore", "shop"));
    let parsed = parse(&text);
    assert_eq!(messages(&parsed), Vec::<String>::new());
    let got: Vec<_> = parsed
        .entities
        .iter()
        .map(|p| (p.entity.metadata.name.as_str(), p.line, p.column))
        .collect();
    assert_eq!(got, [("petstore", 2, 1), ("shop", 11, 1)]);
}

#[test]
fn validation_errors_read_source_line_column_entity_field() {
    let bad = GOOD.replace("name: petstore", "name: foo bar");
    let text = format!("{GOOD}---\n{bad}");
    let parsed = parse(&text);
    assert_eq!(parsed.entities.len(), 1, "the valid sibling is kept");
    assert_eq!(
        messages(&parsed),
        [
            "catalog-info.yaml:10:1: entity component:default/foo bar: metadata.name \"foo bar\" must be 1-63 characters of [a-zA-Z0-9] separated by [-_.]"
        ]
    );
    let error = &parsed.errors[0];
    assert_eq!(error.kind, ErrorKind::Invalid);
    assert_eq!(error.path.as_deref(), Some("metadata.name"));
}

#[test]
fn every_error_of_a_document_is_reported() {
    let bad = GOOD
        .replace("name: petstore", "name: petstore\n  tags: [Java]")
        .replace("  owner: team-a\n", "");
    let parsed = parse(&bad);
    let paths: Vec<_> = parsed
        .errors
        .iter()
        .map(|e| e.path.clone().unwrap())
        .collect();
    assert_eq!(paths, ["metadata.tags[0]", "spec.owner"]);
}

#[test]
fn syntax_errors_have_line_and_column() {
    let text = format!(
        "{GOOD}---\nkind: [unclosed\n---\n{}",
        GOOD.replace("petstore", "b")
    );
    let parsed = parse(&text);
    assert_eq!(parsed.entities.len(), 2, "{:?}", messages(&parsed));
    assert_eq!(parsed.errors.len(), 1);
    let error = &parsed.errors[0];
    assert_eq!(error.kind, ErrorKind::Syntax);
    assert!(error.line >= 10, "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("catalog-info.yaml:{}:", error.line))
    );
}

#[test]
fn a_non_mapping_document_is_an_invalid_entity() {
    let parsed = parse("- just\n- a list\n");
    assert_eq!(parsed.entities.len(), 0);
    assert_eq!(
        messages(&parsed),
        [
            "catalog-info.yaml:1:1: an entity must be a mapping with apiVersion, kind, metadata and spec, found a list"
        ]
    );
}

#[test]
fn json_input() {
    let json = r#"{"apiVersion": "backstage.io/v1alpha1", "kind": "System",
        "metadata": {"name": "pets"}, "spec": {"owner": "team-a"}}"#;
    let parsed = parse(json);
    assert_eq!(messages(&parsed), Vec::<String>::new());
    assert_eq!(parsed.entities[0].entity.kind, "System");
}

#[test]
fn empty_documents_and_empty_files() {
    assert_eq!(parse(""), Parsed::default());
    assert_eq!(parse("---\n---\n# nothing\n"), Parsed::default());
    let parsed = parse(&format!("---\n---\n{GOOD}---\n"));
    assert_eq!(parsed.entities.len(), 1);
    assert_eq!(parsed.entities[0].line, 3);
}

#[test]
fn duplicate_entities_in_one_file() {
    let other_case = GOOD.replace("name: petstore", "name: PetStore");
    let parsed = parse(&format!("{GOOD}---\n{other_case}"));
    assert_eq!(parsed.entities.len(), 1);
    assert_eq!(parsed.errors[0].kind, ErrorKind::Duplicate);
    assert_eq!(
        parsed.errors[0].to_string(),
        "catalog-info.yaml:10:1: entity component:default/PetStore: is defined twice in this file (first at line 1, column 1); remove one of them"
    );
}

#[test]
fn size_limit() {
    let limits = Limits {
        max_bytes: 20,
        ..Limits::default()
    };
    let parsed = parse_documents("big.yaml", GOOD, &limits);
    assert!(parsed.entities.is_empty());
    assert_eq!(parsed.errors[0].kind, ErrorKind::Limit);
    assert_eq!(
        parsed.errors[0].to_string(),
        format!(
            "big.yaml: file is {} bytes, more than the limit of 20 bytes; split it into several files",
            GOOD.len()
        )
    );
    let parsed = parse_bytes("big.yaml", GOOD.as_bytes(), &limits);
    assert_eq!(parsed.errors[0].kind, ErrorKind::Limit);
}

#[test]
fn document_limit_keeps_the_first_documents() {
    let limits = Limits {
        max_documents: 1,
        ..Limits::default()
    };
    let text = format!("{GOOD}---\n{}", GOOD.replace("petstore", "b"));
    let parsed = parse_documents("x.yaml", &text, &limits);
    assert_eq!(parsed.entities.len(), 1);
    assert_eq!(parsed.errors[0].kind, ErrorKind::Limit);
    assert!(parsed.errors[0].message.contains("more than 1 documents"));
}

#[test]
fn billion_laughs_file() {
    let text = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: lol
  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
  i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
spec: {type: service, lifecycle: production, owner: team-a, x: *i}
";
    let parsed = parse(text);
    assert!(parsed.entities.is_empty());
    assert_eq!(parsed.errors.len(), 1, "{:?}", messages(&parsed));
    assert_eq!(parsed.errors[0].kind, ErrorKind::Limit);
    assert_eq!(parsed.errors[0].line, 9, "stops at e: 10^5 nodes");
}

#[test]
fn invalid_utf8_reports_the_byte_offset() {
    let mut bytes = GOOD.as_bytes().to_vec();
    let offset = GOOD.find("petstore").unwrap() + 3;
    bytes[offset] = 0xff;
    let parsed = parse_bytes("x.yaml", &bytes, &Limits::default());
    assert!(parsed.entities.is_empty());
    assert_eq!(parsed.errors[0].kind, ErrorKind::Encoding);
    assert_eq!(
        parsed.errors[0].to_string(),
        format!(
            "x.yaml:4:12: invalid UTF-8 at byte offset {offset}; catalog files must be saved as UTF-8"
        )
    );
}

#[test]
fn valid_utf8_bytes_parse() {
    let text = GOOD.replace("name: petstore", "name: petstore\n  title: Café ☕");
    let parsed = parse_bytes("x.yaml", text.as_bytes(), &Limits::default());
    assert_eq!(messages(&parsed), Vec::<String>::new());
    assert_eq!(parsed.entities[0].entity.title_or_name(), "Café ☕");
}

#[test]
fn errors_are_sorted_by_position() {
    let bad = GOOD.replace("kind: Component", "kind: Widget");
    let text = format!("{bad}---\na: [\n");
    let parsed = parse(&text);
    let lines: Vec<_> = parsed.errors.iter().map(|e| e.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    assert_eq!(parsed.errors.len(), 2, "{:?}", messages(&parsed));
}

#[test]
fn line_column_counts_characters() {
    assert_eq!(line_column(""), (1, 1));
    assert_eq!(line_column("ab"), (1, 3));
    assert_eq!(line_column("a\né"), (2, 2));
}

#[test]
fn a_file_broken_all_through_reports_where_reading_stopped() {
    // Issue 8: `---\n]\n` to 480 KB gave 81,920 errors after 25 s.
    let text = "---\n]\n".repeat(480 * 1024 / 6);
    let parsed = parse(&text);
    assert!(parsed.entities.is_empty());
    assert_eq!(parsed.errors.len(), 101);
    assert!(
        parsed.errors[..100]
            .iter()
            .all(|e| e.kind == ErrorKind::Syntax)
    );
    assert_eq!(parsed.errors[100].kind, ErrorKind::Limit);
    assert_eq!(
        parsed.errors[100].to_string(),
        "catalog-info.yaml:202:1: stopped after 100 errors, the limit for one file; fix the errors above and check the file again"
    );
}

#[test]
fn error_limit_counts_entity_errors_too() {
    let limits = Limits {
        max_errors: 2,
        ..Limits::default()
    };
    let no_owner = GOOD.replace("  owner: team-a\n", "");
    let text = ["a", "b", "c"]
        .map(|name| no_owner.replace("petstore", name))
        .join("---\n");
    let parsed = parse_documents("x.yaml", &text, &limits);
    assert_eq!(
        messages(&parsed),
        [
            "x.yaml:1:1: entity component:default/a: spec.owner is required for kind Component; add it as a non-empty string",
            "x.yaml:9:1: entity component:default/b: spec.owner is required for kind Component; add it as a non-empty string",
            "x.yaml:17:1: stopped after 2 errors, the limit for one file; fix the errors above and check the file again",
        ]
    );
}
