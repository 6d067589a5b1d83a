//! The wizard's inputs, one component per kind of field, all server-rendered and usable
//! without JavaScript: every input has a label, its help and its problem are tied to it
//! (`aria-describedby`), and the browser checks what the schema lets it (`required`,
//! `pattern`, lengths, bounds) before the server checks everything.
//!
//! Inputs are named `values[<key>]` (`values[repoUrl][owner]` for a part of a field,
//! `values[envs][]` for checkboxes), so the form posts one map of values next to the
//! wizard's own fields. With JavaScript, typing in an entity picker asks the server for
//! matching entities ([`super::wizard::search_entity_refs`]) and refills its list.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One choice of a select, a list of checkboxes or an entity picker's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionView {
    pub value: String,
    pub label: String,
}

/// What input a field is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldKind {
    /// `input_type`: text, email, url or date.
    Text {
        input_type: String,
    },
    Password,
    TextArea,
    Hidden,
    Select(Vec<OptionView>),
    Checkbox,
    Number,
    /// One item per line.
    Lines,
    Checkboxes(Vec<OptionView>),
    /// An entity ref, suggested from the datalist `list` (entities of `kinds`,
    /// comma-separated; empty for any kind).
    EntityRef {
        list: String,
        kinds: String,
    },
    RepoUrl {
        hosts: Vec<String>,
        owners: Vec<String>,
    },
    /// JSON text.
    Json,
    /// Cannot be filled in here, and why.
    Unsupported(String),
}

/// One field of the wizard as the page renders it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldView {
    /// The key it is submitted under (`name`, `db[engine]`).
    pub key: String,
    /// The id of its input (unique in the page).
    pub id: String,
    pub label: String,
    pub help: Option<String>,
    pub required: bool,
    pub conditional: bool,
    pub autofocus: bool,
    pub readonly: bool,
    pub placeholder: Option<String>,
    pub pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<String>,
    pub maximum: Option<String>,
    pub step: Option<String>,
    pub kind: FieldKind,
    /// What its inputs hold, as `(key, text)` pairs the way they are submitted.
    pub shown: Vec<(String, String)>,
}

impl FieldView {
    fn first(&self, key: &str) -> Option<String> {
        self.shown
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn text(&self) -> String {
        self.first(&self.key).unwrap_or_default()
    }

    fn has(&self, value: &str) -> bool {
        self.shown.iter().any(|(k, v)| k == &self.key && v == value)
    }
}

/// The name an input of the field `key` is posted under: `values[name]`,
/// `values[db][engine]` for `db[engine]`.
pub fn input_name(key: &str) -> String {
    match key.split_once('[') {
        Some((head, tail)) => format!("values[{head}][{tail}"),
        None => format!("values[{key}]"),
    }
}

/// The key of a posted input name (the reverse of [`input_name`]): `values[tags][]` →
/// `tags`; `None` for names that are not the wizard's values.
#[cfg(any(feature = "ssr", test))]
pub fn key_of_input(name: &str) -> Option<String> {
    let rest = name.strip_prefix("values[")?;
    let (head, tail) = rest.split_once(']')?;
    let tail = tail.strip_suffix("[]").unwrap_or(tail);
    Some(format!("{head}{tail}"))
}

/// A part of a field (the repository picker's `host`, `owner`, `repo`).
fn part_key(key: &str, part: &str) -> String {
    format!("{key}[{part}]")
}

/// The entity pickers' lists, by datalist id, refilled as people type (with JavaScript).
#[derive(Clone, Copy)]
pub struct PickerLists(pub StoredValue<HashMap<String, RwSignal<Vec<OptionView>>>>);

/// One field: its label, input(s), help and problems (`problems` changes when the
/// wizard's answer comes back, without touching what was typed).
#[component]
pub fn Field(field: FieldView, problems: Signal<Vec<String>>) -> impl IntoView {
    if let FieldKind::Hidden = field.kind {
        return view! { <input type="hidden" name=input_name(&field.key) value=field.text()/> }
            .into_any();
    }
    if let FieldKind::Unsupported(reason) = &field.kind {
        return view! {
            <div class="field field-unsupported">
                <p><strong>{field.label.clone()}</strong>": "{reason.clone()}</p>
            </div>
        }
        .into_any();
    }
    let id = field.id.clone();
    let help_id = format!("{id}-help");
    let problem_id = format!("{id}-problem");
    let described = format!("{help_id} {problem_id}");
    let invalid = move || (!problems.get().is_empty()).then_some("true");
    let mut help = field.help.clone();
    let extra = match &field.kind {
        FieldKind::Lines => Some("One per line."),
        FieldKind::Json => Some("JSON."),
        FieldKind::Password => Some("Kept secret: never stored, logged or shown again."),
        _ => None,
    };
    if let Some(extra) = extra {
        help = Some(match help {
            Some(help) => format!("{help} {extra}"),
            None => extra.to_string(),
        });
    }
    if field.conditional {
        let note = "Only asked for by some answers above; leave it empty otherwise.";
        help = Some(match help {
            Some(help) => format!("{help} {note}"),
            None => note.to_string(),
        });
    }
    let help_view = help.map(|h| view! { <p id=help_id.clone() class="hint">{h}</p> });
    let problem_view = move || {
        let list = problems.get();
        (!list.is_empty()).then(|| {
            view! {
                <p id=problem_id.clone() class="field-problem">
                    {list.join(" ")}
                </p>
            }
        })
    };
    let required_mark = field
        .required
        .then(|| view! { <span class="required" aria-hidden="true">" *"</span> });
    let name = input_name(&field.key);
    let input = match field.kind.clone() {
        FieldKind::Checkbox => {
            return view! {
                <div class="field field-checkbox">
                    <input type="checkbox" id=id.clone() name=name value="true" checked=field.has("true")
                        autofocus=field.autofocus aria-describedby=described aria-invalid=invalid/>
                    <label for=id>{field.label.clone()}</label>
                    {help_view}
                    {problem_view}
                </div>
            }
            .into_any();
        }
        FieldKind::Checkboxes(options) => {
            let multi = format!("{name}[]");
            return view! {
                <fieldset class="field field-checkboxes" aria-describedby=described>
                    <legend>{field.label.clone()}{required_mark}</legend>
                    {options.into_iter().enumerate().map(|(i, option)| {
                        let option_id = format!("{id}-{i}");
                        let checked = field.has(&option.value);
                        view! {
                            <span class="choice">
                                <input type="checkbox" id=option_id.clone() name=multi.clone() value=option.value checked=checked
                                    autofocus=field.autofocus && i == 0/>
                                <label for=option_id>{option.label}</label>
                            </span>
                        }
                    }).collect_view()}
                    {help_view}
                    {problem_view}
                </fieldset>
            }
            .into_any();
        }
        FieldKind::RepoUrl { hosts, owners } => {
            return view! { <RepoUrlField field hosts owners described problems/> }.into_any();
        }
        FieldKind::Text { input_type } => view! {
            <input type=input_type id=id.clone() name=name value=field.text()
                required=field.required pattern=field.pattern.clone()
                minlength=field.min_length maxlength=field.max_length placeholder=field.placeholder.clone()
                autofocus=field.autofocus readonly=field.readonly
                aria-describedby=described aria-invalid=invalid/>
        }
        .into_any(),
        FieldKind::Password => view! {
            <input type="password" id=id.clone() name=name autocomplete="off"
                required=field.required minlength=field.min_length maxlength=field.max_length
                autofocus=field.autofocus aria-describedby=described aria-invalid=invalid/>
        }
        .into_any(),
        FieldKind::TextArea | FieldKind::Lines | FieldKind::Json => {
            let class = (field.kind == FieldKind::Json).then_some("json");
            view! {
                <textarea id=id.clone() name=name rows="4" class=class
                    required=field.required minlength=field.min_length maxlength=field.max_length
                    placeholder=field.placeholder.clone() autofocus=field.autofocus readonly=field.readonly
                    aria-describedby=described aria-invalid=invalid>{field.text()}</textarea>
            }
            .into_any()
        }
        FieldKind::Number => view! {
            <input type="number" id=id.clone() name=name value=field.text()
                required=field.required min=field.minimum.clone() max=field.maximum.clone() step=field.step.clone()
                placeholder=field.placeholder.clone() autofocus=field.autofocus readonly=field.readonly
                aria-describedby=described aria-invalid=invalid/>
        }
        .into_any(),
        FieldKind::Select(options) => {
            let current = field.text();
            let empty = if field.required { "Choose…" } else { "—" };
            view! {
                <select id=id.clone() name=name required=field.required autofocus=field.autofocus
                    aria-describedby=described aria-invalid=invalid>
                    <option value="" selected=current.is_empty()>{empty}</option>
                    {options.into_iter().map(|option| {
                        let selected = option.value == current;
                        view! { <option value=option.value selected=selected>{option.label}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        FieldKind::EntityRef { list, kinds } => view! {
            <EntityRefInput field=field.clone() list kinds described invalid=Signal::derive(invalid)/>
        }
        .into_any(),
        FieldKind::Hidden | FieldKind::Unsupported(_) => ().into_any(),
    };
    view! {
        <div class="field">
            <label for=id>{field.label.clone()}{required_mark}</label>
            {input}
            {help_view}
            {problem_view}
        </div>
    }
    .into_any()
}

/// Backstage's RepoUrlPicker: the host (one of `allowedHosts`), the owner (one of
/// `allowedOwners` when the template names them) and the repository's name.
#[component]
fn RepoUrlField(
    field: FieldView,
    hosts: Vec<String>,
    owners: Vec<String>,
    described: String,
    problems: Signal<Vec<String>>,
) -> impl IntoView {
    let id = field.id.clone();
    let part = |p: &str| field.first(&part_key(&field.key, p)).unwrap_or_default();
    let (host, owner, repo) = (part("host"), part("owner"), part("repo"));
    let name = |p: &str| input_name(&part_key(&field.key, p));
    let invalid = move || (!problems.get().is_empty()).then_some("true");
    let problem_id = format!("{id}-problem");
    let help_id = format!("{id}-help");
    let fieldset_described = described.clone();
    let owner_input = if owners.is_empty() {
        view! {
            <input type="text" id=format!("{id}-owner") name=name("owner") value=owner
                required=field.required autocomplete="off" aria-describedby=described.clone() aria-invalid=invalid/>
        }
        .into_any()
    } else {
        view! {
            <select id=format!("{id}-owner") name=name("owner") required=field.required
                aria-describedby=described.clone() aria-invalid=invalid>
                <option value="" selected=owner.is_empty()>"Choose…"</option>
                {owners.into_iter().map(|o| {
                    let selected = o == owner;
                    view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                }).collect_view()}
            </select>
        }
        .into_any()
    };
    view! {
        <fieldset class="field field-repo-url" aria-describedby=fieldset_described>
            <legend>{field.label.clone()}{field.required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}</legend>
            <div class="repo-url-parts">
                <span class="repo-url-part">
                    <label for=format!("{id}-host")>"Host"</label>
                    <select id=format!("{id}-host") name=name("host") autofocus=field.autofocus>
                        {hosts.into_iter().map(|h| {
                            let selected = h == host;
                            view! { <option value=h.clone() selected=selected>{h.clone()}</option> }
                        }).collect_view()}
                    </select>
                </span>
                <span class="repo-url-part">
                    <label for=format!("{id}-owner")>"Owner (organisation or user)"</label>
                    {owner_input}
                </span>
                <span class="repo-url-part">
                    <label for=id.clone()>"Repository name"</label>
                    <input type="text" id=id.clone() name=name("repo") value=repo required=field.required
                        pattern="[A-Za-z0-9_.\\-]+" autocomplete="off" aria-describedby=described aria-invalid=invalid/>
                </span>
            </div>
            {field.help.clone().map(|h| view! { <p id=help_id class="hint">{h}</p> })}
            {move || {
                let list = problems.get();
                (!list.is_empty()).then(|| view! { <p id=problem_id.clone() class="field-problem">{list.join(" ")}</p> })
            }}
        </fieldset>
    }
}

/// A text input suggesting entity refs from a datalist the page filled with the first
/// entities of the picker's kinds; with JavaScript, typing asks the server for matches.
#[component]
fn EntityRefInput(
    field: FieldView,
    list: String,
    kinds: String,
    described: String,
    invalid: Signal<Option<&'static str>>,
) -> impl IntoView {
    let lists = use_context::<PickerLists>();
    let generation = StoredValue::new(0u64);
    let list_for_search = list.clone();
    let on_input = move |ev: leptos::ev::Event| {
        let Some(lists) = lists else { return };
        let Some(options) = lists.0.with_value(|l| l.get(&list_for_search).copied()) else {
            return;
        };
        let text = event_target_value(&ev);
        let kinds = kinds.clone();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        if text.trim().chars().count() < 2 {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(found) = super::wizard::search_entity_refs(kinds, text).await
                && generation.get_value() == mine
                && !found.is_empty()
            {
                options.set(found);
            }
        });
    };
    view! {
        <input type="text" id=field.id.clone() name=input_name(&field.key) value=field.text() list=list
            autocomplete="off" spellcheck="false" required=field.required pattern=field.pattern.clone()
            placeholder=field.placeholder.clone().unwrap_or_else(|| "kind:namespace/name".into())
            autofocus=field.autofocus readonly=field.readonly
            aria-describedby=described aria-invalid=invalid on:input=on_input/>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_names_and_keys_are_each_others_reverse() {
        assert_eq!(input_name("name"), "values[name]");
        assert_eq!(input_name("db[engine]"), "values[db][engine]");
        assert_eq!(input_name("repoUrl[owner]"), "values[repoUrl][owner]");
        assert_eq!(key_of_input("values[name]").as_deref(), Some("name"));
        assert_eq!(
            key_of_input("values[db][engine]").as_deref(),
            Some("db[engine]")
        );
        assert_eq!(key_of_input("values[envs][]").as_deref(), Some("envs"));
        assert_eq!(key_of_input("form_token"), None);
    }
}
