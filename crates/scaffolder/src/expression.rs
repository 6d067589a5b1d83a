//! The `${{ }}` expressions of a Template, rendered as Backstage's scaffolder renders them
//! (scaffolder-backend 4.x, whose engine `nunjitsu` implements Nunjucks 3.2.4).
//!
//! minijinja does the rendering. What Backstage does differently from Jinja is bridged
//! here: a few syntax rewrites (`syntax`), JavaScript values and printing (`js`,
//! `methods`), Nunjucks' filters (`builtins`) and Backstage's own (`backstage`). The step
//! rules — a lone expression keeps its type, an empty result removes the key, when a
//! step's `if` lets it run — are in [`Templater::render_value`] and [`Templater::condition`].
//!
//! One deliberate difference: Backstage logs a template that fails to render and passes
//! the raw text on to the action; here it is an [`ExpressionError`] naming the field.

mod backstage;
mod builtins;
mod js;
mod methods;
mod syntax;

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indexmap::IndexMap;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use serde_json::Value as Json;

pub use backstage::{ScmIntegration, ScmKind};
pub use js::is_truthy;
use syntax::{Delimiters, Rewritten, TokenKind};

/// A rendering may produce at most this much text.
const MAX_OUTPUT_BYTES: usize = 10 * 1024 * 1024;
/// Bounds the work of one rendering (roughly one unit per instruction or 64 bytes of data).
const FUEL: u64 = 5_000_000;
/// Bounds nested macros and loops.
const RECURSION_LIMIT: usize = 100;

/// Where an expression is, for error messages: 1-based line and column (in characters)
/// inside the field's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A template that cannot be rendered: which field, what is wrong, and where.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
#[error("{field}: {message}{}", at(.position))]
pub struct ExpressionError {
    pub field: String,
    pub message: String,
    pub position: Option<Position>,
}

fn at(position: &Option<Position>) -> String {
    position.map_or_else(String::new, |p| {
        format!(" (line {}, column {})", p.line, p.column)
    })
}

impl ExpressionError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            field: String::new(),
            message: message.into(),
            position: None,
        }
    }

    fn in_field(mut self, field: &str) -> Self {
        if self.field.is_empty() {
            self.field = field.to_owned();
        }
        self
    }
}

/// Renders Backstage templates. Built once (it holds the filters), then shared.
#[derive(Debug)]
pub struct Templater {
    env: Environment<'static>,
    delimiters: Delimiters,
}

impl Default for Templater {
    fn default() -> Self {
        Self::new()
    }
}

impl Templater {
    /// Backstage's syntax: `${{ parameters.name }}`.
    pub fn new() -> Self {
        Self::build(syntax::BACKSTAGE)
    }

    /// `fetch:template`'s `cookiecutterCompat`: `{{ cookiecutter.name }}`, plus `jsonify`
    /// and Python's dict methods (`cookiecutter.items()`).
    pub fn cookiecutter() -> Self {
        let mut templater = Self::build(syntax::COOKIECUTTER);
        templater.env.add_filter("jsonify", builtins::dump);
        templater
            .env
            .set_unknown_method_callback(methods::call_cookiecutter);
        templater
    }

    /// Replaces the SCM hosts `parseRepoUrl` and `projectSlug` accept (by default those
    /// Backstage knows without configuration).
    pub fn with_integrations(mut self, integrations: Vec<ScmIntegration>) -> Self {
        backstage::register(&mut self.env, integrations.into());
        self
    }

    /// fetch:template's `trimBlocks` (drop the newline after a tag) and `lstripBlocks`
    /// (drop the indentation before a tag alone on its line).
    pub fn with_block_whitespace(mut self, trim_blocks: bool, lstrip_blocks: bool) -> Self {
        let syntax = syntax_config(self.delimiters, trim_blocks, lstrip_blocks);
        self.env.set_syntax(syntax);
        self
    }

    fn build(delimiters: Delimiters) -> Self {
        let mut env = Environment::new();
        env.set_syntax(syntax_config(delimiters, false, false));
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_formatter(|out, _state, value| {
            out.write_str(&js::js_string(value)).map_err(Into::into)
        });
        env.set_unknown_method_callback(methods::call);
        env.set_debug(false);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(RECURSION_LIMIT);
        builtins::register(&mut env);
        backstage::register(&mut env, ScmIntegration::backstage_defaults().into());
        env.add_global("always", Value::from_function(|| true));
        env.add_global("failure", Value::from_function(|| false));
        Self { env, delimiters }
    }

    /// Renders one template string (file contents, file paths): the text Backstage
    /// would produce. Errors name the field `template`.
    pub fn render_text(&self, template: &str, context: &Json) -> Result<String, ExpressionError> {
        let root = root(context, None);
        self.render_template(template, &root)
            .map_err(|e| e.in_field("template"))
    }

    /// Renders a step input (or output) as Backstage's workflow runner does: every
    /// string in it is rendered; a string that is a single expression keeps the type of
    /// its value; a string that renders empty is dropped from its object (and is `null`
    /// in an array, or at the top). `field` prefixes error fields (`input` →
    /// `input.repoUrl`).
    pub fn render_value(
        &self,
        value: &Json,
        context: &Json,
        field: &str,
    ) -> Result<Json, ExpressionError> {
        let root = root(context, None);
        Ok(self.walk(value, &root, field)?.unwrap_or(Json::Null))
    }

    /// A step's `if`: true when the step should run. `failed` = an earlier step failed.
    ///
    /// As in Backstage: `false` skips, any other non-string runs, and a string runs when
    /// it renders truthy (`isTruthy`: not `false`, `0`, `""`, `null`, nothing or `[]`).
    /// After a failure only a string that calls `always()` or `failure()` while
    /// rendering can let the step run; `failure()` is then true.
    pub fn condition(
        &self,
        value: &Json,
        context: &Json,
        failed: bool,
    ) -> Result<bool, ExpressionError> {
        if !value.is_string() {
            return Ok(!failed && *value != Json::Bool(false));
        }
        let called = Arc::new(AtomicBool::new(false));
        let status = StatusFunctions {
            failed,
            called: called.clone(),
        };
        let root = root(context, Some(status));
        let rendered = self.walk(value, &root, "if")?.unwrap_or(Json::Null);
        if failed && !called.load(Ordering::Relaxed) {
            return Ok(false);
        }
        Ok(is_truthy(&rendered))
    }

    fn walk(
        &self,
        value: &Json,
        root: &Value,
        field: &str,
    ) -> Result<Option<Json>, ExpressionError> {
        match value {
            Json::String(text) => self
                .render_string(text, root)
                .map_err(|e| e.in_field(field)),
            Json::Array(items) => self.walk_array(items, root, field).map(Some),
            Json::Object(map) => {
                let mut out = serde_json::Map::new();
                for (key, item) in map {
                    if let Some(rendered) = self.walk(item, root, &format!("{field}.{key}"))? {
                        out.insert(key.clone(), rendered);
                    }
                }
                Ok(Some(Json::Object(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// An item that renders to nothing leaves a hole, which JSON writes as `null`.
    fn walk_array(
        &self,
        items: &[Json],
        root: &Value,
        field: &str,
    ) -> Result<Json, ExpressionError> {
        let rendered = items.iter().enumerate().map(|(i, item)| {
            let rendered = self.walk(item, root, &format!("{field}[{i}]"))?;
            Ok(rendered.unwrap_or(Json::Null))
        });
        rendered.collect::<Result<Vec<_>, _>>().map(Json::Array)
    }

    /// One string of a step input; `None` is JavaScript's `undefined`.
    fn render_string(&self, text: &str, root: &Value) -> Result<Option<Json>, ExpressionError> {
        let tokens = syntax::tokenize(text, self.delimiters);
        match syntax::single_root(text, &tokens) {
            Some(TokenKind::Variable) => {
                let token = tokens.iter().find(|t| t.kind == TokenKind::Variable);
                let code = token.map_or(0..0, |t| t.code.clone());
                self.evaluate(text, code, root)
            }
            // A lone statement (`{% if %}…{% endif %}`) is read back as JSON when it can be.
            Some(_) => {
                let out = self.render_template(text, root)?;
                Ok((!out.is_empty())
                    .then(|| serde_json::from_str(&out).unwrap_or(Json::String(out))))
            }
            None => {
                let out = self.render_template(text, root)?;
                Ok((!out.is_empty()).then_some(Json::String(out)))
            }
        }
    }

    fn render_template(&self, template: &str, root: &Value) -> Result<String, ExpressionError> {
        let tokens = syntax::tokenize(template, self.delimiters);
        let rewritten = syntax::rewrite_template(template, &tokens);
        let out = self
            .env
            .render_str(&rewritten.source, root.clone())
            .map_err(|e| located(&e, template, &rewritten, 0))?;
        check_size(out.len())?;
        Ok(out)
    }

    /// The value of the expression at `code`, as JSON (`None` when undefined).
    fn evaluate(
        &self,
        text: &str,
        code: Range<usize>,
        root: &Value,
    ) -> Result<Option<Json>, ExpressionError> {
        let rewritten = syntax::rewrite_expression(&text[code.clone()]);
        let fail = |e: minijinja::Error| located(&e, text, &rewritten, code.start);
        let expression = self
            .env
            .compile_expression_owned(rewritten.source.clone())
            .map_err(fail)?;
        let value = js::to_json(&expression.eval(root.clone()).map_err(fail)?);
        if let Some(json) = &value {
            check_size(serde_json::to_vec(json).map_or(0, |bytes| bytes.len()))?;
        }
        Ok(value)
    }
}

fn check_size(bytes: usize) -> Result<(), ExpressionError> {
    if bytes <= MAX_OUTPUT_BYTES {
        return Ok(());
    }
    Err(ExpressionError::new(format!(
        "the rendered value is larger than {} MB",
        MAX_OUTPUT_BYTES / (1024 * 1024)
    )))
}

/// Nunjucks keeps a template's last newline; Jinja would drop it.
fn syntax_config(delimiters: Delimiters, trim_blocks: bool, lstrip_blocks: bool) -> SyntaxConfig {
    SyntaxConfig::builder()
        .variable_delimiters(delimiters.variable_start, delimiters.variable_end)
        .keep_trailing_newline(true)
        .trim_blocks(trim_blocks)
        .lstrip_blocks(lstrip_blocks)
        .build()
        .expect("the two delimiter sets are valid")
}

/// True when the whole text is a single root node that is not text — one `${{ }}`
/// expression (or one `{% %}` statement) with nothing around it, not even a space:
/// the strings whose value keeps its type in a step input.
pub fn is_single_expression(text: &str) -> bool {
    syntax::single_root(text, &syntax::tokenize(text, syntax::BACKSTAGE)).is_some()
}

/// True when a step's `if` calls `always()` or `failure()`: only such a step may run
/// after an earlier one failed ([`Templater::condition`] applies the rule itself).
pub fn mentions_status_function(value: &Json) -> bool {
    value.as_str().is_some_and(|text| {
        syntax::calls_status_function(text, &syntax::tokenize(text, syntax::BACKSTAGE))
    })
}

/// What `always()` and `failure()` answer in one rendering, and whether either was called.
struct StatusFunctions {
    failed: bool,
    called: Arc<AtomicBool>,
}

/// The values a template sees, as JavaScript objects. Context values shadow globals,
/// which is how a condition gets its own `always()` and `failure()`.
fn root(context: &Json, status: Option<StatusFunctions>) -> Value {
    let mut entries: IndexMap<String, Value> = match context {
        Json::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), js::from_json(v)))
            .collect(),
        _ => IndexMap::new(),
    };
    if let Some(StatusFunctions { failed, called }) = status {
        let always = called.clone();
        entries.insert(
            "always".into(),
            Value::from_function(move || {
                always.store(true, Ordering::Relaxed);
                true
            }),
        );
        entries.insert(
            "failure".into(),
            Value::from_function(move || {
                called.store(true, Ordering::Relaxed);
                failed
            }),
        );
    }
    js::object(entries)
}

/// Turns a minijinja error into one that points into the original text. `base` is where
/// the rewritten snippet starts in it.
fn located(
    error: &minijinja::Error,
    original: &str,
    rewritten: &Rewritten,
    base: usize,
) -> ExpressionError {
    let offset = match (error.range(), error.line()) {
        (Some(range), _) => Some(base + rewritten.original_offset(range.start)),
        (None, Some(line)) => Some(line_start(original, base, line)),
        (None, None) => None,
    };
    ExpressionError {
        field: String::new(),
        message: describe(error),
        position: offset.map(|o| position_of(original, o)),
    }
}

fn describe(error: &minijinja::Error) -> String {
    match (error.kind(), error.detail()) {
        (ErrorKind::InvalidOperation, Some(detail)) => detail.to_owned(),
        (kind, Some(detail)) => format!("{kind}: {detail}"),
        (kind, None) => kind.to_string(),
    }
}

/// The offset where `line` (1-based, counted from `base`) starts.
fn line_start(text: &str, base: usize, line: usize) -> usize {
    let base = base.min(text.len());
    text[base..]
        .match_indices('\n')
        .nth(line.saturating_sub(2))
        .filter(|_| line > 1)
        .map_or(base, |(i, _)| base + i + 1)
}

fn position_of(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_begin = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() + 1,
        column: before[line_begin..].chars().count() + 1,
    }
}
