//! The preview of what the spec renders to: its status, spec errors with their paths,
//! policy results, the rendered files one at a time, and the differences between two
//! environments.

use super::{FileDiff, Preview};
use leptos::prelude::*;

#[component]
pub(super) fn PreviewView(
    preview: Preview,
    selected: RwSignal<Option<String>>,
    pair: RwSignal<(Option<String>, Option<String>)>,
) -> impl IntoView {
    let Preview {
        files,
        errors,
        violations,
        render_error,
        policies,
        manifests_checked,
        environments,
        diff_from,
        diff_to,
        diffs,
        ..
    } = preview;
    let ok = errors.is_empty() && violations.is_empty() && render_error.is_none();
    let summary = if ok {
        format!(
            "{} files; {manifests_checked} manifests pass the policies.",
            files.len()
        )
    } else if !errors.is_empty() {
        format!("{} error(s) in the spec: nothing rendered.", errors.len())
    } else if !violations.is_empty() {
        format!(
            "{} policy violation(s): the render is refused.",
            violations.len()
        )
    } else {
        "The render failed.".to_string()
    };
    let errors_view = (!errors.is_empty()).then(|| {
        view! {
            <div class="app-spec-errors" role="alert">
                <h3>"Spec errors"</h3>
                <ul>
                    {errors.into_iter().map(|e| view! { <li><code>{e.path}</code>": "{e.message}</li> }).collect_view()}
                </ul>
            </div>
        }
    });
    let policy_view = view! {
        <div class="app-spec-policies">
            <h3>"Policies"</h3>
            {if violations.is_empty() {
                view! {
                    <p class=if ok { "pass" } else { "" }>
                        {if ok { format!("Pass: {manifests_checked} manifests checked against ") } else { "Not evaluated; shipped policies: ".to_string() }}
                        {policies.join(", ")}
                    </p>
                }.into_any()
            } else {
                view! {
                    <table>
                        <thead><tr><th scope="col">"File"</th><th scope="col">"Resource"</th><th scope="col">"Policy"</th><th scope="col">"Message"</th></tr></thead>
                        <tbody>
                            {violations.into_iter().map(|v| view! { <tr><td><code>{v.file}</code></td><td>{v.resource}</td><td>{v.policy}</td><td>{v.message}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </div>
    };
    let default_file = files
        .iter()
        .find(|f| f.path == "deploy/k8s/base/deployment.yaml")
        .or(files.first())
        .map(|f| f.path.clone())
        .unwrap_or_default();
    let current = {
        let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
        let default_file = default_file.clone();
        move || {
            selected
                .get()
                .filter(|p| paths.contains(p))
                .unwrap_or_else(|| default_file.clone())
        }
    };
    let files_view = (!files.is_empty()).then(|| {
        let list = files
            .iter()
            .map(|f| {
                let path = f.path.clone();
                let is_current = {
                    let path = path.clone();
                    let current = current.clone();
                    move || (current() == path).then_some("true")
                };
                let choose = path.clone();
                view! {
                    <li>
                        <button type="submit" name="file" value=path.clone() aria-current=is_current
                            on:click=move |ev| { ev.prevent_default(); selected.set(Some(choose.clone())); }>
                            {path.clone()}
                        </button>
                    </li>
                }
            })
            .collect_view();
        let contents = {
            let current = current.clone();
            move || {
                let path = current();
                let text = files
                    .iter()
                    .find(|f| f.path == path)
                    .map(|f| f.contents.clone())
                    .unwrap_or_default();
                view! {
                    <h3 id="app-spec-file-heading">{path}</h3>
                    <pre class="app-spec-code" tabindex="0" aria-labelledby="app-spec-file-heading"><code>{text}</code></pre>
                }
            }
        };
        view! {
            <div class="app-spec-files">
                <nav aria-label="Rendered files"><ul>{list}</ul></nav>
                <div class="app-spec-file">{contents}</div>
            </div>
        }
    });
    let diff_view = (environments.len() >= 2).then(|| {
        let env_select = move |key: &'static str, label: &'static str, current: String| {
            let id = format!("app-diff-{key}");
            let options = environments
                .iter()
                .map(|e| {
                    let selected = *e == current;
                    view! { <option value=e.clone() selected=selected>{e.clone()}</option> }
                })
                .collect_view();
            view! {
                <label for=id.clone()>{label}</label>
                <select id=id name=key on:change=move |ev| {
                    let value = Some(event_target_value(&ev));
                    pair.update(|(from, to)| if key == "from" { *from = value } else { *to = value });
                }>{options}</select>
            }
        };
        let changed: Vec<FileDiff> = diffs.into_iter().filter(|d| !d.lines.is_empty()).collect();
        view! {
            <div class="app-spec-diff">
                <h3>"Differences between environments"</h3>
                <div class="app-spec-diff-pick">
                    {env_select("from", "From environment", diff_from.clone())}
                    {env_select("to", "To environment", diff_to.clone())}
                    <button type="submit">"Compare"</button>
                </div>
                {if changed.is_empty() {
                    view! { <p>{format!("{diff_from} and {diff_to} render the same files.")}</p> }.into_any()
                } else {
                    changed.into_iter().map(|d| view! {
                        <h4><code>{d.from}</code>" → "<code>{d.to}</code></h4>
                        <pre class="app-spec-code diff" tabindex="0">
                            {d.lines.into_iter().map(|l| {
                                let sign = match l.kind.as_str() { "add" => "+ ", "del" => "- ", "skip" => "", _ => "  " };
                                view! { <span class=format!("diff-{}", l.kind)>{format!("{sign}{}\n", l.text)}</span> }
                            }).collect_view()}
                        </pre>
                    }).collect_view().into_any()
                }}
            </div>
        }
    });
    view! {
        <p class=if ok { "app-spec-status ok" } else { "app-spec-status failed" } aria-live="polite">{summary}</p>
        {errors_view}
        {render_error.map(|e| view! { <p class="app-spec-error" role="alert">{e}</p> })}
        {policy_view}
        {files_view}
        {diff_view}
    }
}
