//! Proposing a Component for a repository that has no catalog file: Backstage's
//! "generate entities" answer of `POST /analyze-location`
//! (`AnalyzeLocationGenerateEntity` in `@backstage/plugin-catalog-common`), from facts
//! the server reads from GitHub. Pure: the reading is the server's.
//!
//! The rules, each with the text that tells the person where a value came from:
//! - `metadata.name`: the repository's name, made a valid entity name (characters
//!   outside `[A-Za-z0-9-_.]` become `-`, the ends must be letters or digits, at most
//!   63 characters). Case is kept: Backstage compares names ignoring case.
//! - `spec.owner`: the owners of the last CODEOWNERS rule that covers the whole
//!   repository (`*`, `**`, `/**` or `/`), as GitHub reads the file (the last matching
//!   rule wins; a rule with no owners means "no owner"). `@org/team` becomes
//!   `group:default/team`, `@login` becomes `user:default/login`; a team is preferred
//!   over a person, and e-mail addresses cannot be mapped. Otherwise the team with admin
//!   permission on the repository; otherwise the person must say.
//! - `spec.type`: `website` when web code (HTML, CSS and its dialects, JavaScript,
//!   TypeScript, Vue, Svelte, Astro) is at least 80% of the repository's code and markup
//!   or styles are at least 10% of it — a browser front end; otherwise `service`, the
//!   default. Languages cannot tell a library from a service, so `library` is never
//!   guessed. Build and infrastructure languages (Shell, Dockerfile, HCL, Makefile, …)
//!   are not counted.
//! - `spec.lifecycle`: `experimental`, as a new entry in the catalog.
//! - `metadata.description`: the repository's description, if it has one.
//! - annotations `github.com/project-slug` and `backstage.io/source-location` (the
//!   default branch's tree), as Backstage's GitHub integration writes them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::validate::is_valid_object_name;

/// What the server read about a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositoryFacts {
    /// The web host, e.g. `github.com`.
    pub host: String,
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    pub description: Option<String>,
    /// Bytes of code per language, as GitHub's `languages` endpoint counts them.
    pub languages: Vec<(String, u64)>,
    /// The CODEOWNERS file GitHub would use: its path and text.
    pub codeowners: Option<(String, String)>,
    /// Teams with admin permission on the repository, or why they are unknown.
    pub admin_teams: Result<Vec<String>, String>,
}

/// Backstage's `state` of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldState {
    AnalysisSuggestedValue,
    AnalysisSuggestedNoValue,
    NeedsUserInput,
}

/// Backstage's `AnalyzeLocationEntityField`: one field of the proposal, with where its
/// value came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedField {
    /// The field's path, e.g. `spec.owner`.
    pub field: String,
    pub state: FieldState,
    pub value: Option<String>,
    pub description: String,
}

/// Backstage's `AnalyzeLocationGenerateEntity`: a (possibly incomplete) entity and its
/// fields. A field that needs the person's input is left out of `entity`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProposedEntity {
    pub entity: Value,
    pub fields: Vec<ProposedField>,
}

/// The most characters an entity name may have.
const MAX_NAME: usize = 63;

/// A valid entity name made from a repository name, or `None` when nothing of it is
/// usable (a name of only separators).
pub fn entity_name(repository: &str) -> Option<String> {
    let replaced: String = repository
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = replaced.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    // ASCII only from here, so byte positions are characters.
    let cut = &trimmed[..trimmed.len().min(MAX_NAME)];
    let name = cut.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    is_valid_object_name(name).then(|| name.to_string())
}

/// One rule of a CODEOWNERS file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeownersRule {
    pub pattern: String,
    pub owners: Vec<String>,
    /// 1-based line number.
    pub line: usize,
}

/// A CODEOWNERS file's rules, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Codeowners {
    pub rules: Vec<CodeownersRule>,
}

impl Codeowners {
    /// Reads CODEOWNERS text as GitHub does: `#` starts a comment (at the start of a line
    /// or of an owner), `\#` is a literal `#` in a pattern, owners follow the pattern.
    pub fn parse(text: &str) -> Codeowners {
        let mut rules = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut tokens = line.split_whitespace();
            let Some(pattern) = tokens.next() else {
                continue;
            };
            let owners = tokens
                .take_while(|token| !token.starts_with('#'))
                .map(str::to_string)
                .collect();
            rules.push(CodeownersRule {
                pattern: pattern.replace("\\#", "#"),
                owners,
                line: index + 1,
            });
        }
        Codeowners { rules }
    }

    /// The last rule that covers every file of the repository: GitHub lets the last
    /// matching rule win, and only these match the repository as a whole.
    pub fn whole_repository(&self) -> Option<&CodeownersRule> {
        self.rules
            .iter()
            .rev()
            .find(|rule| matches!(rule.pattern.as_str(), "*" | "**" | "/**" | "/"))
    }
}

/// An owner of CODEOWNERS as an entity ref: `@org/team` → `group:default/team`,
/// `@login` → `user:default/login`; `None` for e-mail addresses and names that are not
/// valid entity names.
pub fn owner_ref(owner: &str) -> Option<String> {
    let handle = owner.strip_prefix('@')?;
    match handle.split_once('/') {
        Some((org, team)) if !org.is_empty() && is_valid_object_name(team) => {
            Some(format!("group:default/{team}"))
        }
        Some(_) => None,
        None if is_valid_object_name(handle) => Some(format!("user:default/{handle}")),
        None => None,
    }
}

/// `spec.owner`: from CODEOWNERS, else the admin team, else the person's input.
pub fn suggest_owner(
    codeowners: Option<(&str, &Codeowners)>,
    admin_teams: &Result<Vec<String>, String>,
) -> ProposedField {
    let field = |state, value: Option<String>, description: String| ProposedField {
        field: "spec.owner".into(),
        state,
        value,
        description,
    };
    let mut why_not = Vec::new();
    match codeowners {
        None => why_not.push("the repository has no CODEOWNERS file".to_string()),
        Some((path, file)) => match file.whole_repository() {
            None => why_not.push(format!(
                "no rule of {path} covers the whole repository, such as `*`"
            )),
            Some(rule) => {
                let refs: Vec<String> = rule.owners.iter().filter_map(|o| owner_ref(o)).collect();
                let chosen = refs
                    .iter()
                    .find(|r| r.starts_with("group:"))
                    .or(refs.first());
                match chosen {
                    Some(owner) => {
                        let mut description = format!(
                            "From {path} line {}: `{} {}` owns the whole repository",
                            rule.line,
                            rule.pattern,
                            rule.owners.join(" ")
                        );
                        if refs.len() > 1 {
                            description.push_str("; the first team is proposed");
                        }
                        description.push('.');
                        return field(
                            FieldState::AnalysisSuggestedValue,
                            Some(owner.clone()),
                            description,
                        );
                    }
                    None if rule.owners.is_empty() => why_not.push(format!(
                        "the rule `{}` of {path} (line {}) names no owner",
                        rule.pattern, rule.line
                    )),
                    None => why_not.push(format!(
                        "the owners of the rule `{}` of {path} (line {}) are not GitHub \
                         teams or people",
                        rule.pattern, rule.line
                    )),
                }
            }
        },
    }
    match admin_teams {
        Ok(teams) => {
            let mut valid = teams.iter().filter(|t| is_valid_object_name(t));
            if let Some(team) = valid.next() {
                let mut description = format!(
                    "The team {team} has admin permission on the repository ({})",
                    why_not.join("; ")
                );
                if valid.next().is_some() {
                    description.push_str("; other teams have it too");
                }
                description.push('.');
                return field(
                    FieldState::AnalysisSuggestedValue,
                    Some(format!("group:default/{team}")),
                    description,
                );
            }
            why_not.push("no team has admin permission on it".into());
        }
        Err(reason) => why_not.push(reason.clone()),
    }
    field(
        FieldState::NeedsUserInput,
        None,
        format!(
            "Write the owning team as group:default/TEAM (or a person as \
             user:default/NAME): {}.",
            why_not.join("; ")
        ),
    )
}

/// How a language counts for the `spec.type` guess.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LanguageRole {
    /// Markup and styles: what a browser renders.
    Markup,
    /// JavaScript and its dialects: browser or server.
    Script,
    /// Build, configuration and infrastructure: not counted.
    Tooling,
    /// Any other programming language.
    Code,
}

fn language_role(language: &str) -> LanguageRole {
    const MARKUP: &[&str] = &[
        "HTML",
        "CSS",
        "SCSS",
        "Sass",
        "Less",
        "Stylus",
        "Vue",
        "Svelte",
        "Astro",
        "MDX",
        "Handlebars",
        "EJS",
        "Pug",
    ];
    const SCRIPT: &[&str] = &["JavaScript", "TypeScript", "CoffeeScript"];
    const TOOLING: &[&str] = &[
        "Shell",
        "Dockerfile",
        "Makefile",
        "HCL",
        "Nix",
        "PowerShell",
        "Batchfile",
        "Procfile",
        "Jsonnet",
        "Starlark",
        "CMake",
        "Smarty",
        "Mustache",
        "Jinja",
        "Go Template",
        "Open Policy Agent",
    ];
    if MARKUP.contains(&language) {
        LanguageRole::Markup
    } else if SCRIPT.contains(&language) {
        LanguageRole::Script
    } else if TOOLING.contains(&language) {
        LanguageRole::Tooling
    } else {
        LanguageRole::Code
    }
}

/// `spec.type` from the bytes of code per language (the rules are in the module docs).
pub fn suggest_type(languages: &[(String, u64)]) -> ProposedField {
    let counted: Vec<(&str, u64, LanguageRole)> = languages
        .iter()
        .map(|(name, bytes)| (name.as_str(), *bytes, language_role(name)))
        .filter(|(_, bytes, role)| *bytes > 0 && *role != LanguageRole::Tooling)
        .collect();
    let total: u64 = counted.iter().map(|(_, bytes, _)| bytes).sum();
    let share = |role: LanguageRole| -> u64 {
        let bytes: u64 = counted
            .iter()
            .filter(|(_, _, r)| *r == role)
            .map(|(_, b, _)| b)
            .sum();
        percent(bytes, total)
    };
    let (markup, script) = (share(LanguageRole::Markup), share(LanguageRole::Script));
    let field = |value: &str, description: String| ProposedField {
        field: "spec.type".into(),
        state: FieldState::AnalysisSuggestedValue,
        value: Some(value.into()),
        description,
    };
    if total == 0 {
        return field(
            "service",
            "GitHub counts no code in the repository, so the default, service, is \
             proposed; use website or library if it is one."
                .into(),
        );
    }
    let mut by_size = counted.clone();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let counts: Vec<String> = by_size
        .iter()
        .take(3)
        .map(|(name, bytes, _)| format!("{}% {name}", percent(*bytes, total)))
        .collect();
    let counts = counts.join(", ");
    if markup + script >= 80 && markup >= 10 {
        field(
            "website",
            format!(
                "GitHub counts {counts}: web code with markup or styles and little else, \
                 so website is proposed; use service if it is a server."
            ),
        )
    } else {
        field(
            "service",
            format!(
                "GitHub counts {counts}, so the default, service, is proposed; use \
                 website or library if it is one."
            ),
        )
    }
}

/// `part` of `total` in whole percent, rounded down (0 when `total` is 0).
fn percent(part: u64, total: u64) -> u64 {
    if total == 0 {
        0
    } else {
        (u128::from(part) * 100 / u128::from(total)) as u64
    }
}

/// The Component proposed for a repository, with its fields.
pub fn propose_component(facts: &RepositoryFacts) -> ProposedEntity {
    let slug = format!("{}/{}", facts.owner, facts.name);
    let mut fields = Vec::new();

    let name = entity_name(&facts.name);
    fields.push(match &name {
        Some(name) if *name == facts.name => ProposedField {
            field: "metadata.name".into(),
            state: FieldState::AnalysisSuggestedValue,
            value: Some(name.clone()),
            description: "The repository's name.".into(),
        },
        Some(name) => ProposedField {
            field: "metadata.name".into(),
            state: FieldState::AnalysisSuggestedValue,
            value: Some(name.clone()),
            description: format!(
                "The repository's name, {:?}, changed to fit entity names (1-63 letters, \
                 digits, -, _ and ., starting and ending with a letter or digit).",
                facts.name
            ),
        },
        None => ProposedField {
            field: "metadata.name".into(),
            state: FieldState::NeedsUserInput,
            value: None,
            description: format!(
                "The repository's name, {:?}, has nothing usable for an entity name: \
                 write 1-63 letters, digits, -, _ and ., starting and ending with a \
                 letter or digit.",
                facts.name
            ),
        },
    });

    let description = facts
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    fields.push(match description {
        Some(text) => ProposedField {
            field: "metadata.description".into(),
            state: FieldState::AnalysisSuggestedValue,
            value: Some(text.into()),
            description: "The repository's description on GitHub.".into(),
        },
        None => ProposedField {
            field: "metadata.description".into(),
            state: FieldState::AnalysisSuggestedNoValue,
            value: None,
            description: "The repository has no description on GitHub; add one if you like.".into(),
        },
    });

    let kind = suggest_type(&facts.languages);
    let lifecycle = ProposedField {
        field: "spec.lifecycle".into(),
        state: FieldState::AnalysisSuggestedValue,
        value: Some("experimental".into()),
        description: "New to the catalog; use production once it runs in production.".into(),
    };
    let parsed = facts
        .codeowners
        .as_ref()
        .map(|(path, text)| (path.as_str(), Codeowners::parse(text)));
    let owner = suggest_owner(
        parsed.as_ref().map(|(path, file)| (*path, file)),
        &facts.admin_teams,
    );

    let mut metadata = Map::new();
    if let Some(name) = &name {
        metadata.insert("name".into(), json!(name));
    }
    if let Some(text) = description {
        metadata.insert("description".into(), json!(text));
    }
    metadata.insert(
        "annotations".into(),
        json!({
            "github.com/project-slug": slug,
            "backstage.io/source-location": format!(
                "url:https://{}/{slug}/tree/{}/",
                facts.host, facts.default_branch
            ),
        }),
    );
    let mut spec = Map::new();
    for field in [&kind, &lifecycle, &owner] {
        if let (Some(key), Some(value)) = (field.field.strip_prefix("spec."), &field.value) {
            spec.insert(key.into(), json!(value));
        }
    }
    fields.extend([kind, lifecycle, owner]);
    ProposedEntity {
        entity: json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": metadata,
            "spec": spec,
        }),
        fields,
    }
}

impl ProposedEntity {
    /// The proposal as catalog YAML to edit: every field that needs input present with
    /// an empty value (so previewing it points at the line), and a comment above each
    /// field saying where its value came from.
    pub fn to_yaml(&self) -> String {
        let mut entity = self.entity.clone();
        for field in &self.fields {
            if field.state == FieldState::NeedsUserInput
                && let Some((section, key)) = field.field.split_once('.')
                && let Some(map) = entity.get_mut(section).and_then(Value::as_object_mut)
            {
                map.insert(key.into(), json!(""));
            }
        }
        let mut out = String::new();
        let mut section = String::new();
        for line in crate::emit::value_to_yaml(&entity).lines() {
            let depth = line.len() - line.trim_start_matches(' ').len();
            let key = line.trim_start().split(':').next().unwrap_or_default();
            let path = match depth {
                0 => {
                    section = key.to_string();
                    key.to_string()
                }
                2 => format!("{section}.{key}"),
                _ => String::new(),
            };
            if let Some(field) = self.fields.iter().find(|f| f.field == path) {
                let mark = match field.state {
                    FieldState::NeedsUserInput => "NEEDS YOUR INPUT: ",
                    _ => "",
                };
                out.push_str(&format!(
                    "{:depth$}# {mark}{}\n",
                    "",
                    one_line(&field.description)
                ));
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// `text` on one line without control characters, for a YAML comment.
fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests;
