//! Writing a spec value into a generated file, one function per target
//! format. Each returns text that the format's own parser reads back as
//! exactly the value and never as structure (a key, a step, an instruction,
//! an attribute or an expression). The templates use them as filters, so
//! every interpolation of spec text names its format: `{{ c.owner|yaml }}`.
//!
//! The parser already refuses what no field should hold (control
//! characters in single-line fields, references outside their alphabet);
//! escaping here anyway keeps a `Spec` built in code, or a rule loosened
//! later, from reaching a file raw.

use std::fmt::Write;

/// A YAML scalar that reads back as the string `text`: plain when that is
/// unambiguous, otherwise double-quoted with escapes.
///
/// Plain needs a leading letter or `/` (so never a number, date or
/// indicator), only letters, digits and `-_./`, and no word that a YAML 1.1
/// reader — Kubernetes' — takes for a boolean or null (`on`, `no`, `y`, …).
pub fn yaml(text: &str) -> String {
    if is_plain_yaml(text) {
        text.to_string()
    } else {
        yaml_double_quoted(text)
    }
}

fn is_plain_yaml(text: &str) -> bool {
    const KEYWORDS: &[&str] = &["true", "false", "yes", "no", "on", "off", "y", "n", "null"];
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !KEYWORDS.contains(&text.to_ascii_lowercase().as_str())
}

/// A double-quoted YAML scalar. Besides `"` and `\`, every character a YAML
/// reader would refuse raw (C0/C1 controls, DEL, U+FFFE/U+FFFF) or read as
/// a line break (NEL, LS, PS) or a byte order mark is written as `\uXXXX`,
/// so the value survives exactly and on one line.
fn yaml_double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A YAML scalar inside a GitHub Actions workflow. GitHub evaluates every
/// `${{ … }}` in a workflow value before the shell sees it, so a literal
/// `${{` is written as the expression `${{ '${{' }}`, which evaluates to it.
pub fn workflow(text: &str) -> String {
    yaml(&text.replace("${{", "${{ '${{' }}"))
}

/// A string literal in a GitHub Actions expression: single-quoted, with
/// quotes doubled. (The expression itself is then written with [`yaml`].)
pub fn expression_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A quoted HCL string (Terraform) that reads back as `text`: quotes,
/// backslashes and control characters are escaped, and the template
/// sequences `${` and `%{` are doubled (`$${`, `%%{`), HCL's literal forms,
/// so a value can never call a function such as `file()`.
pub fn hcl(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A URL path with every byte outside `A-Z a-z 0-9 - . _ ~ /` percent-encoded.
/// The result is inert in every string it is placed in (JavaScript, Python,
/// a double-quoted shell word, YAML), whatever the path held.
pub fn url_path(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A Dockerfile `RUN`/`CMD` argument in exec (JSON) form running `script`
/// with `/bin/sh -ec`. In JSON form a newline, a trailing `\` or a `<<`
/// heredoc marker is part of the script, never a new instruction; `-e`
/// stops a multi-line script at its first failing line, like CI shells.
pub fn shell_exec(script: &str) -> String {
    format!("[\"/bin/sh\", \"-ec\", {}]", json_string(script))
}

/// A JSON string literal. serde_json escapes `"`, `\` and C0 controls;
/// DEL, C1 controls and the Unicode line/paragraph separators are escaped
/// too, so the Dockerfile line stays readable and one line in any editor.
fn json_string(text: &str) -> String {
    let json = serde_json::to_string(text).expect("strings always serialise");
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
            let _ = write!(out, "\\u{:04X}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_is_plain_only_when_unambiguous() {
        assert_eq!(yaml("team-a"), "team-a");
        assert_eq!(yaml("release/1.0"), "release/1.0");
        assert_eq!(yaml("/healthz"), "/healthz");
        assert_eq!(yaml("1.0"), "\"1.0\"");
        assert_eq!(yaml("On"), "\"On\"");
        assert_eq!(yaml("group:default/a"), "\"group:default/a\"");
        assert_eq!(yaml(""), "\"\"");
        assert_eq!(
            yaml("a\"b\\c\nd\u{7f}\u{85}\u{2028}"),
            r#""a\"b\\c\nd\u007F\u0085\u2028""#
        );
    }

    #[test]
    fn workflow_expressions_become_literals() {
        assert_eq!(
            workflow("echo ${{ secrets.X }}"),
            r#""echo ${{ '${{' }} secrets.X }}""#
        );
    }

    #[test]
    fn expression_strings_double_their_quotes() {
        assert_eq!(expression_string("refs/heads/a'b"), "'refs/heads/a''b'");
    }

    #[test]
    fn hcl_doubles_template_sequences() {
        assert_eq!(hcl("team"), "\"team\"");
        assert_eq!(
            hcl("a\", b = \"${file(\"/etc/passwd\")}%{if x}"),
            r#""a\", b = \"$${file(\"/etc/passwd\")}%%{if x}""#
        );
        assert_eq!(hcl("$$ 100% {}"), "\"$$ 100% {}\"");
    }

    #[test]
    fn url_paths_are_percent_encoded() {
        assert_eq!(url_path("/api/health"), "/api/health");
        assert_eq!(url_path("/a');x('\" $"), "/a%27%29%3Bx%28%27%22%20%24");
    }

    #[test]
    fn shell_exec_keeps_the_script_in_one_json_string() {
        assert_eq!(
            shell_exec("make \\\nUSER root"),
            r#"["/bin/sh", "-ec", "make \\\nUSER root"]"#
        );
        let script = "a\u{7f}\u{85}\u{2028}\"";
        let exec = shell_exec(script);
        assert_eq!(exec, r#"["/bin/sh", "-ec", "a\u007F\u0085\u2028\""]"#);
        let argv: Vec<String> = serde_json::from_str(&exec).unwrap();
        assert_eq!(argv[2], script);
    }
}
