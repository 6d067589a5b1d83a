//! `/create/templates/:namespace/:name`: the wizard. The template's JSON Schema pages
//! become a server-rendered form, one `<fieldset>` per page (the inputs are in
//! `fields`); the form → values conversion is the scaffolder crate's (`form`), and the
//! server checks the values with the same schema (`parameters::validate`).
//!
//! The form posts to [`run_template`] with one of two buttons:
//! - **Create** starts a task and redirects to its page (`/create/tasks/{id}`).
//! - **Preview (dry run)** runs the template without publishing or registering anything
//!   and shows every file that would be published and the log.
//!
//! With JavaScript the answer (problems next to their fields, or the preview) appears in
//! place and what was typed stays. Without it the browser is redirected back to the
//! wizard with the values in the address (`?check=1` or `?preview=1`), which checks
//! them — or runs the dry run — and shows the same; secrets never go into an address, so
//! a secret field is empty again there.

use super::fields::{Field, FieldView, OptionView, PickerLists};
use super::gallery::TemplateCard;
use super::preview::{PreviewData, PreviewView};
use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::identity::FormToken;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Most entities an entity picker's list holds.
#[cfg(feature = "ssr")]
const PICKER_LIMIT: i64 = 200;
/// Most entities a search from a picker answers with.
#[cfg(feature = "ssr")]
const SEARCH_LIMIT: i64 = 50;

/// One page of the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageView {
    pub title: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<FieldView>,
}

/// The suggestions of the entity pickers of some kinds (one list per set of kinds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Datalist {
    pub id: String,
    pub options: Vec<OptionView>,
}

/// A problem with the values: the field it is about (its key), or `None` for the form as
/// a whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemView {
    pub field: Option<String>,
    pub message: String,
}

/// What the wizard page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardData {
    pub template: TemplateCard,
    pub pages: Vec<PageView>,
    pub datalists: Vec<Datalist>,
    /// Problems with the values the address carries (after a post without JavaScript).
    pub problems: Vec<ProblemView>,
    /// The dry run the address asked for (`?preview=1`).
    pub preview: Option<PreviewData>,
    /// Why the dry run could not run (not signed in, not allowed…).
    pub notice: Option<String>,
}

/// What posting the wizard did (with JavaScript; without it the answer is a redirect).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunOutcome {
    /// The task's id; the browser is sent to its page.
    Started(String),
    Invalid(Vec<ProblemView>),
    Preview(PreviewData),
}

/// The wizard of the template `namespace/name`; `search` is the page's query string,
/// which carries values sent back without JavaScript (`values[name]=…`) and what to do
/// with them (`check=1`, `preview=1`).
#[server(prefix = "/_server")]
pub async fn fetch_wizard(
    namespace: String,
    name: String,
    #[server(default)] search: String,
) -> Result<WizardData, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let (card, template) = ssr::load(&namespace, &name).await?;
    let Some(template) = template else {
        return Ok(WizardData {
            template: card,
            pages: Vec::new(),
            datalists: Vec::new(),
            problems: Vec::new(),
            preview: None,
            notice: None,
        });
    };
    let query = ssr::Query::parse(&search, &template);
    let fields = scaffolder::form::fields(&template.pages);
    let values = scaffolder::form::values_from_form(&template.pages, &query.pairs);
    let mut problems = Vec::new();
    let mut preview = None;
    let mut notice = None;
    if query.preview {
        // The secrets were left out of the address: the dry run gets stand-ins for them.
        let mut pairs = query.pairs.clone();
        let stand_ins = ssr::secret_stand_ins(&fields, &pairs);
        let stood_in = !stand_ins.is_empty();
        pairs.extend(stand_ins);
        let values = scaffolder::form::values_from_form(&template.pages, &pairs);
        match ssr::dry_run(&template, &fields, values).await? {
            Ok(done) => preview = Some(done),
            Err(Ok(found)) => problems = found,
            Err(Err(message)) => notice = Some(message),
        }
        if stood_in && notice.is_none() {
            notice = Some(
                "Secrets are never put into the page's address, so this preview used stand-ins \
                 for them; enter them again before you create."
                    .into(),
            );
        }
    } else if query.check {
        let errors =
            scaffolder::parameters::validate(&template.pages, &serde_json::Value::Object(values));
        problems = errors
            .into_iter()
            .map(|e| ssr::problem(&fields, &e.path, e.message))
            .collect();
    }
    // Secrets never travel in the address, so a secret field is empty here even when it
    // was filled in: say so rather than that it is missing.
    for problem in &mut problems {
        if ssr::is_secret(&fields, problem.field.as_deref()) {
            problem.message =
                "Enter it again: secrets are never put into the page's address.".into();
        }
    }
    let shown = if query.check || query.preview {
        query.pairs
    } else {
        scaffolder::form::default_pairs(&template.pages)
    };
    let (pages, datalists) = ssr::pages(&template, &shown).await?;
    Ok(WizardData {
        template: card,
        pages,
        datalists,
        problems,
        preview,
        notice,
    })
}

/// Runs the template `namespace/name` with the posted `values` (`values[key]=…`):
/// `intent` `create` starts a task and redirects to its page; anything else (`preview`,
/// or a form submitted with Enter) is a dry run.
#[server(prefix = "/_server")]
pub async fn run_template(
    namespace: String,
    name: String,
    #[server(default)] intent: String,
    #[server(default)] values: serde_json::Value,
) -> Result<RunOutcome, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let (card, template) = ssr::load(&namespace, &name).await?;
    let Some(template) = template else {
        return Err(AppError::BadInput(format!(
            "The template {} cannot run: {}",
            card.entity_ref,
            card.problems.join("; ")
        )));
    };
    let request = super::ssr::request()?;
    let plain = super::ssr::plain_form_post(&request);
    let fields = scaffolder::form::fields(&template.pages);
    let pairs = ssr::pairs_of_values(&values);
    let create = intent == "create";
    if plain && !create {
        // The dry run is shown by the wizard page itself.
        leptos_axum::redirect(&ssr::back_to_wizard(&card, &fields, &pairs, "preview"));
        return Ok(RunOutcome::Preview(PreviewData::default()));
    }
    let form_values = scaffolder::form::values_from_form(&template.pages, &pairs);
    if !create {
        return match ssr::dry_run(&template, &fields, form_values).await? {
            Ok(preview) => Ok(RunOutcome::Preview(preview)),
            Err(Ok(problems)) => Ok(RunOutcome::Invalid(problems)),
            Err(Err(message)) => Err(AppError::NotAllowed(message)),
        };
    }
    let started = super::ssr::scaffolding()?
        .start(
            request,
            template.entity_ref.clone(),
            form_values,
            serde_json::Map::new(),
        )
        .await;
    match started {
        Ok(id) => {
            leptos_axum::redirect(&super::task_href(&id));
            Ok(RunOutcome::Started(id))
        }
        Err(super::scaffolding::ScaffoldingError::Invalid(problems)) => {
            if plain {
                leptos_axum::redirect(&ssr::back_to_wizard(&card, &fields, &pairs, "check"));
            }
            Ok(RunOutcome::Invalid(
                problems
                    .into_iter()
                    .map(|p| ssr::problem(&fields, &p.path, p.message))
                    .collect(),
            ))
        }
        Err(refused) => Err(super::ssr::refused(refused)),
    }
}

/// Entity refs for an entity picker: entities of `kinds` (comma-separated, empty for any)
/// whose name or title contains `text`, at most 50, by name.
#[server(prefix = "/_server")]
pub async fn search_entity_refs(
    #[server(default)] kinds: String,
    #[server(default)] text: String,
) -> Result<Vec<OptionView>, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let kinds = ssr::kinds(&kinds)?;
    // `group:default/plat` searches for `plat`.
    let term: String = text
        .rsplit(['/', ':'])
        .next()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(100)
        .collect();
    ssr::entity_options(&kinds, Some(term), SEARCH_LIMIT).await
}

#[component]
pub fn WizardPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let param = move |key: &str| params.read().get(key).unwrap_or_default();
    let data = Resource::new(
        move || (param("namespace"), param("name"), location.search.get()),
        |(namespace, name, search)| fetch_wizard(namespace, name, search),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Wizard data/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Wizard(data: WizardData) -> impl IntoView {
    let card = data.template.clone();
    let heading = view! {
        <Title text=card.title.clone()/>
        <p class="breadcrumb"><a href="/create">"Create"</a></p>
        <h1>{card.title.clone()}</h1>
        {card.description.clone().map(|d| view! { <p class="lead">{d}</p> })}
        <p class="template-meta">
            <code>{card.entity_ref.clone()}</code>
            {card.owner.clone().map(|o| view! { " · Owner: " {crate::pages::catalog::shared::short_ref(&o)} })}
        </p>
    }
    .into_any();
    if !card.problems.is_empty() {
        return view! {
            {heading}
            <div class="template-problems" role="alert">
                <p><strong>"This template cannot run:"</strong></p>
                <ul>{card.problems.into_iter().map(|p| view! { <li><code>{p}</code></li> }).collect_view()}</ul>
                <p><a href="/create">"Choose another template"</a></p>
            </div>
        }
        .into_any();
    }
    view! {
        {heading}
        <WizardForm data/>
    }
    .into_any()
}

#[component]
fn WizardForm(data: WizardData) -> impl IntoView {
    let run = ServerAction::<RunTemplate>::new();
    let WizardData {
        template,
        pages,
        datalists,
        problems: initial_problems,
        preview: initial_preview,
        notice,
    } = data;
    // The problems shown: the answer of the last post, else those the page came with.
    let problems = Memo::new(move |_| match run.value().get() {
        Some(Ok(RunOutcome::Invalid(problems))) => problems,
        Some(Ok(_)) => Vec::new(),
        Some(Err(_)) | None => initial_problems.clone(),
    });
    let preview = Memo::new(move |_| match run.value().get() {
        Some(Ok(RunOutcome::Preview(preview))) => Some(preview),
        Some(Ok(_)) => None,
        Some(Err(_)) | None => initial_preview.clone(),
    });
    let failure = move || {
        run.value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <p class="register-error" role="alert">{error.to_string()}</p> })
    };
    let lists: HashMap<String, RwSignal<Vec<OptionView>>> = datalists
        .iter()
        .map(|d| (d.id.clone(), RwSignal::new(d.options.clone())))
        .collect();
    let datalist_views = lists
        .iter()
        .map(|(id, options)| {
            let options = *options;
            view! {
                <datalist id=id.clone()>
                    {move || options.get().into_iter().map(|o| view! { <option value=o.value>{o.label}</option> }).collect_view()}
                </datalist>
            }
        })
        .collect_view();
    provide_context(PickerLists(StoredValue::new(lists)));
    let general = move || {
        let list: Vec<String> = problems
            .get()
            .into_iter()
            .filter(|p| p.field.is_none())
            .map(|p| p.message)
            .collect();
        let count = problems.get().len();
        (count > 0).then(|| {
            view! {
                <div class="wizard-problems" role="alert">
                    <p><strong>{if count == 1 { "One value needs fixing.".to_string() } else { format!("{count} values need fixing.") }}</strong></p>
                    {(!list.is_empty()).then(|| view! { <ul>{list.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul> })}
                </div>
            }
        })
    };
    // With JavaScript, the answer takes the focus: the preview, or the first field to fix.
    Effect::new(move |_| {
        let target = match run.value().get() {
            Some(Ok(RunOutcome::Preview(_))) => "#preview",
            Some(Ok(RunOutcome::Invalid(_))) => ".wizard [aria-invalid=\"true\"]",
            _ => return,
        };
        request_animation_frame(move || {
            use leptos::wasm_bindgen::JsCast;
            let found = document().query_selector(target).ok().flatten();
            if let Some(element) =
                found.and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
            {
                let _ = element.focus();
            }
        });
    });
    let any_required = pages.iter().flat_map(|p| &p.fields).any(|f| f.required);
    let pending = run.pending();
    view! {
        <ActionForm action=run attr:class="wizard" attr:aria-label=format!("Create from {}", template.title)>
            <FormToken/>
            <input type="hidden" name="namespace" value=template.namespace.clone()/>
            <input type="hidden" name="name" value=template.name.clone()/>
            {any_required.then(|| view! { <p class="hint">"Fields marked "<span class="required">"*"</span>" are required."</p> })}
            {datalist_views}
            {pages.into_iter().enumerate().map(|(index, page)| {
                let legend = page.title.clone().unwrap_or_else(|| "Details".to_string());
                view! {
                    <fieldset class="wizard-page">
                        <legend>{format!("{}. {legend}", index + 1)}</legend>
                        {page.description.map(|d| view! { <p class="hint">{d}</p> })}
                        {page.fields.into_iter().map(|field| {
                            let key = field.key.clone();
                            let mine = Signal::derive(move || {
                                problems
                                    .get()
                                    .into_iter()
                                    .filter(|p| p.field.as_deref() == Some(key.as_str()))
                                    .map(|p| p.message)
                                    .collect::<Vec<_>>()
                            });
                            view! { <Field field problems=mine/> }
                        }).collect_view()}
                    </fieldset>
                }
            }).collect_view()}
            {general}
            {failure}
            {notice.map(|n| view! { <p class="notice" role="status">{n}</p> })}
            <div class="wizard-actions">
                <button type="submit" name="intent" value="preview" class="secondary">"Preview (dry run)"</button>
                <button type="submit" name="intent" value="create">"Create"</button>
                {move || pending.get().then(|| view! { <span class="hint" role="status">"Working…"</span> })}
            </div>
        </ActionForm>
        {move || preview.get().map(|preview| view! { <PreviewView preview/> })}
    }
    .into_any()
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::super::fields::{FieldKind, input_name, key_of_input};
    use super::*;
    use scaffolder::form::{self as form, Widget};
    use scaffolder::template::Template;
    use serde_json::{Map, Value};

    /// The template `namespace/name` as its card, and itself when it can run.
    pub async fn load(
        namespace: &str,
        name: &str,
    ) -> Result<(TemplateCard, Option<Template>), AppError> {
        let namespace = super::super::ssr::path_part("namespace", namespace, 253)?;
        let name = super::super::ssr::path_part("template name", name, 253)?;
        let entity_ref = format!("template:{namespace}/{name}").to_lowercase();
        let store = crate::context::store()?;
        let stored = store.entity_by_ref(&entity_ref).await?.ok_or_else(|| {
            AppError::NotFound(format!(
                "There is no template {entity_ref} in the catalog; the gallery at /create lists them."
            ))
        })?;
        let card = super::super::gallery::ssr::card(&stored.entity_ref, stored.body.clone());
        if !card.problems.is_empty() {
            return Ok((card, None));
        }
        let entity: catalog::Entity =
            serde_json::from_value(stored.body).map_err(AppError::internal)?;
        let template = Template::from_entity(&entity).ok();
        Ok((card, template))
    }

    /// What the wizard's address carries.
    pub struct Query {
        /// The values, as `(key, text)` pairs (never a secret field's).
        pub pairs: Vec<(String, String)>,
        pub check: bool,
        pub preview: bool,
    }

    impl Query {
        pub fn parse(search: &str, template: &Template) -> Query {
            let secrets = scaffolder::parameters::secret_fields(&template.pages);
            let mut query = Query {
                pairs: Vec::new(),
                check: false,
                preview: false,
            };
            for pair in search.trim_start_matches('?').split('&') {
                let (name, text) = pair.split_once('=').unwrap_or((pair, ""));
                let (name, text) = (decode(name), decode(text));
                match name.as_str() {
                    "check" => query.check = true,
                    "preview" => query.preview = true,
                    _ => {
                        if let Some(key) = key_of_input(&name)
                            && !secrets
                                .iter()
                                .any(|s| key == *s || key.starts_with(&format!("{s}[")))
                        {
                            query.pairs.push((key, text));
                        }
                    }
                }
            }
            query
        }
    }

    fn decode(text: &str) -> String {
        percent_encoding::percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    }

    /// The posted values (`values[key]=…` parsed into JSON by the server function's
    /// decoder) as `(key, text)` pairs: nested maps give `parent[child]`, lists repeat
    /// their key.
    pub fn pairs_of_values(values: &Value) -> Vec<(String, String)> {
        fn walk(key: &str, value: &Value, pairs: &mut Vec<(String, String)>) {
            match value {
                Value::Object(map) => {
                    for (child, value) in map {
                        let key = if key.is_empty() {
                            child.clone()
                        } else {
                            format!("{key}[{child}]")
                        };
                        walk(&key, value, pairs);
                    }
                }
                Value::Array(items) => {
                    for item in items {
                        walk(key, item, pairs);
                    }
                }
                Value::String(text) if !key.is_empty() => {
                    pairs.push((key.to_string(), text.clone()))
                }
                Value::Null => {}
                other if !key.is_empty() => pairs.push((key.to_string(), other.to_string())),
                _ => {}
            }
        }
        let mut pairs = Vec::new();
        if values.is_object() {
            walk("", values, &mut pairs);
        }
        pairs
    }

    /// The wizard's address with the values posted (but no secret) and `flag`.
    pub fn back_to_wizard(
        card: &TemplateCard,
        fields: &[form::Field],
        pairs: &[(String, String)],
        flag: &str,
    ) -> String {
        use crate::pages::catalog::shared::encode_query;
        let mut query = vec![format!("{flag}=1")];
        for (key, text) in pairs {
            let Some(field) = fields.iter().find(|f| f.owns(key)) else {
                continue;
            };
            if matches!(field.widget, Widget::Password) || text.is_empty() {
                continue;
            }
            let mut name = input_name(key);
            if matches!(field.widget, Widget::Checkboxes(_)) {
                name.push_str("[]");
            }
            let text = text.replace("\r\n", "\n");
            query.push(format!("{}={}", encode_query(&name), encode_query(&text)));
        }
        format!("{}?{}", card.href(), query.join("&"))
    }

    /// Stand-in values for the secret fields `pairs` lack, as long as their schema asks
    /// for them (a preview without JavaScript: secrets never come back in an address).
    pub fn secret_stand_ins(
        fields: &[form::Field],
        pairs: &[(String, String)],
    ) -> Vec<(String, String)> {
        fields
            .iter()
            .filter(|f| matches!(f.widget, Widget::Password))
            .filter(|f| !pairs.iter().any(|(k, _)| *k == f.key))
            .map(|f| {
                let length = f.min_length.unwrap_or(0).max(8);
                let length = f.max_length.map_or(length, |max| length.min(max));
                (f.key.clone(), "*".repeat(length as usize))
            })
            .collect()
    }

    /// Whether the field `key` is a secret.
    pub fn is_secret(fields: &[form::Field], key: Option<&str>) -> bool {
        fields
            .iter()
            .any(|f| Some(f.key.as_str()) == key && matches!(f.widget, Widget::Password))
    }

    /// A problem of the values, tied to the field it is about.
    pub fn problem(fields: &[form::Field], path: &str, message: String) -> ProblemView {
        ProblemView {
            field: form::field_for(fields, path, &message).map(|f| f.key.clone()),
            message: friendlier(&message),
        }
    }

    /// jsonschema's messages name the value; for a required property, say it as a form does.
    fn friendlier(message: &str) -> String {
        if message.ends_with(" is a required property") {
            return "This is required.".to_string();
        }
        message.to_string()
    }

    /// Runs the dry run: the preview, the problems with the values, or why it was refused.
    pub async fn dry_run(
        template: &Template,
        fields: &[form::Field],
        values: Map<String, Value>,
    ) -> Result<Result<PreviewData, Result<Vec<ProblemView>, String>>, AppError> {
        let review = review(fields, &values);
        let request = super::super::ssr::request()?;
        let answer = super::super::ssr::scaffolding()?
            .dry_run(request, template.entity_ref.clone(), values, Map::new())
            .await;
        use super::super::scaffolding::ScaffoldingError;
        Ok(match answer {
            Ok(dry_run) => Ok(PreviewData { review, dry_run }),
            Err(ScaffoldingError::Invalid(problems)) => Err(Ok(problems
                .into_iter()
                .map(|p| problem(fields, &p.path, p.message))
                .collect())),
            Err(ScaffoldingError::Refused { status, message }) if status < 500 => Err(Err(message)),
            Err(other) => return Err(super::super::ssr::refused(other)),
        })
    }

    /// The values given, labelled as the form labels them; secrets hidden.
    fn review(fields: &[form::Field], values: &Map<String, Value>) -> Vec<(String, String)> {
        let root = Value::Object(values.clone());
        fields
            .iter()
            .filter_map(|field| {
                let value = root.pointer(&field.pointer)?;
                let text = match (&field.widget, value) {
                    (Widget::Password, _) => "•••••• (secret)".to_string(),
                    (_, Value::String(text)) => text.clone(),
                    (_, Value::Array(items)) => items
                        .iter()
                        .map(|i| {
                            i.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| i.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    (_, Value::Bool(true)) => "yes".to_string(),
                    (_, Value::Bool(false)) => "no".to_string(),
                    (_, other) => other.to_string(),
                };
                Some((field.label.clone(), text))
            })
            .collect()
    }

    /// The form's pages with each field showing `shown`, and the pickers' lists.
    pub async fn pages(
        template: &Template,
        shown: &[(String, String)],
    ) -> Result<(Vec<PageView>, Vec<Datalist>), AppError> {
        let mut datalists: Vec<(Vec<String>, Datalist)> = Vec::new();
        let mut pages = Vec::new();
        let mut index = 0;
        let mut focused = false;
        for page in form::form(&template.pages) {
            let mut fields = Vec::new();
            for field in page.fields {
                index += 1;
                let id = format!(
                    "field-{index}-{}",
                    field
                        .key
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                        .collect::<String>()
                );
                let kind = match &field.widget {
                    Widget::Text { input_type } => FieldKind::Text {
                        input_type: input_type.to_string(),
                    },
                    Widget::Password => FieldKind::Password,
                    Widget::TextArea => FieldKind::TextArea,
                    Widget::Hidden => FieldKind::Hidden,
                    Widget::Select(choices) => FieldKind::Select(options(choices)),
                    Widget::Checkbox => FieldKind::Checkbox,
                    Widget::Number { .. } => FieldKind::Number,
                    Widget::Lines { .. } => FieldKind::Lines,
                    Widget::Checkboxes(choices) => FieldKind::Checkboxes(options(choices)),
                    Widget::EntityRef { kinds } => {
                        let list = match datalists.iter().find(|(k, _)| k == kinds) {
                            Some((_, list)) => list.id.clone(),
                            None => {
                                let id = format!("entities-{}", datalists.len() + 1);
                                let options = entity_options(kinds, None, PICKER_LIMIT).await?;
                                datalists.push((
                                    kinds.clone(),
                                    Datalist {
                                        id: id.clone(),
                                        options,
                                    },
                                ));
                                id
                            }
                        };
                        FieldKind::EntityRef {
                            list,
                            kinds: kinds.join(","),
                        }
                    }
                    Widget::RepoUrl { hosts, owners } => FieldKind::RepoUrl {
                        hosts: hosts.clone(),
                        owners: owners.clone(),
                    },
                    Widget::Json => FieldKind::Json,
                    Widget::Unsupported(reason) => FieldKind::Unsupported(reason.clone()),
                };
                // One field has the focus: the first that asks for it.
                let autofocus = field.autofocus && !focused;
                focused |= autofocus;
                let secret = matches!(field.widget, Widget::Password);
                fields.push(FieldView {
                    shown: shown
                        .iter()
                        .filter(|(k, _)| !secret && field.owns(k))
                        .cloned()
                        .collect(),
                    key: field.key,
                    id,
                    label: field.label,
                    help: field.help,
                    required: field.required,
                    conditional: field.conditional,
                    autofocus,
                    readonly: field.readonly,
                    placeholder: field.placeholder,
                    pattern: field.html_pattern,
                    min_length: field.min_length,
                    max_length: field.max_length,
                    minimum: field.minimum,
                    maximum: field.maximum,
                    step: field.step,
                    kind,
                });
            }
            pages.push(PageView {
                title: page.title,
                description: page.description,
                fields,
            });
        }
        Ok((pages, datalists.into_iter().map(|(_, d)| d).collect()))
    }

    fn options(choices: &[form::Choice]) -> Vec<OptionView> {
        choices
            .iter()
            .map(|c| OptionView {
                value: c.text.clone(),
                label: c.label.clone(),
            })
            .collect()
    }

    /// `group,user` → the kinds, checked.
    pub fn kinds(text: &str) -> Result<Vec<String>, AppError> {
        let kinds: Vec<String> = text
            .split(',')
            .map(|k| k.trim().to_lowercase())
            .filter(|k| !k.is_empty())
            .collect();
        if kinds.len() > 20
            || kinds.iter().any(|k| {
                k.len() > 63
                    || !k
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
        {
            return Err(AppError::BadInput(
                "kinds is a comma-separated list of entity kinds (group,user)".into(),
            ));
        }
        Ok(kinds)
    }

    /// Up to `limit` entities of `kinds` (any kind when empty), by name, matching `term`
    /// in their name, title or display name when given: one indexed query.
    pub async fn entity_options(
        kinds: &[String],
        term: Option<String>,
        limit: i64,
    ) -> Result<Vec<OptionView>, AppError> {
        let store = crate::context::store()?;
        let query = store::EntityQuery {
            filter: (!kinds.is_empty()).then(|| store::EntityFilter::Equals {
                key: "kind".into(),
                values: kinds.to_vec(),
            }),
            text: term
                .filter(|t| !t.is_empty())
                .map(|term| store::TextFilter {
                    term,
                    keys: vec![
                        "metadata.name".into(),
                        "metadata.title".into(),
                        "spec.profile.displayname".into(),
                    ],
                }),
            order: vec![store::OrderField {
                key: "metadata.name".into(),
                descending: false,
            }],
            limit: Some(limit),
            offset: 0,
        };
        let rows = store.query_entity_summaries(&query).await?;
        Ok(rows
            .into_iter()
            .map(|row| OptionView {
                label: row.title.clone().unwrap_or_else(|| row.name.clone()),
                value: row.entity_ref,
            })
            .collect())
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;

        #[test]
        fn posted_values_become_pairs() {
            let values = json!({"name": "a", "db": {"engine": "pg"}, "envs": ["dev", "prod"], "repoUrl": {"host": "github.com", "owner": "acme", "repo": "x"}});
            let pairs = pairs_of_values(&values);
            assert!(pairs.contains(&("name".into(), "a".into())));
            assert!(pairs.contains(&("db[engine]".into(), "pg".into())));
            assert_eq!(pairs.iter().filter(|(k, _)| k == "envs").count(), 2);
            assert!(pairs.contains(&("repoUrl[owner]".into(), "acme".into())));
            assert!(pairs_of_values(&json!("")).is_empty());
        }
    }
}
