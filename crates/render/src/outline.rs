//! Reading a generated file back: each function parses one format and
//! returns the file's outline — its structure without its values (YAML key
//! paths and scalar types, Dockerfile instructions, HCL tokens outside
//! string literals) — or why it does not parse.
//!
//! [`crate::render`] runs them on every file before returning it; the
//! property tests compare outlines to show that no value, however hostile,
//! adds a key, a step, an instruction or an attribute.

use serde::Deserialize;
use yaml_serde::Value;

/// Every document of a YAML file as `doc<i><path>: <type>` lines, in
/// document order (`doc0.jobs.test.steps[3].run: string`).
pub fn yaml(text: &str) -> Result<Vec<String>, String> {
    let mut outline = Vec::new();
    for (i, document) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(document).map_err(|e| e.to_string())?;
        yaml_paths(&value, &format!("doc{i}"), &mut outline);
    }
    Ok(outline)
}

/// Whether every document of a YAML file parses, without building values
/// or an outline: the cheap check run on every render.
pub fn yaml_parses(text: &str) -> Result<(), String> {
    for document in yaml_serde::Deserializer::from_str(text) {
        serde::de::IgnoredAny::deserialize(document).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn yaml_paths(value: &Value, path: &str, outline: &mut Vec<String>) {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Sequence(_) => "list",
        Value::Mapping(_) => "mapping",
        Value::Tagged(_) => "tagged",
    };
    outline.push(format!("{path}: {kind}"));
    match value {
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                yaml_paths(item, &format!("{path}[{i}]"), outline);
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map {
                let key = key
                    .as_str()
                    .map_or_else(|| format!("{key:?}"), String::from);
                yaml_paths(item, &format!("{path}.{key}"), outline);
            }
        }
        Value::Tagged(tagged) => yaml_paths(&tagged.value, &format!("{path}!"), outline),
        _ => {}
    }
}

const DOCKERFILE_INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// The instructions of a Dockerfile as Docker reads them, one line each:
/// the keyword, then `[n]` for an exec-form (JSON) argument list of n
/// strings. Refused: an unknown keyword, a `[…]` argument that is not a
/// JSON list of strings (Docker would silently run it as a shell line), and
/// a shell-form `<<` (BuildKit would read a heredoc and swallow the lines
/// after it) — the templates produce none of these.
pub fn dockerfile(text: &str) -> Result<Vec<String>, String> {
    logical_lines(text)
        .into_iter()
        .map(|(line, instruction)| {
            dockerfile_instruction(&instruction).map_err(|e| format!("line {line}: {e}"))
        })
        .collect()
}

/// Docker's logical lines with the number of the physical line each starts
/// on: a `\` at the end of a line continues it, and inside a continuation
/// empty and comment lines are skipped.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (body, continues) = match trimmed.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (trimmed, false),
        };
        let (start, mut joined) = current.take().unwrap_or((i + 1, String::new()));
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(body);
        if continues {
            current = Some((start, joined));
        } else {
            out.push((start, joined));
        }
    }
    out.extend(current);
    out
}

fn dockerfile_instruction(instruction: &str) -> Result<String, String> {
    let (keyword, arguments) = instruction
        .split_once(char::is_whitespace)
        .unwrap_or((instruction, ""));
    let keyword = keyword.to_ascii_uppercase();
    if !DOCKERFILE_INSTRUCTIONS.contains(&keyword.as_str()) {
        return Err(format!("{keyword:?} is not a Dockerfile instruction"));
    }
    let command = match keyword.as_str() {
        // HEALTHCHECK [--option=value …] CMD <command>
        "HEALTHCHECK" => arguments
            .split_once(" CMD ")
            .map_or(arguments, |(_, command)| command),
        _ => arguments,
    }
    .trim();
    if command.starts_with('[') {
        let list: Vec<String> = serde_json::from_str(command).map_err(|e| {
            format!("{keyword} has a [ … ] argument that is not a JSON list of strings: {e}")
        })?;
        return Ok(format!("{keyword} [{}]", list.len()));
    }
    if keyword == "RUN" && command.contains("<<") {
        return Err("a shell-form RUN holds \"<<\", which BuildKit reads as a heredoc".into());
    }
    Ok(keyword)
}

/// The tokens of an HCL (Terraform) file outside string literals, one per
/// entry, with newlines (`\n`, they end attributes) and each string as
/// `"…"`. The interpolations inside strings are outlined too, and must be
/// plain references (`${var.environment}`): the templates interpolate
/// nothing else, so a function call means a value escaped its string.
/// Refused: unterminated strings and comments, unknown escapes, unbalanced
/// brackets, heredocs and `%{` directives.
pub fn hcl(text: &str) -> Result<Vec<String>, String> {
    let mut reader = HclReader {
        chars: text.chars().collect(),
        at: 0,
        line: 1,
        outline: Vec::new(),
    };
    reader.tokens(false)?;
    Ok(reader.outline)
}

struct HclReader {
    chars: Vec<char>,
    at: usize,
    line: usize,
    outline: Vec<String>,
}

impl HclReader {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn error(&self, message: impl std::fmt::Display) -> String {
        format!("line {}: {message}", self.line)
    }

    /// Tokens up to the end of the file, or up to the `}` that closes an
    /// interpolation when `in_interpolation`.
    fn tokens(&mut self, in_interpolation: bool) -> Result<(), String> {
        let mut open: Vec<char> = Vec::new();
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' => self.at += 1,
                '\n' => {
                    self.outline.push("\n".into());
                    self.line += 1;
                    self.at += 1;
                }
                '#' => self.skip_line(),
                '/' if self.peek(1) == Some('/') => self.skip_line(),
                '/' if self.peek(1) == Some('*') => self.skip_block_comment()?,
                '"' => self.string()?,
                '<' if self.peek(1) == Some('<') => return Err(self.error("unexpected heredoc")),
                '{' | '[' | '(' => {
                    open.push(c);
                    self.symbol(1);
                }
                '}' if in_interpolation && open.is_empty() => {
                    self.at += 1;
                    return Ok(());
                }
                '}' | ']' | ')' => {
                    let expected = match open.pop() {
                        Some('{') => '}',
                        Some('[') => ']',
                        Some(_) => ')',
                        None => return Err(self.error(format!("{c:?} closes nothing"))),
                    };
                    if c != expected {
                        return Err(self.error(format!("{c:?} where {expected:?} was expected")));
                    }
                    self.symbol(1);
                }
                c if c.is_alphabetic() || c == '_' => {
                    self.word(|c| c.is_alphanumeric() || c == '_' || c == '-')
                }
                c if c.is_ascii_digit() => self.word(|c| c.is_ascii_alphanumeric() || c == '.'),
                '=' | '!' | '<' | '>' if self.peek(1) == Some('=') => self.symbol(2),
                '&' | '|' if self.peek(1) == Some(c) => self.symbol(2),
                '=' if self.peek(1) == Some('>') => self.symbol(2),
                '=' | '!' | '<' | '>' | ',' | '.' | ':' | '?' | '+' | '-' | '*' | '/' | '%' => {
                    self.symbol(1)
                }
                other => return Err(self.error(format!("unexpected {other:?}"))),
            }
        }
        match (in_interpolation, open.last()) {
            (true, _) => Err(self.error("unterminated ${ … }")),
            (false, Some(c)) => Err(self.error(format!("{c:?} is never closed"))),
            (false, None) => Ok(()),
        }
    }

    fn symbol(&mut self, length: usize) {
        let text: String = self.chars[self.at..self.at + length].iter().collect();
        self.outline.push(text);
        self.at += length;
    }

    fn word(&mut self, continues: impl Fn(char) -> bool) {
        let start = self.at;
        self.at += 1;
        while self.peek(0).is_some_and(&continues) {
            self.at += 1;
        }
        self.outline
            .push(self.chars[start..self.at].iter().collect());
    }

    fn skip_line(&mut self) {
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.at += 1;
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), String> {
        self.at += 2;
        loop {
            match self.peek(0) {
                None => return Err(self.error("unterminated /* comment")),
                Some('*') if self.peek(1) == Some('/') => {
                    self.at += 2;
                    return Ok(());
                }
                Some(c) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    self.at += 1;
                }
            }
        }
    }

    /// A quoted template string on one line: escapes are checked, `$${` and
    /// `%%{` are literal text, `${ … }` is outlined.
    fn string(&mut self) -> Result<(), String> {
        self.at += 1;
        self.outline.push("\"…".into());
        loop {
            match (self.peek(0), self.peek(1), self.peek(2)) {
                (None | Some('\n'), _, _) => return Err(self.error("unterminated string")),
                (Some('"'), _, _) => {
                    self.at += 1;
                    self.outline.push("\"".into());
                    return Ok(());
                }
                (Some('\\'), escape, _) => self.escape(escape)?,
                (Some('$'), Some('$'), Some('{')) | (Some('%'), Some('%'), Some('{')) => {
                    self.at += 3
                }
                (Some('$'), Some('{'), _) => self.interpolation()?,
                (Some('%'), Some('{'), _) => return Err(self.error("unexpected %{ directive")),
                _ => self.at += 1,
            }
        }
    }

    fn escape(&mut self, escape: Option<char>) -> Result<(), String> {
        let hex_digits = match escape {
            Some('n' | 'r' | 't' | '"' | '\\') => 0,
            Some('u') => 4,
            Some('U') => 8,
            other => return Err(self.error(format!("invalid escape \\{other:?}"))),
        };
        let digits = self.chars.get(self.at + 2..self.at + 2 + hex_digits);
        if !digits.is_some_and(|d| d.iter().all(char::is_ascii_hexdigit)) {
            return Err(self.error("invalid unicode escape"));
        }
        self.at += 2 + hex_digits;
        Ok(())
    }

    fn interpolation(&mut self) -> Result<(), String> {
        self.at += 2;
        self.outline.push("${".into());
        let start = self.outline.len();
        self.tokens(true)?;
        let reference = self.outline[start..]
            .iter()
            .enumerate()
            .all(|(i, token)| match i % 2 {
                0 => token.starts_with(|c: char| c.is_alphabetic() || c == '_'),
                _ => token == ".",
            });
        if !reference || self.outline.len() == start {
            let inside = self.outline[start..].join(" ");
            return Err(self.error(format!(
                "the interpolation ${{{inside}}} is not a plain reference"
            )));
        }
        self.outline.push("}".into());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_outlines_keys_and_types() {
        let outline = yaml("a: 1\nb: [x, {c: true}]\n---\nd: ~\n").unwrap();
        assert_eq!(
            outline,
            [
                "doc0: mapping",
                "doc0.a: number",
                "doc0.b: list",
                "doc0.b[0]: string",
                "doc0.b[1]: mapping",
                "doc0.b[1].c: boolean",
                "doc1: mapping",
                "doc1.d: null",
            ]
        );
        assert!(yaml("a: b\nc").is_err());
        assert!(yaml("a: 1\na: 2\n").is_err(), "duplicate keys are refused");
    }

    #[test]
    fn dockerfile_instructions_follow_continuations() {
        let text =
            "# c\nFROM a AS b\nENV A=1 \\\n    B=2\nRUN make \\\n\nFROM c\nCMD [\"x\", \"y\"]\n";
        assert_eq!(
            dockerfile(text).unwrap(),
            ["FROM", "ENV", "RUN", "CMD [2]"],
            "the trailing backslash swallows the second FROM"
        );
        assert!(dockerfile("FROM a\nUSR root\n").is_err());
        assert!(dockerfile("FROM a\nRUN [\"sh\", \"-c\" \"x\"]\n").is_err());
        assert!(dockerfile("FROM a\nRUN cat <<EOF\n").is_err());
        assert_eq!(
            dockerfile("HEALTHCHECK --interval=3s \\\n  CMD [\"a\"]\n").unwrap(),
            ["HEALTHCHECK [1]"]
        );
    }

    #[test]
    fn hcl_outlines_structure_outside_strings() {
        let text = "locals {\n  tags = {\n    team = \"a\\\"b $${x} %%{y}\" # c\n    key = \"n/${var.environment}/s\"\n  }\n}\n";
        assert_eq!(
            hcl(text).unwrap().join(" "),
            "locals { \n tags = { \n team = \"… \" \n key = \"… ${ var . environment } \" \n } \n } \n"
        );
        assert!(hcl("a = \"x\n").is_err());
        assert!(hcl("a = \"${file(\"/etc/passwd\")}\"\n").is_err());
        assert!(hcl("a = \"%{if x}y%{endif}\"\n").is_err());
        assert!(hcl("a = { b = 1\n").is_err());
        assert!(hcl("a = \"\\q\"\n").is_err());
        assert!(hcl("a = <<EOT\nx\nEOT\n").is_err());
    }
}
