//! YAML text to JSON values, one per document, with positions and limits.
//!
//! Built on saphyr-parser's event stream rather than a serde deserializer so
//! that we control what untrusted input can cost: nesting depth and the
//! number of nodes (including those produced by aliases, which defeats
//! "billion laughs") are counted as events arrive, before anything is
//! copied. The parser itself keeps an explicit stack, so deep input cannot
//! overflow ours.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Number, Value};

/// Bounds on what one text may cost to parse. All are configurable; the
/// defaults suit hand-written catalog files with room to spare. Together
/// they bound the work for the whole text, however many documents it has,
/// so no clock is needed (wasm32 has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted text, in bytes.
    pub max_bytes: usize,
    /// Most documents (entities) in one text, broken ones included.
    pub max_documents: usize,
    /// Deepest nesting of lists and mappings in one document.
    pub max_depth: usize,
    /// Most nodes in one document, counting every node an alias copies.
    pub max_nodes: usize,
    /// Most nodes that anchors and aliases may copy in the whole text, all
    /// documents together. Plain nodes need text, so `max_bytes` already
    /// bounds them; copies need none, and `max_nodes` per document times
    /// `max_documents` is no bound at all (200 documents of 90,000 copied
    /// nodes each are 63 KB of text and took 1.7 GB). Anchors cannot reach
    /// across documents, so real catalog files copy little: by default the
    /// whole text may copy as many nodes as one document may hold.
    pub max_alias_nodes: usize,
    /// Most errors reported for one text. Reading stops at the next one,
    /// which is reported as where reading stopped, so a text broken all
    /// through costs no more than one with this many errors.
    pub max_errors: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 5 * 1024 * 1024,
            max_documents: 10_000,
            max_depth: 64,
            max_nodes: 100_000,
            max_alias_nodes: 100_000,
            max_errors: 100,
        }
    }
}

/// A document's root value and where its content starts (1-based).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub value: Value,
    pub line: usize,
    pub column: usize,
}

/// What went wrong while reading YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum YamlErrorKind {
    /// Not well-formed YAML, or not representable as JSON.
    Syntax,
    /// A limit was exceeded.
    Limit,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YamlError {
    pub kind: YamlErrorKind,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Reads every document of `text`. A syntax error loses the document it is
/// in; reading resumes at the next `---` line, so later documents are still
/// returned. Documents with no content (`---` alone) are skipped. After
/// `max_errors` errors, reading stops at the next one (returned last).
pub(crate) fn load_documents(text: &str, limits: &Limits) -> (Vec<Document>, Vec<YamlError>) {
    let loader = read(text, limits);
    (loader.docs, loader.errors)
}

/// Where a parser starts reading: a byte offset and its line (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    offset: usize,
    line: usize,
}

/// A syntax error stops saphyr's parser for good, so a new parser starts at
/// the next `---` line after the error. Each search starts where the last
/// parser started, never at the top of the text, so the text is walked about
/// once however many documents are broken.
fn read<'l>(text: &str, limits: &'l Limits) -> Loader<'l> {
    let mut loader = Loader::new(limits);
    let mut segment = Segment { offset: 0, line: 1 };
    while let Outcome::Broken { line } = loader.run(&text[segment.offset..], segment.line - 1) {
        let Some(next) = next_document_marker(text, segment, line) else {
            break;
        };
        loader.recovery_scanned += next.offset - segment.offset;
        segment = next;
    }
    loader
}

/// The first `---` line at or after line `error_line` and after the start of
/// `segment`, searching from the segment's start.
fn next_document_marker(text: &str, segment: Segment, error_line: usize) -> Option<Segment> {
    let mut at = segment;
    for line in text[segment.offset..].split_inclusive('\n') {
        let starts_document = line
            .strip_prefix("---")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']));
        // At or after the error line (an unclosed flow collection fails on
        // the next `---`), but past the segment start so each retry moves on.
        if at.offset > segment.offset && at.line >= error_line && starts_document {
            return Some(at);
        }
        at.offset += line.len();
        at.line += 1;
    }
    None
}

enum Outcome {
    /// The whole text was read.
    Finished,
    /// Reading must stop for good (a whole-text limit).
    Stopped,
    /// A syntax error at this absolute line stopped the parser.
    Broken { line: usize },
}

struct Anchored {
    value: Value,
    nodes: usize,
    depth: usize,
}

enum Frame {
    List {
        items: Vec<Value>,
        anchor: usize,
        nodes_before: usize,
        depth: usize,
    },
    Mapping {
        map: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
        nodes_before: usize,
        depth: usize,
    },
}

struct Loader<'l> {
    limits: &'l Limits,
    // The whole text.
    docs: Vec<Document>,
    errors: Vec<YamlError>,
    /// Documents with content so far, failed and broken ones included.
    documents: usize,
    /// Nodes anchors kept and aliases copied, in all documents.
    copied: usize,
    /// A whole-text limit was reached: read no further.
    stopped: bool,
    /// Bytes walked looking for the next document after syntax errors;
    /// tests check it stays within the text's length.
    recovery_scanned: usize,
    // The current parser: its lines are counted from its segment's start.
    line_offset: usize,
    // The current document.
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    /// Nodes in the document, including those aliases copied in.
    nodes: usize,
    /// Nodes held in copies of anchored values.
    kept: usize,
    root: Option<(Value, Marker)>,
    root_start: Option<Marker>,
    /// The current document already has an error: ignore it to its end.
    failed: bool,
}

impl<'l> Loader<'l> {
    fn new(limits: &'l Limits) -> Self {
        Loader {
            limits,
            docs: Vec::new(),
            errors: Vec::new(),
            documents: 0,
            copied: 0,
            stopped: false,
            recovery_scanned: 0,
            line_offset: 0,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            kept: 0,
            root: None,
            root_start: None,
            failed: false,
        }
    }

    /// Reads `text`, whose first line is line `line_offset + 1` of the whole text.
    fn run(&mut self, text: &str, line_offset: usize) -> Outcome {
        self.line_offset = line_offset;
        self.reset_document();
        for event in Parser::new_from_str(text) {
            match event {
                Ok((event, span)) => self.on_event(event, span),
                Err(e) => return self.on_scan_error(&e),
            }
            if self.stopped {
                return Outcome::Stopped;
            }
        }
        Outcome::Finished
    }

    fn on_scan_error(&mut self, error: &ScanError) -> Outcome {
        let marker = *error.marker();
        // The broken document counts like any other, or a text of broken
        // documents would escape the document limit.
        if self.count_document(marker) {
            let message = format!("invalid YAML: {}", error.info());
            self.push_error(YamlErrorKind::Syntax, marker, message);
        }
        if self.stopped {
            return Outcome::Stopped;
        }
        Outcome::Broken {
            line: self.line_offset + marker.line(),
        }
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) {
        match event {
            Event::DocumentStart(_) => self.reset_document(),
            Event::DocumentEnd => self.finish_document(),
            _ if self.failed => {}
            Event::Scalar(text, style, anchor, tag) => {
                self.on_scalar(&text, style, anchor, tag.as_deref(), span)
            }
            Event::SequenceStart(anchor, _) => self.open(span, |nodes_before, depth| Frame::List {
                items: Vec::new(),
                anchor,
                nodes_before,
                depth,
            }),
            Event::MappingStart(anchor, _) => {
                self.open(span, |nodes_before, depth| Frame::Mapping {
                    map: Map::new(),
                    key: None,
                    anchor,
                    nodes_before,
                    depth,
                })
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span),
            Event::Alias(id) => self.on_alias(id, span),
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }

    fn reset_document(&mut self) {
        self.stack.clear();
        // A new map rather than `clear()`, which costs the map's capacity:
        // one document with 50,000 anchors would otherwise make every later
        // document pay for them.
        self.anchors = HashMap::new();
        self.nodes = 0;
        self.kept = 0;
        self.root = None;
        self.root_start = None;
        self.failed = false;
    }

    fn finish_document(&mut self) {
        let root = self.root.take();
        let had_content = root.as_ref().is_some_and(|(v, _)| !v.is_null()) || self.failed;
        if !had_content || !self.count_document(self.root_start.unwrap_or_default()) {
            return;
        }
        // Failed documents count towards the limit but are not returned.
        if let (false, Some((value, start))) = (self.failed, root) {
            let (line, column) = self.position(start);
            self.docs.push(Document {
                value,
                line,
                column,
            });
        }
    }

    /// Counts one more document with content; past the limit, reports it at
    /// `start` and stops reading.
    fn count_document(&mut self, start: Marker) -> bool {
        self.documents += 1;
        if self.documents <= self.limits.max_documents {
            return true;
        }
        let message = format!(
            "more than {} documents in one file; split it into several files",
            self.limits.max_documents
        );
        self.push_error(YamlErrorKind::Limit, start, message);
        self.stopped = true;
        false
    }

    fn on_scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        span: Span,
    ) {
        if !self.count_nodes(1, span) {
            return;
        }
        match resolve_scalar(text, style, tag) {
            Ok(value) => {
                if anchor == 0 || self.keep_anchor(anchor, &value, 1, 0, span) {
                    self.complete(value, 0, span);
                }
            }
            Err(message) => self.fail(YamlErrorKind::Syntax, span, message),
        }
    }

    fn open(&mut self, span: Span, frame: impl FnOnce(usize, usize) -> Frame) {
        if !self.count_nodes(1, span) {
            return;
        }
        if self.stack.len() + 1 > self.limits.max_depth {
            let message = self.depth_message();
            self.fail(YamlErrorKind::Limit, span, message);
            return;
        }
        if self.stack.is_empty() {
            self.root_start = Some(span.start);
        }
        self.stack.push(frame(self.nodes - 1, 0));
    }

    fn close(&mut self, span: Span) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let (value, anchor, nodes_before, inner_depth) = match frame {
            Frame::List {
                items,
                anchor,
                nodes_before,
                depth,
            } => (Value::Array(items), anchor, nodes_before, depth),
            Frame::Mapping {
                map,
                anchor,
                nodes_before,
                depth,
                ..
            } => (Value::Object(map), anchor, nodes_before, depth),
        };
        let depth = inner_depth + 1;
        let nodes = self.nodes - nodes_before;
        if anchor == 0 || self.keep_anchor(anchor, &value, nodes, depth, span) {
            self.complete(value, depth, span);
        }
    }

    /// Keeps a copy of an anchored node for later aliases. The copy counts
    /// against the node limit too: nested anchors would otherwise each keep
    /// a copy of nearly the whole document.
    fn keep_anchor(
        &mut self,
        anchor: usize,
        value: &Value,
        nodes: usize,
        depth: usize,
        span: Span,
    ) -> bool {
        self.kept = self.kept.saturating_add(nodes);
        if !self.within_node_limit(span) || !self.count_copies(nodes, span) {
            return false;
        }
        let anchored = Anchored {
            value: value.clone(),
            nodes,
            depth,
        };
        self.anchors.insert(anchor, anchored);
        true
    }

    fn on_alias(&mut self, id: usize, span: Span) {
        let Some(anchored) = self.anchors.get(&id) else {
            let message = "alias refers to an anchor that is not defined earlier in this document"
                .to_string();
            self.fail(YamlErrorKind::Syntax, span, message);
            return;
        };
        let (nodes, depth) = (anchored.nodes, anchored.depth);
        if !self.count_nodes(nodes, span) {
            return;
        }
        if self.stack.len() + depth > self.limits.max_depth {
            let message = self.depth_message();
            self.fail(YamlErrorKind::Limit, span, message);
            return;
        }
        if !self.count_copies(nodes, span) {
            return;
        }
        let value = self.anchors[&id].value.clone();
        self.complete(value, depth, span);
    }

    /// Adds a finished node to its parent (or makes it the root).
    fn complete(&mut self, value: Value, depth: usize, span: Span) {
        let Some(frame) = self.stack.last_mut() else {
            if self.root_start.is_none() {
                self.root_start = Some(span.start);
            }
            let start = self.root_start.unwrap_or(span.start);
            self.root = Some((value, start));
            return;
        };
        match frame {
            Frame::List {
                items, depth: d, ..
            } => {
                *d = (*d).max(depth);
                items.push(value);
            }
            Frame::Mapping {
                map, key, depth: d, ..
            } => {
                *d = (*d).max(depth);
                match key.take() {
                    None => match key_text(&value) {
                        Some(text) if map.contains_key(&text) => {
                            let message = format!(
                                "duplicate key {text:?} in a mapping; each key may appear only once"
                            );
                            self.fail(YamlErrorKind::Syntax, span, message);
                        }
                        Some(text) => *key = Some(text),
                        None => {
                            let message =
                                "a mapping key must be a string, not a list or mapping".to_string();
                            self.fail(YamlErrorKind::Syntax, span, message);
                        }
                    },
                    Some(k) => {
                        map.insert(k, value);
                    }
                }
            }
        }
    }

    /// Counts `n` more nodes; fails the document when over the limit.
    fn count_nodes(&mut self, n: usize, span: Span) -> bool {
        self.nodes = self.nodes.saturating_add(n);
        self.within_node_limit(span)
    }

    fn within_node_limit(&mut self, span: Span) -> bool {
        if self.nodes.saturating_add(self.kept) <= self.limits.max_nodes {
            return true;
        }
        let message = format!(
            "document has more than {} nodes (counting the copies anchors and aliases make); simplify it or remove nested aliases",
            self.limits.max_nodes
        );
        self.fail(YamlErrorKind::Limit, span, message);
        false
    }

    /// Counts `n` more nodes copied for an anchor or an alias against the
    /// whole text's budget. Past it, reading stops: every later copy would
    /// fail too, and the limit is the file's, not one document's.
    fn count_copies(&mut self, n: usize, span: Span) -> bool {
        self.copied = self.copied.saturating_add(n);
        if self.copied <= self.limits.max_alias_nodes {
            return true;
        }
        let message = format!(
            "file has more than {} nodes copied by anchors and aliases (all its documents together); reading stopped here. Remove nested aliases or split the file into several files",
            self.limits.max_alias_nodes
        );
        self.fail(YamlErrorKind::Limit, span, message);
        self.stopped = true;
        false
    }

    fn depth_message(&self) -> String {
        format!(
            "document nests lists and mappings more than {} levels deep",
            self.limits.max_depth
        )
    }

    fn fail(&mut self, kind: YamlErrorKind, span: Span, message: String) {
        self.push_error(kind, span.start, message);
        self.failed = true;
        self.stack.clear();
        self.anchors.clear();
    }

    /// Records an error at `at`. The one after `max_errors` stops reading;
    /// the caller reports it as where reading stopped.
    fn push_error(&mut self, kind: YamlErrorKind, at: Marker, message: String) {
        let (line, column) = self.position(at);
        self.errors.push(YamlError {
            kind,
            line,
            column,
            message,
        });
        if self.errors.len() > self.limits.max_errors {
            self.stopped = true;
        }
    }

    fn position(&self, marker: Marker) -> (usize, usize) {
        (self.line_offset + marker.line(), marker.col() + 1)
    }
}

/// Mapping keys become strings, as in JSON; collections cannot be keys.
fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Resolves a scalar with the YAML 1.2 core schema (what Backstage's `yaml`
/// package uses): only plain scalars can be null, booleans or numbers.
pub(crate) fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value, String> {
    let core_tag = tag
        .filter(|t| t.is_yaml_core_schema())
        .map(|t| t.suffix.as_str());
    let value = match core_tag {
        Some("str") => return Ok(Value::String(text.to_string())),
        _ if style != ScalarStyle::Plain && core_tag.is_none() => {
            return Ok(Value::String(text.to_string()));
        }
        _ => resolve_plain(text),
    };
    let fits = match core_tag {
        None => true,
        Some("null") => value.is_null(),
        Some("bool") => value.is_boolean(),
        Some("int") => value.is_i64() || value.is_u64(),
        Some("float") => value.is_number(),
        // Other core tags (!!binary, !!timestamp, …) keep the text.
        Some(_) => return Ok(Value::String(text.to_string())),
    };
    if fits {
        Ok(value)
    } else {
        Err(format!(
            "{text:?} is not a valid !!{}",
            core_tag.unwrap_or_default()
        ))
    }
}

/// YAML 1.2 core schema resolution of a plain scalar. Infinity and NaN have
/// no JSON form, so they stay strings.
pub(crate) fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_int(text) {
        return Value::Number(n);
    }
    if is_float(text)
        && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

fn parse_int(text: &str) -> Option<Number> {
    if let Some(octal) = text.strip_prefix("0o") {
        return u64::from_str_radix(octal, 8).ok().map(Number::from);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(Number::from);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    if let Ok(n) = unsigned.parse::<i64>() {
        return Some(Number::from(n));
    }
    if let Ok(n) = unsigned.parse::<u64>() {
        return Some(Number::from(n));
    }
    // Too large for 64 bits: YAML still calls it an int; JSON keeps a float.
    unsigned.parse::<f64>().ok().and_then(Number::from_f64)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests;
