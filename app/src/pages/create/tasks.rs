//! `/create/tasks`: "My tasks" — the tasks the signed-in person started, newest first —
//! and, for admins, every task (`?scope=all`); filtered by status (`?status=`) and paged
//! (`?offset=`) through links and a GET form.

use super::task_href;
use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::{short_ref, short_time};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// Tasks per page.
pub const PAGE: i64 = 50;

/// The statuses a task can have, as the filter offers them.
const STATUSES: [&str; 5] = ["open", "processing", "completed", "failed", "cancelled"];

/// One task of the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRowView {
    pub id: String,
    pub template_ref: String,
    pub template_title: Option<String>,
    pub status: String,
    pub created_by: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    pub completed_at: Option<String>,
}

/// What the tasks page shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskList {
    pub rows: Vec<TaskRowView>,
    pub total: i64,
    pub offset: i64,
    /// Every task (an admin asked for them), or the signed-in person's.
    pub all: bool,
    /// The viewer may see every task.
    pub admin: bool,
    /// Nobody is signed in: there are no tasks of one's own to show.
    pub anonymous: bool,
    pub status: Option<String>,
}

#[server(prefix = "/_server")]
pub async fn fetch_tasks(
    #[server(default)] scope: Option<String>,
    #[server(default)] status: Option<String>,
    #[server(default)] offset: Option<String>,
) -> Result<TaskList, AppError> {
    crate::identity::require(identity::Action::TaskRead).await?;
    let all = match scope.as_deref() {
        None | Some("") | Some("mine") => false,
        Some("all") => true,
        Some(other) => {
            return Err(AppError::BadInput(format!(
                "scope={:?} is not a scope: use scope=mine (your tasks) or scope=all (every task, for admins).",
                other.chars().take(40).collect::<String>()
            )));
        }
    };
    let admin = crate::identity::require(identity::Action::AdminView)
        .await
        .is_ok();
    if all && !admin {
        return Err(AppError::NotAllowed(
            "Only admins see every task; your own are at /create/tasks.".into(),
        ));
    }
    let status = match status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(store::TaskStatus::parse(text).ok_or_else(|| {
            AppError::BadInput(format!(
                "status={:?} is not a task status: use open, processing, completed, failed or cancelled.",
                text.chars().take(40).collect::<String>()
            ))
        })?),
    };
    let offset = match offset.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|o| (0..=1_000_000).contains(o))
            .ok_or_else(|| {
                AppError::BadInput("offset is a number of tasks to skip, 0 or more.".into())
            })?,
    };
    let caller = crate::identity::caller().await?;
    let mine = caller
        .person()
        .map(|person| crate::identity::holder(person).to_string());
    if !all && mine.is_none() {
        return Ok(TaskList {
            admin,
            anonymous: true,
            ..Default::default()
        });
    }
    let store = crate::context::store()?;
    let (rows, total) = store
        .list_tasks(&store::TaskQuery {
            created_by: if all { None } else { mine },
            status,
            limit: PAGE,
            offset,
        })
        .await?;
    let refs: Vec<String> = rows.iter().map(|r| r.template_ref.clone()).collect();
    let summaries = store.entity_summaries_by_refs(&refs).await?;
    Ok(TaskList {
        rows: rows
            .into_iter()
            .zip(summaries)
            .map(|(row, summary)| TaskRowView {
                template_title: summary.map(|s| s.title.unwrap_or(s.name)),
                id: row.id,
                template_ref: row.template_ref,
                status: row.status,
                created_by: row.created_by,
                created_at: row.created_at.to_rfc3339(),
                completed_at: row.completed_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
        total,
        offset,
        all,
        admin,
        anonymous: false,
        status: status.map(|s| s.as_str().to_string()),
    })
}

#[component]
pub fn TasksPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    let list = Resource::new(
        move || (param("scope"), param("status"), param("offset")),
        |(scope, status, offset)| fetch_tasks(scope, status, offset),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <Tasks list/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Tasks(list: TaskList) -> impl IntoView {
    let heading = if list.all { "All tasks" } else { "My tasks" };
    let scope = if list.all { "all" } else { "mine" };
    let current = |on: bool| on.then_some("page");
    let page_href = |offset: i64| {
        let mut query = vec![format!("scope={scope}")];
        if let Some(status) = &list.status {
            query.push(format!("status={status}"));
        }
        if offset > 0 {
            query.push(format!("offset={offset}"));
        }
        format!("/create/tasks?{}", query.join("&"))
    };
    let previous = (list.offset > 0).then(|| page_href((list.offset - PAGE).max(0)));
    let next = (list.offset + PAGE < list.total).then(|| page_href(list.offset + PAGE));
    let shown = list.rows.len() as i64;
    view! {
        <Title text=heading/>
        <p class="breadcrumb"><a href="/create">"Create"</a></p>
        <h1>{heading}</h1>
        {list.admin.then(|| view! {
            <nav class="scope-switch" aria-label="Whose tasks">
                <a href="/create/tasks" aria-current=current(!list.all)>"My tasks"</a>
                <a href="/create/tasks?scope=all" aria-current=current(list.all)>"All tasks"</a>
            </nav>
        })}
        {if list.anonymous {
            view! {
                <p>"Sign in to see the tasks you started."</p>
                <p><a class="button-link" href="/sign-in?return_to=/create/tasks">"Sign in"</a></p>
            }.into_any()
        } else {
            view! {
                <form class="filters" method="get" action="/create/tasks" aria-label="Filter tasks">
                    <input type="hidden" name="scope" value=scope/>
                    <label for="tasks-status">"Status"</label>
                    <select id="tasks-status" name="status">
                        <option value="">"Any status"</option>
                        {STATUSES.iter().map(|s| {
                            let selected = list.status.as_deref() == Some(*s);
                            view! { <option value=*s selected=selected>{*s}</option> }
                        }).collect_view()}
                    </select>
                    <button type="submit">"Show"</button>
                </form>
                <p class="result-count" role="status">{
                    if list.total == 0 {
                        "No tasks yet.".to_string()
                    } else {
                        format!("{}–{} of {} tasks", list.offset + 1, list.offset + shown, list.total)
                    }
                }</p>
                {(list.total == 0 && !list.all).then(|| view! {
                    <p><a href="/create">"Start one from a template"</a></p>
                })}
                {(!list.rows.is_empty()).then(|| view! {
                    <table class="entity-table task-table">
                        <thead>
                            <tr>
                                <th scope="col">"Template"</th>
                                <th scope="col">"Status"</th>
                                {list.all.then(|| view! { <th scope="col">"Run by"</th> })}
                                <th scope="col">"Started"</th>
                                <th scope="col">"Ended"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {list.rows.into_iter().map(|row| {
                                let label = row.template_title.clone().unwrap_or_else(|| short_ref(&row.template_ref));
                                view! {
                                    <tr>
                                        <th scope="row"><a href=task_href(&row.id)>{label}</a></th>
                                        <td><span class=super::status_class(&row.status)>{row.status.clone()}</span></td>
                                        {list.all.then(|| view! { <td>{row.created_by.as_deref().map(short_ref).unwrap_or_else(|| "—".into())}</td> })}
                                        <td><time datetime=row.created_at.clone()>{short_time(&row.created_at)}</time></td>
                                        <td>{row.completed_at.as_deref().map(short_time).unwrap_or_default()}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
                <nav class="pager" aria-label="Pages">
                    {match previous {
                        Some(href) => view! { <a href=href>"← Newer"</a> }.into_any(),
                        None => view! { <span aria-disabled="true">"← Newer"</span> }.into_any(),
                    }}
                    {match next {
                        Some(href) => view! { <a href=href>"Older →"</a> }.into_any(),
                        None => view! { <span aria-disabled="true">"Older →"</span> }.into_any(),
                    }}
                </nav>
            }.into_any()
        }}
    }
    .into_any()
}
