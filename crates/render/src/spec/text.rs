//! What each kind of text field may hold. A rule returns the error message
//! when it refuses a value.
//!
//! Every value is also escaped for each file it reaches (`crate::escape`);
//! these rules refuse what no field means to hold — control characters, a
//! line break in a one-line value — and keep references in the shape the
//! tools that read them expect (Backstage entity refs, Kubernetes label
//! values, URL paths, Terraform module sources). Offending values are
//! quoted with `{:?}`, so a message never carries a raw control character
//! to a terminal.

/// Text that may span lines: descriptions, commands, environment values.
/// Newlines and tabs are ordinary there; other control characters (escape
/// sequences, carriage returns, NUL, DEL, C1) are not.
pub fn multi_line(text: &str) -> Result<(), String> {
    match text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        Some(c) => Err(format!(
            "must not contain control characters other than newlines and tabs (found {})",
            code_point(c)
        )),
        None => Ok(()),
    }
}

/// A command run by a GitHub Actions workflow step. GitHub evaluates every
/// `${{ … }}` in a workflow before the shell runs, so one in a command
/// would read secrets and contexts the author may not mean to expose.
pub fn workflow_command(text: &str) -> Result<(), String> {
    multi_line(text)?;
    if text.contains("${{") {
        return Err("must not contain \"${{\": GitHub Actions would evaluate it as an expression in the workflow; pass values through environment variables instead".into());
    }
    Ok(())
}

/// One line: no control characters at all, and no Unicode line or
/// paragraph separator.
pub fn single_line(text: &str) -> Result<(), String> {
    match text
        .chars()
        .find(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        Some(c) => Err(format!(
            "must be a single line without control characters (found {})",
            code_point(c)
        )),
        None => Ok(()),
    }
}

/// `spec.owner`: a Backstage entity reference, `[<kind>:][<namespace>/]<name>`
/// (kind defaults to Group), each part in catalog-model's format, so the
/// rendered catalog-info.yaml loads into the catalog.
pub fn owner(text: &str) -> Result<(), String> {
    single_line(text)?;
    let valid = catalog::EntityRef::parse(text, Some("group"), catalog::DEFAULT_NAMESPACE)
        .is_ok_and(|r| {
            catalog::is_valid_kind(&r.kind)
                && catalog::is_valid_dns_label(&r.namespace)
                && catalog::is_valid_object_name(&r.name)
        });
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not an entity reference: write [<kind>:][<namespace>/]<name>, e.g. \"group:default/team-a\" (the name 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; the namespace a DNS label)"
        ))
    }
}

/// `spec.system`: the name of a Backstage System, which is also the value
/// of every resource's `app.kubernetes.io/part-of` label, so it must be a
/// valid Kubernetes label value too (the same format, non-empty).
pub fn system(text: &str) -> Result<(), String> {
    single_line(text)?;
    if catalog::is_valid_object_name(text) {
        Ok(())
    } else {
        Err(format!(
            "{text:?} must be a System name: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (it is also the app.kubernetes.io/part-of label)"
        ))
    }
}

/// Health-check paths: an absolute URL path of unreserved characters. They
/// land in shell, JavaScript and Python strings and in probes, where
/// quotes, `$` or spaces would mean something.
pub fn url_path(text: &str) -> Result<(), String> {
    single_line(text)?;
    let valid = text.starts_with('/')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{text:?} must be an absolute URL path of letters, digits and '-', '.', '_', '~', '/'"
        ))
    }
}

/// A Terraform module source: a local path (`./…`) or a source pinned to a
/// ref (`…?ref=<tag>`), in the characters URLs and paths use. Terraform
/// requires a literal here, so a quote or `${` is never meant.
pub fn module_source(text: &str) -> Result<(), String> {
    single_line(text)?;
    if !(text.starts_with("./") || text.contains("?ref=")) {
        return Err(format!(
            "{text:?} must be a local path (./…) or pinned with ?ref=<tag>"
        ));
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~:/?=&@+%".contains(&b);
    if !text.bytes().all(allowed) {
        return Err(format!(
            "{text:?} may only hold letters, digits and '-', '.', '_', '~', ':', '/', '?', '=', '&', '@', '+', '%'"
        ));
    }
    Ok(())
}

fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_entity_refs() {
        for good in [
            "team-a",
            "group:default/team-a",
            "user:jane.doe",
            "default/Team_A",
        ] {
            assert_eq!(owner(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "team a",
            "group:",
            "a/b/c",
            "team\"",
            "Group:Default/a",
            "-a",
        ] {
            assert!(owner(bad).is_err(), "{bad}");
        }
        assert!(owner("a\nb").unwrap_err().contains("single line"));
    }

    #[test]
    fn multi_line_text_allows_newlines_and_tabs_only() {
        assert_eq!(multi_line("a\n\tb ünïcode ${x}"), Ok(()));
        assert!(multi_line("a\rb").unwrap_err().contains("U+000D"));
        assert!(multi_line("\u{1b}[2J").is_err());
        assert!(multi_line("\u{85}").is_err());
        assert!(workflow_command("echo ${{ secrets.X }}").is_err());
        assert_eq!(workflow_command("echo ${HOME} $(date)"), Ok(()));
    }

    #[test]
    fn references_keep_their_alphabet() {
        assert_eq!(system("supply-chain"), Ok(()));
        assert!(system("system:default/x").is_err());
        assert_eq!(url_path("/actuator/health/liveness"), Ok(()));
        assert!(url_path("/a'b").is_err());
        assert!(url_path("healthz").is_err());
        assert_eq!(
            module_source("git::https://github.com/org/m.git//app?ref=v1.2.0"),
            Ok(())
        );
        assert_eq!(module_source("./modules/app"), Ok(()));
        assert!(module_source("./m\" x = \"y").is_err());
        assert!(module_source("registry/x").is_err());
    }
}
