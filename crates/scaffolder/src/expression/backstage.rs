//! The filters Backstage's scaffolder adds to every template (`createDefaultFilters` in
//! plugins/scaffolder-backend/src/lib/templating/filters): `parseRepoUrl`, `projectSlug`,
//! `parseEntityRef` and `pick`. Each works on JSON, as Backstage's do: the values are
//! copied out of the template, and the result copied back in.

use std::sync::Arc;

use minijinja::value::Value;
use minijinja::{Environment, Error};
use serde_json::{Map, Value as Json, json};

use super::js::{self, invalid, to_json};

/// Which kind of SCM a host is: it decides what a repository URL must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScmKind {
    Github,
    Gitlab,
    BitbucketCloud,
    BitbucketServer,
    Azure,
    Gitea,
    Gerrit,
    /// Integrations that only read files (AWS S3, Azure Blob Storage, Google GCS).
    Other,
}

/// One configured SCM host, as in Backstage's `integrations` config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScmIntegration {
    pub host: String,
    pub kind: ScmKind,
}

impl ScmIntegration {
    pub fn new(host: impl Into<String>, kind: ScmKind) -> Self {
        Self {
            host: host.into().to_ascii_lowercase(),
            kind,
        }
    }

    /// The hosts Backstage knows with an empty `integrations` config
    /// (`ScmIntegrations.fromConfig`, @backstage/integration 2.x).
    pub fn backstage_defaults() -> Vec<Self> {
        [
            ("amazonaws.com", ScmKind::Other),
            ("blob.core.windows.net", ScmKind::Other),
            ("dev.azure.com", ScmKind::Azure),
            ("bitbucket.org", ScmKind::BitbucketCloud),
            ("github.com", ScmKind::Github),
            ("gitlab.com", ScmKind::Gitlab),
            ("storage.cloud.google.com", ScmKind::Other),
        ]
        .into_iter()
        .map(|(host, kind)| Self::new(host, kind))
        .collect()
    }
}

pub(super) fn register(env: &mut Environment<'static>, integrations: Arc<[ScmIntegration]>) {
    let hosts = integrations.clone();
    env.add_filter("parseRepoUrl", move |url: Value| {
        parse_repo_url(&js::js_string(&url), &hosts).map(|spec| js::from_json(&spec))
    });
    env.add_filter("projectSlug", move |url: Value| {
        let spec = parse_repo_url(&js::js_string(&url), &integrations)?;
        Ok::<_, Error>(Value::from(project_slug(&spec)))
    });
    env.add_filter(
        "parseEntityRef",
        |reference: Value, context: Option<Value>| {
            let context = context.as_ref().and_then(to_json);
            parse_entity_ref(to_json(&reference), context.as_ref()).map(|r| js::from_json(&r))
        },
    );
    env.add_filter(
        "pick",
        |object: Value, path: Option<Value>, fallback: Option<Value>| {
            let path = path
                .map(|p| js::js_string(&p))
                .unwrap_or_else(|| "undefined".into());
            match to_json(&object).and_then(|o| pick(&o, &path)) {
                Some(found) => js::from_json(&found),
                None => fallback.unwrap_or(Value::UNDEFINED),
            }
        },
    );
}

/// `parseRepoUrl` (@backstage/plugin-scaffolder-node): `github.com?owner=o&repo=r` →
/// `{host, owner, repo, …}`, checking that the parameters the host's SCM needs are there.
pub(super) fn parse_repo_url(input: &str, integrations: &[ScmIntegration]) -> Result<Json, Error> {
    let url = RepoUrl::parse(input).ok_or_else(|| {
        invalid(format!(
            "Invalid repo URL passed to publisher, got {input}, TypeError: Invalid URL"
        ))
    })?;
    let kind = integrations
        .iter()
        .find(|i| i.host == url.host)
        .map(|i| i.kind)
        .ok_or_else(|| {
            invalid(format!(
                "No matching integration configuration for host {}, please check your integrations config",
                url.host
            ))
        })?;
    for param in required_params(kind, url.param("project").is_some()) {
        if url.param(param).is_none_or(str::is_empty) {
            return Err(invalid(format!(
                "Invalid repo URL passed to publisher: https://{input}, missing {param}"
            )));
        }
    }
    Ok(repo_spec(&url))
}

/// What each kind of SCM needs to name a repository (the `switch` in `parseRepoUrl`).
fn required_params(kind: ScmKind, has_project: bool) -> &'static [&'static str] {
    match kind {
        ScmKind::BitbucketCloud => &["workspace", "project", "repo"],
        ScmKind::BitbucketServer | ScmKind::Azure => &["project", "repo"],
        ScmKind::Gitlab if has_project => &[],
        ScmKind::Gitlab => &["owner", "repo"],
        ScmKind::Gitea | ScmKind::Gerrit => &["repo"],
        ScmKind::Github | ScmKind::Other => &["repo", "owner"],
    }
}

fn repo_spec(url: &RepoUrl) -> Json {
    let mut spec = Map::new();
    spec.insert("host".into(), Json::from(url.host.as_str()));
    for name in ["owner", "repo", "organization", "workspace", "project"] {
        if let Some(value) = url.param(name) {
            spec.insert(name.into(), Json::from(value.trim_matches('/')));
        }
    }
    Json::Object(spec)
}

/// `projectSlug`: `owner/repo`, with JavaScript's `undefined` for a missing part.
fn project_slug(spec: &Json) -> String {
    let part = |name: &str| {
        spec.get(name)
            .and_then(Json::as_str)
            .unwrap_or("undefined")
            .to_owned()
    };
    format!("{}/{}", part("owner"), part("repo"))
}

/// The parts of `https://<input>` that `parseRepoUrl` reads, parsed as the WHATWG URL
/// parser does for them: the host (lowercased, default port dropped) and the query.
struct RepoUrl {
    host: String,
    params: Vec<(String, String)>,
}

impl RepoUrl {
    fn parse(input: &str) -> Option<Self> {
        let rest = input
            .trim_matches(|c: char| c <= ' ')
            .trim_start_matches(['/', '\\']);
        let authority_end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = parse_host(host_port)?;
        let after = &rest[authority_end..];
        let query = after
            .split_once('?')
            .map(|(_, q)| q.split('#').next().unwrap_or_default())
            .filter(|_| !after.starts_with('#'))
            .unwrap_or_default();
        Some(Self {
            host,
            params: form_params(query),
        })
    }

    /// `URLSearchParams.get`: the first value given for a name.
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_host(host_port: &str) -> Option<String> {
    let (name, port) = split_port(host_port);
    let forbidden = |c: char| c.is_control() || " #%/:<>?@[\\]^|".contains(c);
    let bracketed = name.starts_with('[') && name.ends_with(']');
    if name.is_empty() || (!bracketed && name.chars().any(forbidden)) {
        return None;
    }
    let port = match port {
        "" => None,
        digits if digits.chars().all(|c| c.is_ascii_digit()) => {
            Some(digits.parse::<u32>().ok().filter(|p| *p <= 65535)?)
        }
        _ => return None,
    };
    let name = name.to_lowercase();
    Some(match port {
        Some(p) if p != 443 => format!("{name}:{p}"),
        _ => name,
    })
}

/// `host:port`, where an IPv6 host keeps its colons inside brackets.
fn split_port(host_port: &str) -> (&str, &str) {
    let skip = if host_port.starts_with('[') {
        host_port.find(']').map_or(host_port.len(), |i| i + 1)
    } else {
        0
    };
    match host_port[skip..].rfind(':') {
        Some(i) => (&host_port[..skip + i], &host_port[skip + i + 1..]),
        None => (host_port, ""),
    }
}

/// `application/x-www-form-urlencoded` parsing, as `URLSearchParams` does.
fn form_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
        .collect()
}

fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && hex_byte(&bytes[i + 1..i + 3]).is_some() => {
                out.extend(hex_byte(&bytes[i + 1..i + 3]));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(pair).ok()?;
    u8::from_str_radix(text, 16)
        .ok()
        .filter(|_| pair.iter().all(u8::is_ascii_hexdigit))
}

/// `parseEntityRef` (@backstage/catalog-model): `[kind:][namespace/]name`, or an object
/// with those fields, completed with `defaultKind` and `defaultNamespace` (or `default`).
pub(super) fn parse_entity_ref(
    reference: Option<Json>,
    context: Option<&Json>,
) -> Result<Json, Error> {
    let reference = reference
        .filter(is_js_truthy)
        .ok_or_else(|| invalid("Entity reference must not be empty"))?;
    let default_kind = context
        .and_then(|c| c.get("defaultKind"))
        .filter(|v| !v.is_null())
        .cloned();
    let default_namespace = context
        .and_then(|c| c.get("defaultNamespace"))
        .filter(|v| is_js_truthy(v))
        .cloned()
        .unwrap_or_else(|| json!("default"));
    let (kind, namespace, name) = match &reference {
        Json::String(text) => {
            let (kind, namespace, name) = split_ref(text)?;
            (
                kind.map(Json::from),
                namespace.map(Json::from),
                Some(Json::from(name)),
            )
        }
        other => {
            let field = |f: &str| other.get(f).filter(|v| !v.is_null()).cloned();
            (
                field("kind"),
                field("namespace"),
                other.get("name").cloned(),
            )
        }
    };
    let kind = kind.or(default_kind);
    let namespace = namespace.or(Some(default_namespace));
    let textual = reference.to_string();
    let missing = |what: &str| {
        invalid(format!(
            "Entity reference {textual} had missing or empty {what}"
        ))
    };
    let kind = kind.filter(is_js_truthy).ok_or_else(|| {
        invalid(format!(
            "Entity reference {textual} had missing or empty kind (e.g. did not start with \"component:\" or similar)"
        ))
    })?;
    let namespace = namespace
        .filter(is_js_truthy)
        .ok_or_else(|| missing("namespace"))?;
    let name = name.filter(is_js_truthy).ok_or_else(|| missing("name"))?;
    Ok(json!({ "kind": kind, "namespace": namespace, "name": name }))
}

/// `parseRefString`: a `/` before the `:` makes the whole rest the name.
fn split_ref(text: &str) -> Result<(Option<&str>, Option<&str>, &str), Error> {
    let slash = text.find('/');
    let colon = text.find(':').filter(|c| slash.is_none_or(|s| s > *c));
    let kind = colon.map(|c| &text[..c]);
    let name_start = colon.map_or(0, |c| c + 1);
    let namespace = slash.map(|s| &text[name_start..s]);
    let name = &text[slash.map_or(name_start, |s| s + 1).max(name_start)..];
    if kind == Some("") || namespace == Some("") || name.is_empty() {
        return Err(invalid(format!(
            "Entity reference \"{text}\" was not on the form [<kind>:][<namespace>/]<name>"
        )));
    }
    Ok((kind, namespace, name))
}

fn is_js_truthy(value: &Json) -> bool {
    match value {
        Json::Array(_) => true,
        other => js::is_truthy(other),
    }
}

/// `pick` is lodash's `get`: a key, or a path such as `a.b[0]` or `a["b.c"]`.
pub(super) fn pick(object: &Json, path: &str) -> Option<Json> {
    if object.get(path).is_some() || !is_deep_path(path) {
        return property(object, path);
    }
    split_path(path)
        .iter()
        .try_fold(object.clone(), |value, key| property(&value, key))
}

fn is_deep_path(path: &str) -> bool {
    path.contains('.') || path.contains('[')
}

/// `value[key]` in JavaScript, for JSON values.
fn property(value: &Json, key: &str) -> Option<Json> {
    match value {
        Json::Object(map) => map.get(key).cloned(),
        Json::Array(items) if key == "length" => Some(json!(items.len())),
        Json::Array(items) => items.get(array_index(key)?).cloned(),
        Json::String(text) if key == "length" => Some(json!(js::utf16_len(text))),
        Json::String(text) => {
            let unit = *text
                .encode_utf16()
                .collect::<Vec<_>>()
                .get(array_index(key)?)?;
            Some(Json::from(String::from_utf16_lossy(&[unit])))
        }
        _ => None,
    }
}

/// Only canonical numbers index an array (`"01"` is a property name).
fn array_index(key: &str) -> Option<usize> {
    key.parse::<usize>().ok().filter(|i| i.to_string() == key)
}

/// lodash's `stringToPath`: `a.b`, `a[0]`, `a["b.c"]`, `a['b']`.
fn split_path(path: &str) -> Vec<String> {
    let mut keys = Vec::new();
    if path.starts_with('.') {
        keys.push(String::new());
    }
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let (key, remaining) = bracket_key(after);
            keys.push(key);
            rest = remaining;
        } else if let Some(after) = rest.strip_prefix('.') {
            rest = after;
        } else {
            let end = rest.find(['.', '[', ']']).unwrap_or(rest.len()).max(1);
            keys.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    keys
}

fn bracket_key(after: &str) -> (String, &str) {
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
    let Some(quote) = quote else {
        let end = after.find(']').unwrap_or(after.len());
        return (
            after[..end].trim().to_owned(),
            after.get(end + 1..).unwrap_or_default(),
        );
    };
    let mut key = String::new();
    let mut chars = after[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => key.extend(chars.next().map(|(_, c)| c)),
            c if c == quote => {
                let rest = &after[1 + i + 1..];
                return (key, rest.strip_prefix(']').unwrap_or(rest));
            }
            c => key.push(c),
        }
    }
    (key, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<ScmIntegration> {
        ScmIntegration::backstage_defaults()
    }

    #[test]
    fn parses_repo_urls_like_backstage() {
        let spec = parse_repo_url("github.com?owner=o&repo=r", &defaults()).unwrap();
        assert_eq!(
            spec,
            json!({"host": "github.com", "owner": "o", "repo": "r"})
        );
        let spec = parse_repo_url("GitHub.com:443?owner=a+b&repo=%2Fr%2F", &defaults()).unwrap();
        assert_eq!(
            spec,
            json!({"host": "github.com", "owner": "a b", "repo": "r"})
        );
        let spec = parse_repo_url("gitlab.com?project=12", &defaults()).unwrap();
        assert_eq!(project_slug(&spec), "undefined/undefined");
    }

    #[test]
    fn rejects_incomplete_repo_urls() {
        for bad in [
            "github.com?repo=r",
            "?owner=o",
            "example.com?owner=o&repo=r",
            "bitbucket.org?repo=r&owner=o",
        ] {
            assert!(parse_repo_url(bad, &defaults()).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_entity_refs_like_the_catalog() {
        let parsed = parse_entity_ref(Some(json!("group:team-a")), None).unwrap();
        assert_eq!(
            parsed,
            json!({"kind": "group", "namespace": "default", "name": "team-a"})
        );
        let context = json!({"defaultKind": "user", "defaultNamespace": "ns"});
        let parsed = parse_entity_ref(Some(json!("jane")), Some(&context)).unwrap();
        assert_eq!(
            parsed,
            json!({"kind": "user", "namespace": "ns", "name": "jane"})
        );
        assert!(parse_entity_ref(Some(json!("jane")), None).is_err());
        assert!(parse_entity_ref(Some(json!("a:/b")), None).is_err());
    }

    #[test]
    fn picks_paths_like_lodash_get() {
        let object = json!({"a": {"b": [10, {"c": "x"}]}, "d.e": 1});
        assert_eq!(pick(&object, "a.b[1].c"), Some(json!("x")));
        assert_eq!(pick(&object, "a[\"b\"].length"), Some(json!(2)));
        assert_eq!(pick(&object, "d.e"), Some(json!(1)));
        assert_eq!(pick(&object, "a.missing.c"), None);
    }
}
