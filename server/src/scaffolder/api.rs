//! Backstage's scaffolder API, `/api/scaffolder/v2`: templates' parameter schemas, the
//! actions, tasks (create, list, read, events, a live event stream, cancel, retry) and
//! dry runs. Every handler names its action in its signature (`Authorized<…>`).

use super::Scaffolder;
use super::runner::{self, TaskSpec, TemplateInfo};
use crate::catalog::api::input::JsonBody;
use crate::error::{ApiError, KeepErrorBody, backstage_errors};
use crate::identity::Authorized;
use crate::identity::act::{CatalogRead, TaskCancel, TaskCreate, TaskRead};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use base64::Engine;
use chrono::Utc;
use identity::{Caller, Target};
use scaffolder::template::Template;
use scaffolder::workspace::{self, File, Workspace};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;
use store::{CancelOutcome, TaskEventRow, TaskQuery, TaskRow, TaskStatus};

/// Events one page of `/events` (and one read of the stream) holds at most.
const EVENT_PAGE: i64 = 500;
/// How long the long poll (`/events?after=…&wait=true`) waits for a new event.
const LONG_POLL: Duration = Duration::from_secs(25);

pub fn router() -> Router<AppState> {
    Router::new()
        .nest(
            "/api/scaffolder/v2",
            Router::new()
                .route("/actions", get(actions))
                .route(
                    "/templates/{namespace}/{kind}/{name}/parameter-schema",
                    get(parameter_schema),
                )
                .route("/tasks", post(create_task).get(list_tasks))
                .route("/tasks/{id}", get(task))
                .route("/tasks/{id}/events", get(events))
                .route("/tasks/{id}/eventstream", get(event_stream))
                .route("/tasks/{id}/cancel", post(cancel))
                .route("/tasks/{id}/retry", post(retry))
                .route("/dry-run", post(dry_run))
                .route("/openapi.json", get(openapi))
                .fallback(not_found),
        )
        .layer(middleware::from_fn(
            crate::catalog::api::input::refuse_nul_in_url,
        ))
        .layer(middleware::from_fn(backstage_errors))
}

/// Any other address under `/api/scaffolder/v2`: a 404 in Backstage's shape.
async fn not_found() -> ApiError {
    ApiError::not_found(
        "There is no such address in the scaffolder API; /api/scaffolder/v2/openapi.json lists them.",
    )
}

/// `GET /openapi.json`: this API, documented (public, like the catalog's).
async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

/// `GET /actions`: every action with its input and output schemas.
async fn actions(_auth: Authorized<CatalogRead>) -> Json<Value> {
    Json(serde_json::to_value(scaffolder::actions::all()).unwrap_or(Value::Null))
}

/// A Template entity from the catalog, checked; 404 when missing, 400 with its problems.
pub async fn load_template(state: &AppState, entity_ref: &str) -> Result<Template, ApiError> {
    let stored = state
        .store
        .entity_by_ref(entity_ref)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No template {entity_ref} in the catalog")))?;
    let entity: catalog::Entity =
        serde_json::from_value(stored.body).map_err(ApiError::internal)?;
    Template::from_entity(&entity).map_err(|(_, problems)| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        ApiError::input(format!(
            "The template {entity_ref} cannot run: {}",
            list.join("; ")
        ))
    })
}

async fn parameter_schema(
    _auth: Authorized<CatalogRead>,
    State(state): State<AppState>,
    Path((namespace, kind, name)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    if !kind.eq_ignore_ascii_case("template") {
        return Err(ApiError::input(format!(
            "{kind} is not a template kind; use /templates/{namespace}/template/{name}"
        )));
    }
    let template = load_template(&state, &format!("template:{namespace}/{name}")).await?;
    Ok(Json(template.parameter_schema()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateTask {
    template_ref: String,
    #[serde(default)]
    values: Map<String, Value>,
    #[serde(default)]
    secrets: Map<String, Value>,
}

/// The task spec for running `template` with `values` by `caller`; the values checked
/// (400 with Backstage's `{errors}` list) and the secret fields moved to `secrets`.
async fn task_spec(
    state: &AppState,
    template: &Template,
    mut values: Map<String, Value>,
    secrets: &mut Map<String, Value>,
    caller: &Caller,
) -> Result<TaskSpec, StartError> {
    let errors = scaffolder::parameters::validate(&template.pages, &Value::Object(values.clone()));
    if !errors.is_empty() {
        return Err(StartError::Invalid(errors));
    }
    scaffolder::parameters::split_secrets(&template.pages, &mut values, secrets);
    let user_ref = caller.person().and_then(|p| p.user_ref.clone());
    let user_entity = match &user_ref {
        Some(user_ref) => state
            .store
            .entity_by_ref(user_ref)
            .await
            .ok()
            .flatten()
            .map(|e| e.body),
        None => None,
    };
    Ok(TaskSpec {
        api_version: scaffolder::template::API_VERSION.into(),
        steps: template.steps.clone(),
        output: template.output.clone(),
        parameters: values,
        user: json!({ "ref": user_ref, "entity": user_entity }),
        template_info: TemplateInfo {
            entity_ref: template.entity_ref.clone(),
            base_url: template.location.clone(),
        },
    })
}

/// Why a template was not run: values that break its form, or an error to answer.
pub enum StartError {
    Invalid(Vec<scaffolder::parameters::FieldError>),
    Api(ApiError),
}

impl From<ApiError> for StartError {
    fn from(error: ApiError) -> StartError {
        StartError::Api(error)
    }
}

impl From<store::StoreError> for StartError {
    fn from(error: store::StoreError) -> StartError {
        StartError::Api(error.into())
    }
}

impl StartError {
    /// The REST answer: 400 with Backstage's `{errors}` list, or the error.
    fn into_response(self) -> Response {
        match self {
            StartError::Invalid(errors) => {
                let mut response =
                    (StatusCode::BAD_REQUEST, Json(json!({ "errors": errors }))).into_response();
                response.extensions_mut().insert(KeepErrorBody);
                response
            }
            StartError::Api(error) => error.into_response(),
        }
    }
}

/// Stores a task running `template_ref` with `values` for `caller` and starts it on this
/// replica (which alone holds its secrets) as soon as it has a free slot; its id.
pub async fn start_task(
    state: &AppState,
    caller: &Caller,
    template_ref: &str,
    values: Map<String, Value>,
    mut secrets: Map<String, Value>,
) -> Result<String, StartError> {
    let template = load_template(state, template_ref).await?;
    let spec = task_spec(state, &template, values, &mut secrets, caller).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let created_by = crate::identity::targets::registrant(caller);
    let spec_text = serde_json::to_string(&spec).map_err(ApiError::internal)?;
    state
        .store
        .create_task(&store::NewTask {
            id: &id,
            template_ref: &template.entity_ref,
            spec: &spec_text,
            created_by: created_by.as_deref(),
            has_secrets: !secrets.is_empty(),
            created_at: Utc::now(),
        })
        .await?;
    start_here(&state.scaffolder, &id, secrets).await;
    Ok(id)
}

/// `POST /tasks` `{templateRef, values, secrets}` → 201 `{id}`.
async fn create_task(
    auth: Authorized<TaskCreate>,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<CreateTask>,
) -> Result<Response, ApiError> {
    let write = auth.on(&Target::Portal).await?;
    let CreateTask {
        template_ref,
        values,
        secrets,
    } = request;
    write
        .run(async {
            match start_task(&state, &auth.caller, &template_ref, values, secrets).await {
                Ok(id) => Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response()),
                // Values that break the form are the caller's to fix, not a failed write.
                Err(StartError::Invalid(errors)) => Ok(StartError::Invalid(errors).into_response()),
                Err(StartError::Api(error)) => Err(error),
            }
        })
        .await
}

/// Claims a task this replica just accepted and runs it when a slot is free.
pub async fn start_here(scaffolder: &Arc<Scaffolder>, id: &str, secrets: Map<String, Value>) {
    scaffolder.keep_secrets(id, secrets);
    match scaffolder
        .store
        .claim_task(id, &scaffolder.worker, Utc::now(), scaffolder.lease)
        .await
    {
        Ok(Some(task)) => {
            let scaffolder = scaffolder.clone();
            tokio::spawn(async move {
                let _slot = scaffolder.slot().await;
                runner::run_claimed(&scaffolder, task).await;
            });
        }
        Ok(None) => scaffolder.wake(),
        Err(error) => {
            tracing::error!(task = %id, %error, "cannot claim a new task; the task loop will");
            scaffolder.wake();
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TaskListQuery {
    created_by: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /tasks?createdBy=&status=&limit=&offset=` → `{tasks, totalTasks}`, newest first.
async fn list_tasks(
    _auth: Authorized<TaskRead>,
    State(state): State<AppState>,
    Query(query): Query<TaskListQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = match query.status.as_deref() {
        None => None,
        Some(text) => Some(TaskStatus::parse(text).ok_or_else(|| {
            ApiError::input(format!("status={text} is not a task status; use open, processing, completed, failed or cancelled"))
        })?),
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit)
        || query
            .offset
            .is_some_and(|o| !(0..=1_000_000_000).contains(&o))
    {
        return Err(ApiError::input(
            "limit must be 1 to 500, and offset 0 to 1000000000",
        ));
    }
    if query
        .created_by
        .as_ref()
        .is_some_and(|c| c.is_empty() || c.len() > 1000)
    {
        return Err(ApiError::input(
            "createdBy must be an entity ref such as user:default/ada; leave it out to list everyone's tasks",
        ));
    }
    let (rows, total) = state
        .store
        .list_tasks(&TaskQuery {
            created_by: query.created_by.map(|c| c.to_lowercase()),
            status,
            limit,
            offset: query.offset.unwrap_or(0),
        })
        .await?;
    let tasks: Vec<Value> = rows.iter().map(task_json).collect();
    Ok(Json(json!({ "tasks": tasks, "totalTasks": total })))
}

/// A task as Backstage's API shows it (never its secrets: they are not stored).
pub fn task_json(task: &TaskRow) -> Value {
    json!({
        "id": task.id,
        "spec": serde_json::from_str::<Value>(&task.spec).unwrap_or(Value::Null),
        "status": task.status,
        "createdAt": task.created_at.to_rfc3339(),
        "lastHeartbeatAt": task.last_heartbeat_at.map(|t| t.to_rfc3339()),
        "completedAt": task.completed_at.map(|t| t.to_rfc3339()),
        "createdBy": task.created_by,
        "templateRef": task.template_ref,
    })
}

pub async fn found_task(state: &AppState, id: &str) -> Result<TaskRow, ApiError> {
    state
        .store
        .task(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No task with id {id}")))
}

async fn task(
    _auth: Authorized<TaskRead>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(task_json(&found_task(&state, &id).await?)))
}

pub fn event_json(event: &TaskEventRow) -> Value {
    json!({
        "id": event.id,
        "taskId": event.task_id,
        "type": event.event_type,
        "body": serde_json::from_str::<Value>(&event.body).unwrap_or(Value::Null),
        "createdAt": event.created_at.to_rfc3339(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    after: Option<i64>,
    /// Long poll: wait (up to 25 s) until there is an event after `after`.
    wait: Option<bool>,
}

/// `GET /tasks/{id}/events?after=N[&wait=true]`: the events after N, oldest first; with
/// `wait`, holds the request until there is one or the task has ended (the long-poll
/// fallback for clients without Server-Sent Events).
async fn events(
    _auth: Authorized<TaskRead>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<EventsQuery>,
) -> Result<Json<Value>, ApiError> {
    found_task(&state, &id).await?;
    let deadline = tokio::time::Instant::now() + LONG_POLL;
    loop {
        let rows = state
            .store
            .task_events(&id, query.after, EVENT_PAGE)
            .await?;
        let ended = found_task(&state, &id).await?.status().is_final();
        if !rows.is_empty()
            || !query.wait.unwrap_or(false)
            || ended
            || tokio::time::Instant::now() >= deadline
        {
            return Ok(Json(Value::Array(rows.iter().map(event_json).collect())));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `GET /tasks/{id}/eventstream`: Server-Sent Events, one `message` per task event (Backstage's
/// format), ending after the task's last event.
async fn event_stream(
    _auth: Authorized<TaskRead>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    found_task(&state, &id).await?;
    let store = state.store.clone();
    // Sends every event after `after` as it is stored; ends once the task has ended and
    // every event has been sent (a retried task goes on after its first end).
    let stream =
        futures_util::stream::unfold((store, id, query.after), |(store, id, after)| async move {
            loop {
                let rows = match store.task_events(&id, after, EVENT_PAGE).await {
                    Ok(rows) => rows,
                    Err(error) => {
                        tracing::error!(%error, task = %id, "event stream: cannot read events");
                        return None;
                    }
                };
                if let Some(last) = rows.last().map(|e| e.id) {
                    let events: Vec<Result<Event, std::convert::Infallible>> = rows
                        .iter()
                        .map(|row| {
                            Ok(Event::default()
                                .event("log")
                                .id(row.id.to_string())
                                .data(event_json(row).to_string()))
                        })
                        .collect();
                    return Some((futures_util::stream::iter(events), (store, id, Some(last))));
                }
                match store.task(&id).await {
                    Ok(Some(task)) if !task.status().is_final() => {}
                    // Ended (or gone): one more read catches events stored just before the end.
                    _ => match store.task_events(&id, after, 1).await {
                        Ok(rows) if !rows.is_empty() => continue,
                        _ => return None,
                    },
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
    let flat = futures_util::StreamExt::flatten(stream);
    Ok(Sse::new(flat)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The task as the seam sees it: its creator owns it.
pub fn task_target(task: &TaskRow) -> Target {
    Target::Entity {
        entity_ref: format!("task:{}", task.id),
        kind: "task".into(),
        owner: task.created_by.clone(),
    }
}

async fn cancel(
    auth: Authorized<TaskCancel>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let task = found_task(&state, &id).await?;
    let write = auth.on(&task_target(&task)).await?;
    write
        .run(async { Ok(Json(json!({ "status": cancel_task(&state, &task).await? }))) })
        .await
}

/// Cancels `task` (already authorised): `cancelled` when it had not started,
/// `cancelling` when its replica stops it before its next step.
pub async fn cancel_task(state: &AppState, task: &TaskRow) -> Result<&'static str, ApiError> {
    let id = &task.id;
    let outcome = state.store.cancel_task(id, Utc::now()).await?;
    if outcome == CancelOutcome::Cancelled {
        let body = json!({ "message": "The task was cancelled before it started" }).to_string();
        state
            .store
            .append_task_event(id, "cancelled", &body, Utc::now())
            .await?;
    }
    match outcome {
        CancelOutcome::Cancelled => Ok("cancelled"),
        CancelOutcome::Requested => Ok("cancelling"),
        CancelOutcome::AlreadyEnded => Err(ApiError::conflict(format!(
            "The task {id} has already ended ({})",
            task.status
        ))),
        CancelOutcome::NotFound => Err(ApiError::not_found(format!("No task with id {id}"))),
    }
}

/// `POST /tasks/{id}/retry`: runs a failed or cancelled task again from its first
/// unfinished step. A task with secrets cannot be retried: they were forgotten when it ended.
async fn retry(
    auth: Authorized<TaskCancel>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let task = found_task(&state, &id).await?;
    let write = auth.on(&task_target(&task)).await?;
    write
        .run(async {
            retry_task(&state, &task).await?;
            Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
        })
        .await
}

/// Opens a failed or cancelled `task` again (already authorised) and starts it here.
pub async fn retry_task(state: &AppState, task: &TaskRow) -> Result<(), ApiError> {
    let id = &task.id;
    if task.has_secrets {
        return Err(ApiError::conflict(format!(
            "The task {id} was given secrets, which are never stored; run the template again"
        )));
    }
    if !state.store.retry_task(id).await? {
        return Err(ApiError::conflict(format!(
            "The task {id} is {}; only failed or cancelled tasks can be retried",
            task.status
        )));
    }
    let body = json!({ "message": "The task was retried" }).to_string();
    state
        .store
        .append_task_event(id, "recovered", &body, Utc::now())
        .await?;
    start_here(&state.scaffolder, id, Map::new()).await;
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DryRun {
    /// The Template entity itself (Backstage's form), or…
    template: Option<Value>,
    /// …a template in the catalog.
    template_ref: Option<String>,
    #[serde(default)]
    values: Map<String, Value>,
    #[serde(default)]
    secrets: Map<String, Value>,
    /// Files the template's relative fetches read (Backstage sends the template's folder).
    #[serde(default)]
    directory_contents: Vec<DirectoryFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DirectoryFile {
    path: String,
    base64_content: String,
    #[serde(default)]
    executable: bool,
}

/// Runs `template` for `caller` without publishing or registering anything.
pub async fn dry_run_template(
    state: &AppState,
    caller: &Caller,
    template: &Template,
    values: Map<String, Value>,
    mut secrets: Map<String, Value>,
    folder: Option<Workspace>,
) -> Result<(TaskSpec, runner::RunResult), StartError> {
    let spec = task_spec(state, template, values, &mut secrets, caller).await?;
    let result = runner::dry_run(&state.scaffolder, &spec, secrets, folder).await;
    Ok((spec, result))
}

/// `POST /dry-run`: runs a template without publishing or registering anything and
/// answers the log, the files it would publish and its output.
async fn dry_run(
    auth: Authorized<TaskCreate>,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<DryRun>,
) -> Result<Response, ApiError> {
    let template = match (request.template, request.template_ref) {
        (Some(body), None) => {
            let entity: catalog::Entity = serde_json::from_value(body)
                .map_err(|e| ApiError::input(format!("template is not an entity: {e}")))?;
            Template::from_entity(&entity).map_err(|(_, problems)| {
                let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
                ApiError::input(format!("The template cannot run: {}", list.join("; ")))
            })?
        }
        (None, Some(entity_ref)) => load_template(&state, &entity_ref).await?,
        _ => {
            return Err(ApiError::input(
                "give either template (the entity) or templateRef, not both",
            ));
        }
    };
    let mut folder = Workspace::new();
    for (index, file) in request.directory_contents.into_iter().enumerate() {
        let path = workspace::resolve("", &file.path)
            .map_err(|e| ApiError::input(format!("directoryContents[{index}].path: {e}")))?;
        let content = base64::engine::general_purpose::STANDARD
            .decode(file.base64_content.as_bytes())
            .map_err(|e| {
                ApiError::input(format!("directoryContents[{index}].base64Content: {e}"))
            })?;
        folder
            .write(
                path,
                File {
                    content,
                    executable: file.executable,
                },
            )
            .map_err(|e| ApiError::input(format!("directoryContents[{index}]: {e}")))?;
    }
    let folder = (!folder.is_empty()).then_some(folder);
    let (spec, result) = match dry_run_template(
        &state,
        &auth.caller,
        &template,
        request.values,
        request.secrets,
        folder,
    )
    .await
    {
        Ok(done) => done,
        Err(error) => return Ok(error.into_response()),
    };
    let contents: Vec<Value> = result
        .workspace
        .files()
        .iter()
        .map(|(path, file)| {
            json!({
                "path": path,
                "executable": file.executable,
                "base64Content": base64::engine::general_purpose::STANDARD.encode(&file.content),
            })
        })
        .collect();
    let steps: Vec<Value> = spec
        .steps
        .iter()
        .map(|s| json!({ "id": s.id, "name": s.name, "action": s.action }))
        .collect();
    Ok(Json(json!({
        "status": result.status.as_str(),
        "log": result.events,
        "directoryContents": contents,
        "output": result.output,
        "steps": steps,
    }))
    .into_response())
}
