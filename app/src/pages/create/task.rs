//! `/create/tasks/:id`: one task — its template, who ran it, its status, each step with
//! its status and duration, the log in order, the output links (the repository, the new
//! entity's catalog page) — with Cancel while it is open or running and Retry when it
//! failed or was cancelled, both plain forms.
//!
//! While the task runs the page keeps up: with JavaScript it reads the task again every
//! second; without, it reloads itself every two seconds (a refresh inside `<noscript>`,
//! so browsers running the script do not reload).

use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::{
    EntityRow, EntityTable, parse_ref, ref_href, short_ref, short_time,
};
use crate::pages::identity::FormToken;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

/// Most events the page reads.
#[cfg(feature = "ssr")]
const MAX_EVENTS: i64 = 5_000;

/// One step as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub id: String,
    pub name: String,
    pub action: String,
    pub status: String,
    pub duration: Option<String>,
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogView {
    /// RFC 3339.
    pub at: String,
    pub step: Option<String>,
    pub message: String,
}

/// A link of the task's output: a URL (http or https only), or an entity's page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub title: String,
    pub href: Option<String>,
    /// What the link points at, shown next to it (the URL or the entity ref).
    pub target: String,
}

/// What the task page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: String,
    pub template_ref: String,
    pub template_title: Option<String>,
    pub created_by: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    pub completed_at: Option<String>,
    pub status: String,
    pub steps: Vec<StepView>,
    pub log: Vec<LogView>,
    pub links: Vec<LinkView>,
    pub text: Vec<(Option<String>, String)>,
    pub error: Option<String>,
    /// The catalog entities its output links to that are in the catalog (registered).
    pub entities: Vec<EntityRow>,
    /// The values it ran with (never its secrets: they are not stored).
    pub values: Vec<(String, String)>,
}

impl TaskView {
    /// Open or processing: it may still change.
    pub fn live(&self) -> bool {
        matches!(self.status.as_str(), "open" | "processing")
    }

    pub fn can_retry(&self) -> bool {
        matches!(self.status.as_str(), "failed" | "cancelled")
    }
}

#[server(prefix = "/_server")]
pub async fn fetch_task(id: String) -> Result<TaskView, AppError> {
    crate::identity::require(identity::Action::TaskRead).await?;
    let id = ssr::task_id(&id)?;
    ssr::task(&id).await
}

/// Cancels the task `id` (its creator or an admin); the page shows it being cancelled.
#[server(prefix = "/_server")]
pub async fn cancel_task(id: String) -> Result<String, AppError> {
    crate::identity::require(identity::Action::TaskRead).await?;
    let id = ssr::task_id(&id)?;
    let request = super::ssr::request()?;
    super::ssr::scaffolding()?
        .cancel(request, id)
        .await
        .map_err(super::ssr::refused)
}

/// Runs the failed or cancelled task `id` again from its first unfinished step.
#[server(prefix = "/_server")]
pub async fn retry_task(id: String) -> Result<(), AppError> {
    crate::identity::require(identity::Action::TaskRead).await?;
    let id = ssr::task_id(&id)?;
    let request = super::ssr::request()?;
    super::ssr::scaffolding()?
        .retry(request, id)
        .await
        .map_err(super::ssr::refused)
}

#[component]
pub fn TaskPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let cancel = ServerAction::<CancelTask>::new();
    let retry = ServerAction::<RetryTask>::new();
    let tick = RwSignal::new(0u64);
    let task = Resource::new(
        move || {
            (
                id(),
                tick.get(),
                cancel.version().get(),
                retry.version().get(),
            )
        },
        |(id, ..)| fetch_task(id),
    );
    // With JavaScript: read the task again every second while it may change.
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                if let Some(Ok(view)) = task.get_untracked()
                    && view.live()
                {
                    tick.update(|t| *t += 1);
                }
            },
            std::time::Duration::from_secs(1),
        )
        .ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match task.await {
                    Ok(data) => view! { <Task data cancel retry/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Task(
    data: TaskView,
    cancel: ServerAction<CancelTask>,
    retry: ServerAction<RetryTask>,
) -> impl IntoView {
    let live = data.live();
    let can_retry = data.can_retry();
    let title = data
        .template_title
        .clone()
        .unwrap_or_else(|| short_ref(&data.template_ref));
    let template_href = super::template_ref_href(&data.template_ref);
    let failure = move || {
        let error = cancel
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| retry.value().get().and_then(Result::err));
        error.map(|e| view! { <p class="register-error" role="alert">{e.to_string()}</p> })
    };
    let (cancel_id, retry_id) = (data.id.clone(), data.id.clone());
    view! {
        <Title text=format!("Task: {title}")/>
        {live.then(|| view! { <noscript inner_html=r#"<meta http-equiv="refresh" content="2">"#></noscript> })}
        <p class="breadcrumb"><a href="/create">"Create"</a>" › "<a href="/create/tasks">"Tasks"</a></p>
        <div class="page-heading">
            <h1>{title.clone()}</h1>
            <span class=super::status_class(&data.status) role="status" data-testid="task-status">{data.status.clone()}</span>
        </div>
        <dl class="facts task-facts">
            <dt>"Template"</dt>
            <dd>{match template_href {
                Some(href) => view! { <a href=href>{data.template_ref.clone()}</a> }.into_any(),
                None => view! { <code>{data.template_ref.clone()}</code> }.into_any(),
            }}</dd>
            <dt>"Run by"</dt>
            <dd>{match data.created_by.clone() {
                Some(who) => match parse_ref(&who) {
                    // A User entity links to its page; a sign-in subject is only text.
                    Some(parsed) if parsed.kind.eq_ignore_ascii_case("user") => view! { <a href=ref_href(&parsed)>{short_ref(&who)}</a> }.into_any(),
                    _ => view! { <span>{who}</span> }.into_any(),
                },
                None => view! { <span>"an anonymous visitor"</span> }.into_any(),
            }}</dd>
            <dt>"Started"</dt>
            <dd><time datetime=data.created_at.clone()>{short_time(&data.created_at)}</time></dd>
            {data.completed_at.clone().map(|at| view! {
                <dt>"Ended"</dt>
                <dd><time datetime=at.clone()>{short_time(&at)}</time></dd>
            })}
            <dt>"Task"</dt>
            <dd><code>{data.id.clone()}</code></dd>
        </dl>
        <div class="task-actions">
            {live.then(|| view! {
                <ActionForm action=cancel attr:class="inline-form">
                    <FormToken/>
                    <input type="hidden" name="id" value=cancel_id/>
                    <button type="submit" class="danger">"Cancel"</button>
                </ActionForm>
            })}
            {can_retry.then(|| view! {
                <ActionForm action=retry attr:class="inline-form">
                    <FormToken/>
                    <input type="hidden" name="id" value=retry_id/>
                    <button type="submit">"Retry"</button>
                </ActionForm>
            })}
        </div>
        {failure}
        {data.error.clone().map(|e| view! { <p class="register-error" role="alert">{e}</p> })}
        {(data.status == "completed").then(|| view! {
            <crate::pages::insights::satisfaction::TaskRating id=data.id.clone()/>
        })}
        {(!data.entities.is_empty()).then(|| view! {
            <section aria-labelledby="entities-heading">
                <h2 id="entities-heading">"In the catalog"</h2>
                <EntityTable rows=data.entities.clone()/>
            </section>
        })}
        {(!data.links.is_empty() || !data.text.is_empty()).then(|| view! {
            <section class="card task-output" aria-labelledby="output-heading">
                <h2 id="output-heading">"Output"</h2>
                {(!data.links.is_empty()).then(|| view! {
                    <ul class="output-links">
                        {data.links.iter().cloned().map(|link| view! {
                            <li>{match link.href {
                                Some(href) => view! { <a href=href>{link.title}</a> }.into_any(),
                                None => view! { <span>{link.title}</span> }.into_any(),
                            }}" "<span class="hint">{link.target}</span></li>
                        }).collect_view()}
                    </ul>
                })}
                {data.text.iter().cloned().map(|(title, content)| view! {
                    {title.map(|t| view! { <h3>{t}</h3> })}
                    <pre class="output-text">{content}</pre>
                }).collect_view()}
            </section>
        })}
        <section aria-labelledby="steps-heading">
            <h2 id="steps-heading">"Steps"</h2>
            <ol class="task-steps">
                {data.steps.iter().cloned().map(|step| view! {
                    <li class=format!("task-step step-{}", step.status)>
                        <span class=super::status_class(&step.status)>{step.status.clone()}</span>
                        " "<span class="step-name">{step.name}</span>
                        " "<code class="hint">{step.action}</code>
                        {step.duration.map(|d| view! { " " <span class="step-duration">{d}</span> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
        <section aria-labelledby="log-heading">
            <h2 id="log-heading">"Log"</h2>
            {if data.log.is_empty() {
                view! { <p class="empty">"Nothing yet: the task waits for a free worker."</p> }.into_any()
            } else {
                view! {
                    <ol class="task-log" aria-live="polite">
                        {data.log.iter().cloned().map(|line| view! {
                            <li>
                                <time datetime=line.at.clone()>{line.at.get(11..19).unwrap_or_default().to_string()}</time>
                                {line.step.map(|s| view! { " " <span class="log-step">{s}</span> })}
                                " "{line.message}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
        {(!data.values.is_empty()).then(|| view! {
            <section aria-labelledby="values-heading">
                <h2 id="values-heading">"Values"</h2>
                <dl class="facts">
                    {data.values.iter().cloned().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </section>
        })}
    }
    .into_any()
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use chrono::{TimeZone, Utc};
    use scaffolder::progress::{Event, progress};
    use serde_json::Value;

    /// A task id as the address gives it: a UUID's characters, at most 64.
    pub fn task_id(id: &str) -> Result<String, AppError> {
        let id = id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(AppError::NotFound(format!(
                "{:?} is not a task id; the tasks page lists them.",
                id.chars().take(64).collect::<String>()
            )));
        }
        Ok(id.to_string())
    }

    pub async fn task(id: &str) -> Result<TaskView, AppError> {
        let store = crate::context::store()?;
        let row = store
            .task(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("There is no task {id}.")))?;
        let events = store.task_events(id, None, MAX_EVENTS).await?;
        let spec: Value = serde_json::from_str(&row.spec).unwrap_or(Value::Null);
        let steps: Vec<scaffolder::template::Step> = spec
            .get("steps")
            .cloned()
            .and_then(|s| serde_json::from_value(s).ok())
            .unwrap_or_default();
        let bodies: Vec<Value> = events
            .iter()
            .map(|e| serde_json::from_str(&e.body).unwrap_or(Value::Null))
            .collect();
        let read: Vec<Event> = events
            .iter()
            .zip(&bodies)
            .map(|(event, body)| Event {
                event_type: &event.event_type,
                body,
                at_ms: event.created_at.timestamp_millis(),
            })
            .collect();
        let progress = progress(&steps, &read);
        let now = Utc::now().timestamp_millis();
        let time = |ms: i64| {
            Utc.timestamp_millis_opt(ms)
                .single()
                .map(|t| t.to_rfc3339())
                .unwrap_or_default()
        };
        let template_title = store
            .entity_summaries_by_refs(std::slice::from_ref(&row.template_ref))
            .await?
            .pop()
            .flatten()
            .and_then(|s| s.title.or(Some(s.name)));
        let linked: Vec<String> = progress
            .links
            .iter()
            .filter_map(|link| link.entity_ref.as_ref())
            .filter_map(|r| parse_ref(r))
            .map(|r| format!("{}:{}/{}", r.kind, r.namespace, r.name).to_lowercase())
            .take(20)
            .collect();
        let entities = store
            .entity_summaries_by_refs(&linked)
            .await?
            .into_iter()
            .flatten()
            .map(crate::pages::catalog::shared::ssr::row)
            .collect();
        let values = spec
            .get("parameters")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .map(|(k, v)| {
                        let text = v
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string());
                        (k.clone(), text)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(TaskView {
            id: row.id.clone(),
            template_ref: row.template_ref.clone(),
            template_title,
            created_by: row.created_by.clone(),
            created_at: row.created_at.to_rfc3339(),
            completed_at: row.completed_at.map(|t| t.to_rfc3339()),
            status: row.status.clone(),
            steps: progress
                .steps
                .iter()
                .map(|step| StepView {
                    id: step.id.clone(),
                    name: step.name.clone(),
                    action: step.action.clone(),
                    status: step.status.as_str().to_string(),
                    duration: step.duration_ms(now).map(super::super::duration_text),
                })
                .collect(),
            log: progress
                .log
                .iter()
                .map(|line| LogView {
                    at: time(line.at_ms),
                    step: line.step_id.clone(),
                    message: line.message.clone(),
                })
                .collect(),
            links: progress
                .links
                .into_iter()
                .map(|link| match (link.entity_ref, link.url) {
                    (Some(entity_ref), _) => LinkView {
                        href: parse_ref(&entity_ref).map(|r| ref_href(&r)),
                        title: link.title,
                        target: entity_ref,
                    },
                    (None, Some(url)) => LinkView {
                        // Only web addresses become links: an output is the template's text.
                        href: (url.starts_with("https://") || url.starts_with("http://"))
                            .then(|| url.clone()),
                        title: link.title,
                        target: url,
                    },
                    (None, None) => LinkView {
                        href: None,
                        target: String::new(),
                        title: link.title,
                    },
                })
                .collect(),
            text: progress
                .text
                .into_iter()
                .map(|t| (t.title, t.content))
                .collect(),
            error: progress
                .failure
                .or(progress.error)
                .filter(|_| row.status == "failed"),
            entities,
            values,
        })
    }
}
