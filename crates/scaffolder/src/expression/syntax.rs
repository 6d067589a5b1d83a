//! Reading a template the way Nunjucks' lexer does, before anything is rendered: where
//! its expressions, `{% %}` tags and `{# #}` comments are, whether a string is one single
//! expression, and the few rewrites that let minijinja read Nunjucks syntax.

use std::ops::Range;

/// The variable delimiters of one flavour of template; tags and comments never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Delimiters {
    pub variable_start: &'static str,
    pub variable_end: &'static str,
}

/// Backstage's own syntax: `${{ parameters.name }}`.
pub(super) const BACKSTAGE: Delimiters = Delimiters {
    variable_start: "${{",
    variable_end: "}}",
};

/// `fetch:template` with `cookiecutterCompat: true`: `{{ cookiecutter.name }}`.
pub(super) const COOKIECUTTER: Delimiters = Delimiters {
    variable_start: "{{",
    variable_end: "}}",
};

const BLOCK_START: &str = "{%";
const BLOCK_END: &str = "%}";
const COMMENT_START: &str = "{#";
const COMMENT_END: &str = "#}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    Text,
    Variable,
    Block,
    Comment,
}

/// One piece of a template: `span` is all of it, `code` what sits between the
/// delimiters (and their `-` whitespace markers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
    pub code: Range<usize>,
}

/// Splits a template as Nunjucks' lexer does. An unterminated tag runs to the end of
/// the text; the renderer reports it.
pub(super) fn tokenize(source: &str, delimiters: Delimiters) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut position = 0;
    while position < source.len() {
        let Some((start, kind)) = next_tag(source, position, delimiters) else {
            tokens.push(text_token(position..source.len()));
            break;
        };
        if start > position {
            tokens.push(text_token(position..start));
        }
        let token = read_tag(source, start, kind, delimiters);
        position = token.span.end;
        tokens.push(token);
    }
    tokens
}

fn text_token(span: Range<usize>) -> Token {
    Token {
        kind: TokenKind::Text,
        code: span.clone(),
        span,
    }
}

fn next_tag(source: &str, from: usize, delimiters: Delimiters) -> Option<(usize, TokenKind)> {
    [
        (delimiters.variable_start, TokenKind::Variable),
        (BLOCK_START, TokenKind::Block),
        (COMMENT_START, TokenKind::Comment),
    ]
    .into_iter()
    .filter_map(|(start, kind)| source[from..].find(start).map(|at| (from + at, kind)))
    .min_by_key(|(at, _)| *at)
}

fn read_tag(source: &str, start: usize, kind: TokenKind, delimiters: Delimiters) -> Token {
    let (open, close) = match kind {
        TokenKind::Variable => (delimiters.variable_start, delimiters.variable_end),
        TokenKind::Block => (BLOCK_START, BLOCK_END),
        _ => (COMMENT_START, COMMENT_END),
    };
    let mut code_start = start + open.len();
    if source[code_start..].starts_with('-') {
        code_start += 1;
    }
    let (code_end, end) = if kind == TokenKind::Comment {
        match source[code_start..].find(close) {
            Some(at) => (code_start + at, code_start + at + close.len()),
            None => (source.len(), source.len()),
        }
    } else {
        find_code_end(source, code_start, close)
    };
    let code_end = trim_dash(source, code_start, code_end);
    Token {
        kind,
        span: start..end,
        code: code_start..code_end,
    }
}

/// The closing delimiter is the first one outside a string literal: Nunjucks does not
/// count braces, so `${{ {a: {b: 1}} }}` ends after `1}}` there too.
fn find_code_end(source: &str, from: usize, close: &str) -> (usize, usize) {
    let bytes = source.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' => i = skip_string(bytes, i),
            _ if source[i..].starts_with(close) => return (i, i + close.len()),
            _ => i += 1,
        }
    }
    (source.len(), source.len())
}

fn trim_dash(source: &str, start: usize, end: usize) -> usize {
    if end > start && source.as_bytes()[end - 1] == b'-' {
        end - 1
    } else {
        end
    }
}

/// Index just past the string literal opening at `start` (or the end of the text).
pub(super) fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Backstage keeps the type of a value only when the whole string is one root node
/// that is not text: one `${{ }}` expression, or one statement such as `{% if %}…{% endif %}`.
pub(super) fn single_root(source: &str, tokens: &[Token]) -> Option<TokenKind> {
    let mut roots = Vec::new();
    let mut depth = 0usize;
    for token in tokens {
        match token.kind {
            TokenKind::Comment => {}
            TokenKind::Text | TokenKind::Variable if depth == 0 => roots.push(token.kind),
            TokenKind::Text | TokenKind::Variable => {}
            TokenKind::Block => {
                let code = &source[token.code.clone()];
                match statement_shape(code) {
                    Shape::Opens if depth == 0 => {
                        roots.push(TokenKind::Block);
                        depth += 1;
                    }
                    Shape::Opens => depth += 1,
                    Shape::Closes => depth = depth.saturating_sub(1),
                    Shape::Inner => {}
                    Shape::Alone if depth == 0 => roots.push(TokenKind::Block),
                    Shape::Alone => {}
                }
            }
        }
    }
    match roots.as_slice() {
        [kind] if *kind != TokenKind::Text => Some(*kind),
        _ => None,
    }
}

enum Shape {
    Opens,
    Closes,
    Inner,
    Alone,
}

fn statement_shape(code: &str) -> Shape {
    let name = first_word(code);
    match name {
        "if" | "ifAsync" | "for" | "asyncEach" | "asyncAll" | "macro" | "call" | "filter"
        | "raw" | "verbatim" | "block" | "switch" => Shape::Opens,
        "set" if !code.contains('=') => Shape::Opens,
        "elif" | "elseif" | "else" | "case" | "default" => Shape::Inner,
        _ if name.starts_with("end") => Shape::Closes,
        _ => Shape::Alone,
    }
}

fn first_word(code: &str) -> &str {
    let code = code.trim_start();
    let end = code
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(code.len());
    &code[..end]
}

/// True when the code calls `always()` or `failure()` anywhere.
pub(super) fn calls_status_function(source: &str, tokens: &[Token]) -> bool {
    tokens
        .iter()
        .filter(|t| matches!(t.kind, TokenKind::Variable | TokenKind::Block))
        .any(|t| {
            let code = &source[t.code.clone()];
            lex(code).iter().any(|lexeme| {
                lexeme.kind == Lexeme::Name
                    && matches!(&code[lexeme.range.clone()], "always" | "failure")
                    && next_char(code, lexeme.range.end) == Some('(')
                    && prev_char(code, lexeme.range.start) != Some('.')
            })
        })
}

/// A template rewritten for minijinja, with what is needed to point back at the original.
#[derive(Debug)]
pub(super) struct Rewritten {
    pub source: String,
    anchors: Vec<(usize, usize)>,
}

impl Rewritten {
    /// Maps an offset in the rewritten source to one in the original.
    pub fn original_offset(&self, offset: usize) -> usize {
        let index = self.anchors.partition_point(|(new, _)| *new <= offset);
        match index.checked_sub(1).map(|i| self.anchors[i]) {
            Some((new, original)) => original + (offset - new),
            None => offset,
        }
    }
}

/// One replacement in the original text.
#[derive(Debug)]
struct Edit {
    range: Range<usize>,
    text: String,
}

/// Rewrites the Nunjucks syntax minijinja reads differently (see `code_edits`) in every
/// tag of a template.
pub(super) fn rewrite_template(source: &str, tokens: &[Token]) -> Rewritten {
    let mut edits = Vec::new();
    for token in tokens {
        let code = &source[token.code.clone()];
        let base = token.code.start;
        match token.kind {
            TokenKind::Variable => edits.extend(shifted(expression_edits(code), base)),
            TokenKind::Block => edits.extend(shifted(block_edits(code), base)),
            TokenKind::Text | TokenKind::Comment => {}
        }
    }
    apply(source, edits)
}

/// Rewrites one bare expression (the code of a `${{ }}`).
pub(super) fn rewrite_expression(code: &str) -> Rewritten {
    apply(code, expression_edits(code))
}

fn expression_edits(code: &str) -> Vec<Edit> {
    let mut edits = code_edits(code);
    edits.extend(inline_if_edits(code));
    edits
}

/// `a if c` without `else` is `""` in Nunjucks when `c` is false, but undefined in
/// minijinja (which would drop the key); an explicit `else ""` makes them agree.
fn inline_if_edits(code: &str) -> Vec<Edit> {
    let mut edits = Vec::new();
    // One entry per open bracket: where an `if` there still waits for its `else`.
    let mut waiting = vec![false];
    for piece in lex(code) {
        let text = &code[piece.range.clone()];
        let after_dot = prev_char(code, piece.range.start) == Some('.');
        let end_of_branch = match (piece.kind, text) {
            (Lexeme::Name, "if" | "else") if !after_dot => {
                set_last(&mut waiting, text == "if");
                false
            }
            (Lexeme::Symbol, "(" | "[" | "{") => {
                waiting.push(false);
                false
            }
            (Lexeme::Symbol, ")" | "]" | "}") if waiting.len() > 1 => waiting.pop() == Some(true),
            (Lexeme::Symbol, ",") => std::mem::take(waiting.last_mut().unwrap_or(&mut false)),
            _ => false,
        };
        if end_of_branch {
            edits.push(empty_else(piece.range.start));
        }
    }
    if waiting.first() == Some(&true) {
        edits.push(empty_else(code.len()));
    }
    edits
}

fn set_last(flags: &mut [bool], value: bool) {
    if let Some(last) = flags.last_mut() {
        *last = value;
    }
}

fn empty_else(at: usize) -> Edit {
    replace(at..at, " else \"\"".into())
}

fn shifted(edits: Vec<Edit>, base: usize) -> impl Iterator<Item = Edit> {
    edits.into_iter().map(move |e| Edit {
        range: e.range.start + base..e.range.end + base,
        text: e.text,
    })
}

fn apply(source: &str, mut edits: Vec<Edit>) -> Rewritten {
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(source.len() + 16 * edits.len());
    let mut anchors = Vec::with_capacity(edits.len() * 2);
    let mut copied = 0;
    for edit in edits {
        out.push_str(&source[copied..edit.range.start]);
        anchors.push((out.len(), edit.range.start));
        out.push_str(&edit.text);
        anchors.push((out.len(), edit.range.end));
        copied = edit.range.end;
    }
    out.push_str(&source[copied..]);
    Rewritten {
        source: out,
        anchors,
    }
}

/// Statement-level differences: Nunjucks' `elseif`, and `for key, value in object`,
/// which iterates an object's entries where minijinja would iterate its keys.
fn block_edits(code: &str) -> Vec<Edit> {
    let mut edits = code_edits(code);
    let lexemes = lex(code);
    let Some(first) = lexemes.first() else {
        return edits;
    };
    match &code[first.range.clone()] {
        "elseif" => edits.push(Edit {
            range: first.range.clone(),
            text: "elif".into(),
        }),
        "for" => edits.extend(entries_loop_edits(code, &lexemes)),
        _ => {}
    }
    edits
}

fn entries_loop_edits(code: &str, lexemes: &[Piece]) -> Vec<Edit> {
    let Some(in_at) = lexemes
        .iter()
        .position(|l| l.kind == Lexeme::Name && &code[l.range.clone()] == "in")
    else {
        return Vec::new();
    };
    let targets = &lexemes[1..in_at];
    if !targets.iter().any(|l| &code[l.range.clone()] == ",") {
        return Vec::new();
    }
    let iterable_start = lexemes[in_at].range.end;
    vec![
        Edit {
            range: iterable_start..iterable_start,
            text: " (".into(),
        },
        Edit {
            range: code.len()..code.len(),
            text: ")|__entries ".into(),
        },
    ]
}

/// Expression-level differences between Nunjucks and minijinja:
/// - `===` and `!==` (Nunjucks' strict comparisons) become `==` and `!=`;
/// - `null` is Nunjucks' other spelling of `none`;
/// - `{key: 1}` object keys may be bare names in Nunjucks (JavaScript style);
/// - `x.length` is JavaScript's property of strings and arrays, so it becomes a filter.
fn code_edits(code: &str) -> Vec<Edit> {
    let lexemes = lex(code);
    let mut edits = Vec::new();
    let mut brackets: Vec<u8> = Vec::new();
    let mut expect_key = false;
    for lexeme in &lexemes {
        let text = &code[lexeme.range.clone()];
        let key_position = expect_key;
        expect_key = false;
        match lexeme.kind {
            Lexeme::Name if key_position && next_char(code, lexeme.range.end) == Some(':') => {
                edits.push(replace(lexeme.range.clone(), format!("\"{text}\"")));
            }
            Lexeme::Name => edits.extend(name_edit(code, lexeme.range.clone())),
            Lexeme::Symbol => match text {
                "===" => edits.push(replace(lexeme.range.clone(), "==".into())),
                "!==" => edits.push(replace(lexeme.range.clone(), "!=".into())),
                "{" => {
                    brackets.push(b'{');
                    expect_key = true;
                }
                "[" | "(" => brackets.push(text.as_bytes()[0]),
                "}" | "]" | ")" => {
                    brackets.pop();
                }
                "," => expect_key = brackets.last() == Some(&b'{'),
                _ => {}
            },
            Lexeme::String | Lexeme::Number => {}
        }
    }
    edits
}

fn name_edit(code: &str, range: Range<usize>) -> Option<Edit> {
    let after_dot = prev_char(code, range.start) == Some('.');
    match &code[range.clone()] {
        "null" if !after_dot => Some(replace(range, "none".into())),
        "length" if after_dot && next_char(code, range.end) != Some('(') => {
            Some(replace(range.start - 1..range.end, "|__length".into()))
        }
        _ => None,
    }
}

fn replace(range: Range<usize>, text: String) -> Edit {
    Edit { range, text }
}

/// The next non-blank character at or after `at`.
fn next_char(code: &str, at: usize) -> Option<char> {
    code[at..].chars().find(|c| !c.is_whitespace())
}

/// The character just before `at`, blanks included (`a. length` is not a lookup).
fn prev_char(code: &str, at: usize) -> Option<char> {
    code[..at].chars().next_back()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lexeme {
    Name,
    Number,
    String,
    Symbol,
}

#[derive(Debug, Clone)]
struct Piece {
    kind: Lexeme,
    range: Range<usize>,
}

/// A coarse lexer for expression code: enough to find names, strings and operators.
fn lex(code: &str) -> Vec<Piece> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = match bytes[i] {
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'"' | b'\'' => {
                i = skip_string(bytes, i);
                Lexeme::String
            }
            b if b.is_ascii_digit() => {
                i = skip_while(bytes, i, |b| b.is_ascii_alphanumeric() || b == b'_');
                Lexeme::Number
            }
            b if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                i = skip_while(bytes, i, |b| {
                    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
                });
                Lexeme::Name
            }
            _ => {
                i += symbol_len(&code[i..]);
                Lexeme::Symbol
            }
        };
        out.push(Piece {
            kind,
            range: start..i,
        });
    }
    out
}

fn skip_while(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < bytes.len() && keep(bytes[i]) {
        i += 1;
    }
    i
}

fn symbol_len(rest: &str) -> usize {
    ["===", "!==", "==", "!=", "<=", ">=", "//", "**"]
        .iter()
        .find(|op| rest.starts_with(*op))
        .map_or_else(
            || rest.chars().next().map_or(1, char::len_utf8),
            |op| op.len(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(text: &str) -> Option<TokenKind> {
        single_root(text, &tokenize(text, BACKSTAGE))
    }

    #[test]
    fn a_lone_expression_is_single() {
        assert_eq!(single("${{ parameters.x }}"), Some(TokenKind::Variable));
        assert_eq!(single("${{- x -}}"), Some(TokenKind::Variable));
        assert_eq!(
            single("{% if x %}a{% else %}b{% endif %}"),
            Some(TokenKind::Block)
        );
        assert_eq!(single("${{ x }}{# note #}"), Some(TokenKind::Variable));
    }

    #[test]
    fn text_around_an_expression_makes_it_text() {
        assert_eq!(single("a-${{ x }}"), None);
        assert_eq!(single(" ${{ x }}"), None);
        assert_eq!(single("${{ x }}${{ y }}"), None);
        assert_eq!(single("plain"), None);
        assert_eq!(single(""), None);
    }

    #[test]
    fn closing_delimiters_inside_strings_do_not_end_a_tag() {
        let tokens = tokenize("${{ \"}}\" }}!", BACKSTAGE);
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].span, 0..11);
    }

    #[test]
    fn rewrites_nunjucks_only_syntax() {
        let text = "${{ a === null and b.length !== {k: 1, 'q': 2} }}";
        let out = rewrite_template(text, &tokenize(text, BACKSTAGE));
        assert_eq!(
            out.source,
            "${{ a == none and b|__length != {\"k\": 1, 'q': 2} }}"
        );
    }

    #[test]
    fn completes_inline_ifs_without_else() {
        let text = "${{ f(a if b, c) ~ (d if e else g) ~ h if i }}";
        let out = rewrite_template(text, &tokenize(text, BACKSTAGE));
        assert_eq!(
            out.source,
            "${{ f(a if b else \"\", c) ~ (d if e else g) ~ h if i  else \"\"}}"
        );
    }

    #[test]
    fn rewrites_entry_loops_and_elseif() {
        let text = "{% for k, v in o %}{% elseif x %}{% endfor %}";
        let out = rewrite_template(text, &tokenize(text, BACKSTAGE));
        assert_eq!(
            out.source,
            "{% for k, v in ( o )|__entries %}{% elif x %}{% endfor %}"
        );
    }

    #[test]
    fn maps_offsets_back_to_the_original() {
        let text = "${{ {k: 1} + x }}";
        let out = rewrite_template(text, &tokenize(text, BACKSTAGE));
        let x = out.source.find('x').unwrap();
        assert_eq!(out.original_offset(x), text.find('x').unwrap());
    }

    #[test]
    fn finds_status_functions_outside_strings() {
        let check = |t: &str| calls_status_function(t, &tokenize(t, BACKSTAGE));
        assert!(check("${{ failure() }}"));
        assert!(check("${{ always () and x }}"));
        assert!(!check("${{ 'failure()' }}"));
        assert!(!check("failure()"));
        assert!(!check("${{ steps.always }}"));
    }
}
