//! The editor: the form for the common fields and the YAML, which is the source of truth.
//! The form's fields patch the YAML on the server; typing in the YAML re-renders the
//! preview after a pause.

use super::preview::PreviewView;
use super::{Preview, apply_application_field, preview_application};
use crate::pages::identity::FormToken;
use leptos::prelude::*;

/// How long typing must pause before the preview is rendered again.
const DEBOUNCE_MS: u64 = 400;

#[component]
pub(super) fn Editor(
    yaml: String,
    file: Option<String>,
    pair: (Option<String>, Option<String>),
) -> impl IntoView {
    let text = RwSignal::new(yaml.clone());
    let rendered_text = RwSignal::new(yaml.clone());
    let selected = RwSignal::new(file);
    let pair = RwSignal::new(pair);
    let field_error = RwSignal::new(None::<String>);
    let timer = StoredValue::new(None::<leptos::leptos_dom::helpers::TimeoutHandle>);

    let preview = Resource::new(
        move || (rendered_text.get(), pair.get()),
        |(yaml, (from, to))| preview_application(yaml, from, to),
    );

    let on_input = move |ev: leptos::ev::Event| {
        text.set(event_target_value(&ev));
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || rendered_text.set(text.get_untracked()),
            std::time::Duration::from_millis(DEBOUNCE_MS),
        )
        .ok();
        timer.set_value(handle);
    };
    let apply = move |field: &'static str, value: String| {
        let current = text.get_untracked();
        leptos::task::spawn_local(async move {
            match apply_application_field(current, field.to_string(), value).await {
                Ok(yaml) => {
                    field_error.set(None);
                    text.set(yaml.clone());
                    rendered_text.set(yaml);
                }
                Err(error) => field_error.set(Some(error.to_string())),
            }
        });
    };
    // With JavaScript everything is live: submitting only renders now.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        rendered_text.set(text.get_untracked());
    };

    view! {
        <form class="app-spec" method="get" action="/create/application" on:submit=on_submit>
            <div class="app-spec-editor">
                <Transition fallback=|| view! { <p>"Rendering…"</p> }>
                    {move || Suspend::new(async move {
                        match preview.await {
                            Ok(p) => view! { <FieldsForm preview=p apply/> }.into_any(),
                            Err(error) => view! { <p class="app-spec-error" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
                {move || field_error.get().map(|e| view! { <p class="app-spec-error" role="alert">{e}</p> })}
                <div class="app-spec-yaml">
                    <label for="app-spec-text">"Application spec (YAML)"</label>
                    <textarea id="app-spec-text" name="spec" rows="30" spellcheck="false" autocomplete="off"
                        aria-describedby="app-spec-text-help"
                        prop:value=move || text.get() on:input=on_input>{yaml}</textarea>
                    <p id="app-spec-text-help" class="hint">"The YAML is the source of truth; the form edits it. "
                        <a href="/api/render/schema">"JSON Schema"</a>" for editors."</p>
                    <button type="submit">"Render preview"</button>
                </div>
            </div>
            <section class="app-spec-preview" aria-labelledby="app-spec-preview-heading">
                <h2 id="app-spec-preview-heading">"Preview"</h2>
                <Transition fallback=|| view! { <p>"Rendering…"</p> }>
                    {move || Suspend::new(async move {
                        match preview.await {
                            Ok(p) => view! { <PreviewView preview=p selected pair/> }.into_any(),
                            Err(error) => view! { <p class="app-spec-error" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </form>
        <form class="app-spec-download" method="post" action="/api/render?format=zip">
            <FormToken/>
            <input type="hidden" name="spec" value=yaml_for_download(&text) prop:value=move || text.get()/>
            <button type="submit">"Download the rendered files (.zip)"</button>
        </form>
    }
}

fn yaml_for_download(text: &RwSignal<String>) -> String {
    text.get_untracked()
}

#[component]
fn FieldsForm(
    preview: Preview,
    apply: impl Fn(&'static str, String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let f = preview.fields.clone();
    let text_input = move |key: &'static str, label: &'static str, value: String, numeric: bool| {
        let id = format!("app-field-{key}");
        view! {
            <label for=id.clone()>{label}</label>
            <input id=id name=key type=if numeric { "number" } else { "text" }
                inputmode=if numeric { "numeric" } else { "text" }
                value=value on:change=move |ev| apply(key, event_target_value(&ev))/>
        }
    };
    let select = move |key: &'static str,
                       label: &'static str,
                       current: String,
                       options: Vec<(String, String)>| {
        let id = format!("app-field-{key}");
        view! {
            <label for=id.clone()>{label}</label>
            <select id=id name=key on:change=move |ev| apply(key, event_target_value(&ev))>
                {options.into_iter().map(|(value, text)| {
                    let selected = value == current;
                    view! { <option value=value selected=selected>{text}</option> }
                }).collect_view()}
            </select>
        }
    };
    let same = |v: &Vec<String>| v.iter().map(|s| (s.clone(), s.clone())).collect::<Vec<_>>();
    let mut languages = same(&preview.languages);
    if !preview.languages.contains(&f.language) {
        languages.insert(0, (f.language.clone(), format!("{} (unknown)", f.language)));
    }
    let mut frameworks = same(&preview.frameworks);
    if !preview.frameworks.contains(&f.framework) {
        frameworks.insert(
            0,
            (f.framework.clone(), format!("{} (unknown)", f.framework)),
        );
    }
    view! {
        <fieldset class="app-spec-fields">
            <legend>"Common fields"</legend>
            <div class="app-spec-grid">
                {text_input("name", "Name", f.name.clone(), false)}
                {text_input("namespace", "Team namespace", f.namespace.clone(), false)}
                {select("language", "Language", f.language.clone(), languages)}
                {select("framework", "Framework", f.framework.clone(), frameworks)}
                {text_input("min_replicas", "Min replicas", f.min_replicas.clone(), true)}
                {text_input("max_replicas", "Max replicas", f.max_replicas.clone(), true)}
                {text_input("target_cpu", "Target CPU %", f.target_cpu.clone(), true)}
                {select("service_mesh", "Service mesh", f.service_mesh.clone(), vec![(String::new(), "none".into()), ("istio".into(), "istio".into())])}
                {select("monitoring", "Monitoring", f.monitoring.clone(), vec![("on".into(), "on".into()), ("off".into(), "off".into())])}
            </div>
            <button type="submit" name="apply" value="fields">"Apply form to YAML"</button>
        </fieldset>
    }
}
