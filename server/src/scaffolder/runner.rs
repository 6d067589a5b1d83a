//! Runs a task: its steps in order, each input rendered from the parameters and earlier
//! steps' outputs, checked against its action's schema, then done. Every step status and
//! log line is stored as an event; what each finished step returned is stored too, so a
//! task taken over from a replica that died, or retried, skips the steps that changed the
//! world (a repository created, a location registered) and replays the ones that only
//! build the workspace (which lives in memory and died with the replica).
//!
//! Secrets reach templates as `secrets.x` (and as `parameters.x` for the form's secret
//! fields), and are blanked out of every event before it is stored.

use super::Scaffolder;
use super::actions::{self, ActionContext, Mode};
use crate::config::Recovery;
use chrono::Utc;
use scaffolder::expression::{ScmIntegration, ScmKind, Templater};
use scaffolder::workspace::Workspace;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use store::{TaskRow, TaskStatus};

/// A task as stored: Backstage's TaskSpecV1beta3, without secrets.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSpec {
    pub api_version: String,
    pub steps: Vec<scaffolder::template::Step>,
    #[serde(default)]
    pub output: Value,
    #[serde(default)]
    pub parameters: Map<String, Value>,
    #[serde(default)]
    pub user: Value,
    pub template_info: TemplateInfo,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateInfo {
    pub entity_ref: String,
    /// Where the template came from (`file:/…/template.yaml`, `url:https://…`):
    /// skeletons are fetched relative to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// How a run ended.
#[derive(Debug)]
pub struct RunResult {
    pub status: TaskStatus,
    pub output: Value,
    pub workspace: Workspace,
    /// The events, for a dry run (a real run stores them as it goes).
    pub events: Vec<Value>,
}

/// Where events go: the database for a task, a list for a dry run.
enum Sink<'a> {
    Task {
        scaffolder: &'a Scaffolder,
        task_id: &'a str,
    },
    Memory(Vec<Value>),
}

struct Events<'a> {
    sink: Sink<'a>,
    /// Secret values, blanked out of everything written.
    secrets: Vec<String>,
}

impl Events<'_> {
    async fn emit(&mut self, event_type: &str, mut body: Value) {
        redact(&mut body, &self.secrets);
        if let Some(Value::String(message)) = body.get_mut("message") {
            clip(message);
        }
        match &mut self.sink {
            Sink::Task {
                scaffolder,
                task_id,
            } => {
                let text = body.to_string();
                if let Err(error) = scaffolder
                    .store
                    .append_task_event(task_id, event_type, &text, Utc::now())
                    .await
                {
                    tracing::error!(task = %task_id, %error, "cannot store a task event");
                }
            }
            Sink::Memory(events) => events.push(json!({
                "type": event_type, "body": body, "createdAt": Utc::now().to_rfc3339(),
            })),
        }
    }

    async fn log(&mut self, step: Option<&str>, message: String) {
        let mut body = json!({ "message": message });
        if let Some(step) = step {
            body["stepId"] = json!(step);
        }
        self.emit("log", body).await;
    }

    async fn status(&mut self, step: &str, status: &str, message: String) {
        self.emit(
            "log",
            json!({ "message": message, "stepId": step, "status": status }),
        )
        .await;
    }
}

/// Most times one step runs for `each`.
const MAX_EACH: usize = 1_000;
/// Longest log message stored; longer ones (a workspace listed with its contents) are cut.
const MAX_MESSAGE: usize = 64 * 1024;

/// Cuts `message` to [`MAX_MESSAGE`] bytes (at a character boundary), saying so.
fn clip(message: &mut String) {
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let total = message.len();
        message.truncate(end);
        message.push_str(&format!("… (cut: {total} bytes in all)"));
    }
}

/// Replaces every secret value in the strings of `value` with `***`.
pub fn redact(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(text) => {
            for secret in secrets {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), "***");
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| redact(item, secrets)),
        Value::Object(map) => map.values_mut().for_each(|item| redact(item, secrets)),
        _ => {}
    }
}

/// The secret strings to blank out: every string value in `secrets`, however nested
/// (short ones too: a 3-character secret is still a secret).
fn secret_strings(secrets: &Map<String, Value>) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending: Vec<&Value> = secrets.values().collect();
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) if !text.is_empty() => found.push(text.clone()),
            Value::Number(number) => found.push(number.to_string()),
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => pending.extend(map.values()),
            _ => {}
        }
    }
    // Longest first, so a secret containing another is blanked whole.
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found
}

/// Runs a task this replica has claimed, keeping the claim alive, and records its end.
pub async fn run_claimed(scaffolder: &Arc<Scaffolder>, task: TaskRow) {
    let task_id = task.id.clone();
    let cancel = Arc::new(AtomicBool::new(task.cancel_requested));
    let lost = Arc::new(AtomicBool::new(false));
    let heartbeat = {
        let (scaffolder, cancel, lost, id) = (
            scaffolder.clone(),
            cancel.clone(),
            lost.clone(),
            task_id.clone(),
        );
        move || {
            let (scaffolder, cancel, lost, id) =
                (scaffolder.clone(), cancel.clone(), lost.clone(), id.clone());
            async move {
                let beat = scaffolder
                    .store
                    .heartbeat_task(&id, &scaffolder.worker, Utc::now(), scaffolder.lease)
                    .await;
                match beat {
                    Ok(Some(cancelled)) => {
                        cancel.fetch_or(cancelled, Ordering::SeqCst);
                        Ok(true)
                    }
                    Ok(None) => {
                        lost.store(true, Ordering::SeqCst);
                        Ok(false)
                    }
                    Err(error) => Err(error),
                }
            }
        }
    };
    let timeout = scaffolder.config.task_timeout;
    let work = tokio::time::timeout(timeout, run_task(scaffolder, &task, &cancel));
    let result = crate::work::with_heartbeat(work, scaffolder.lease, heartbeat).await;
    let status = match result {
        Ok(status) => status,
        Err(_) => {
            let message = format!(
                "The task ran longer than {} s (scaffolder_task_timeout_secs) and was stopped.",
                timeout.as_secs()
            );
            let mut events = Events {
                sink: Sink::Task {
                    scaffolder,
                    task_id: &task_id,
                },
                secrets: Vec::new(),
            };
            events.emit("completion", json!({"message": message, "error": {"name": "TimeoutError", "message": message}})).await;
            TaskStatus::Failed
        }
    };
    if lost.load(Ordering::SeqCst) {
        tracing::warn!(task = %task_id, "the task's claim was taken over; its result does not count here");
    }
    match scaffolder
        .store
        .finish_task(&task_id, &scaffolder.worker, status, Utc::now())
        .await
    {
        Ok(_) => {}
        Err(error) => tracing::error!(task = %task_id, %error, "cannot record the end of a task"),
    }
    // Secrets live no longer than the run: a retried task with secrets asks for a new run.
    scaffolder.forget_secrets(&task_id);
}

/// Runs the steps of a stored task; the status it ended with.
async fn run_task(scaffolder: &Scaffolder, task: &TaskRow, cancel: &AtomicBool) -> TaskStatus {
    let secrets = scaffolder.secrets(&task.id);
    let mut events = Events {
        sink: Sink::Task {
            scaffolder,
            task_id: &task.id,
        },
        secrets: secrets.as_ref().map(secret_strings).unwrap_or_default(),
    };
    let fail = |message: String| json!({ "message": message, "error": { "name": "Error", "message": message } });
    let spec: TaskSpec = match serde_json::from_str(&task.spec) {
        Ok(spec) => spec,
        Err(error) => {
            events
                .emit(
                    "completion",
                    fail(format!("The stored task cannot be read: {error}")),
                )
                .await;
            return TaskStatus::Failed;
        }
    };
    if task.status() == TaskStatus::Processing {
        // Claimed while processing: the replica running it stopped heartbeating.
        events
            .emit(
                "recovered",
                json!({"message": "The replica running this task stopped; another took it over."}),
            )
            .await;
        if scaffolder.config.recovery == Recovery::Fail {
            let message = "The replica running this task stopped mid-run, and scaffolder_recovery is fail: \
                           check what its finished steps did, then retry the task or run the template again.";
            events.emit("completion", fail(message.into())).await;
            return TaskStatus::Failed;
        }
    }
    if task.has_secrets && secrets.is_none() {
        let message = "This task's secrets are gone: they are never stored, only kept in memory by the \
                       replica that accepted the task while it first runs. Run the template again.";
        events.emit("completion", fail(message.into())).await;
        return TaskStatus::Failed;
    }
    let state: Map<String, Value> = serde_json::from_str(&task.state).unwrap_or_default();
    let run = Run {
        scaffolder: Some(scaffolder),
        task_id: &task.id,
        mode: Mode::Real,
        cancel,
        state,
        base: spec.template_info.base_url.clone(),
        template_files: None,
    };
    run.steps(
        &spec,
        secrets.unwrap_or_default(),
        Workspace::new(),
        &mut events,
    )
    .await
    .status
}

/// Runs a template without a task: nothing is published or registered, every event is
/// returned with the workspace (Backstage's dry run).
pub async fn dry_run(
    scaffolder: &Scaffolder,
    spec: &TaskSpec,
    secrets: Map<String, Value>,
    template_files: Option<Workspace>,
) -> RunResult {
    let cancel = AtomicBool::new(false);
    let mut events = Events {
        sink: Sink::Memory(Vec::new()),
        secrets: secret_strings(&secrets),
    };
    let run = Run {
        scaffolder: Some(scaffolder),
        task_id: "dry-run",
        mode: Mode::DryRun,
        cancel: &cancel,
        state: Map::new(),
        base: spec.template_info.base_url.clone(),
        template_files: template_files.as_ref(),
    };
    let mut result = run
        .steps(spec, secrets, Workspace::new(), &mut events)
        .await;
    if let Sink::Memory(list) = events.sink {
        result.events = list;
    }
    result
}

struct Run<'a> {
    scaffolder: Option<&'a Scaffolder>,
    task_id: &'a str,
    mode: Mode,
    cancel: &'a AtomicBool,
    /// Step id → output of the steps that finished (before this run, and in it).
    state: Map<String, Value>,
    /// The template's location, which skeletons are fetched relative to.
    base: Option<String>,
    /// For a dry run: the template's folder as sent, which relative fetches read instead.
    template_files: Option<&'a Workspace>,
}

impl Run<'_> {
    async fn steps(
        mut self,
        spec: &TaskSpec,
        secrets: Map<String, Value>,
        mut workspace: Workspace,
        events: &mut Events<'_>,
    ) -> RunResult {
        let templater = templater(self.scaffolder);
        let mut parameters = spec.parameters.clone();
        for (key, value) in &secrets {
            parameters.entry(key.clone()).or_insert(value.clone());
        }
        let mut context = json!({
            "parameters": parameters,
            "steps": {},
            "user": spec.user,
            "secrets": secrets,
            "context": { "task": { "id": self.task_id } },
        });
        let mut failed = false;
        let mut cancelled = false;
        for step in &spec.steps {
            if self.cancel_requested().await {
                cancelled = true;
                events
                    .status(
                        &step.id,
                        "cancelled",
                        format!("Skipping step {}: the task was cancelled", step.id),
                    )
                    .await;
                continue;
            }
            let runs_after_failure = step
                .condition
                .as_ref()
                .is_some_and(scaffolder::expression::mentions_status_function);
            if failed && !runs_after_failure {
                events
                    .status(
                        &step.id,
                        "skipped",
                        format!("Skipping step {}: an earlier step failed", step.id),
                    )
                    .await;
                continue;
            }
            match self
                .step(
                    step,
                    &templater,
                    &mut context,
                    &mut workspace,
                    events,
                    failed,
                )
                .await
            {
                Ok(()) => {}
                Err(message) => {
                    failed = true;
                    events.log(Some(&step.id), message.clone()).await;
                    events
                        .status(
                            &step.id,
                            "failed",
                            format!("Step {} ({}) failed: {message}", step.id, step.name),
                        )
                        .await;
                }
            }
        }
        let status = if cancelled {
            TaskStatus::Cancelled
        } else if failed {
            TaskStatus::Failed
        } else {
            TaskStatus::Completed
        };
        let output = match templater.render_value(&spec.output, &context, "output") {
            Ok(output) => output,
            Err(error) => {
                events
                    .log(
                        None,
                        format!("The template's output cannot be rendered: {error}"),
                    )
                    .await;
                Value::Null
            }
        };
        let mut body = json!({ "message": format!("Run completed with status: {}", status.as_str()), "output": output });
        if status != TaskStatus::Completed {
            body["error"] = json!({ "name": "Error", "message": format!("The task ended as {}", status.as_str()) });
        }
        events
            .emit(if cancelled { "cancelled" } else { "completion" }, body)
            .await;
        RunResult {
            status,
            output,
            workspace,
            events: Vec::new(),
        }
    }

    /// Whether cancelling was asked for: read before every step (the heartbeat also
    /// notices, but only every third of a lease).
    async fn cancel_requested(&self) -> bool {
        if self.cancel.load(Ordering::SeqCst) {
            return true;
        }
        let (Some(scaffolder), Mode::Real) = (self.scaffolder, self.mode) else {
            return false;
        };
        match scaffolder.store.task(self.task_id).await {
            Ok(Some(task)) if task.cancel_requested => {
                self.cancel.store(true, Ordering::SeqCst);
                true
            }
            Ok(_) => false,
            Err(error) => {
                tracing::error!(task = %self.task_id, %error, "cannot read whether the task was cancelled");
                false
            }
        }
    }

    /// Runs one step (once, or once per `each` item). `Err` is the message shown for it.
    async fn step(
        &mut self,
        step: &scaffolder::template::Step,
        templater: &Templater,
        context: &mut Value,
        workspace: &mut Workspace,
        events: &mut Events<'_>,
        failed: bool,
    ) -> Result<(), String> {
        if let Some(condition) = &step.condition {
            let run = templater
                .condition(condition, context, failed)
                .map_err(|e| format!("if: {e}"))?;
            if !run {
                events
                    .status(
                        &step.id,
                        "skipped",
                        format!(
                            "Skipping step {} because its if condition is false",
                            step.id
                        ),
                    )
                    .await;
                return Ok(());
            }
        }
        let action = scaffolder::actions::find(&step.action)
            .ok_or_else(|| format!("{} is not an action this portal has", step.action))?;
        if let Some(output) = self
            .state
            .get(&step.id)
            .filter(|_| actions::changes_the_world(&action.id))
        {
            context["steps"][&step.id] = json!({ "output": output });
            events
                .status(
                    &step.id,
                    "completed",
                    format!(
                        "Step {} was done before this task was resumed; not repeated",
                        step.id
                    ),
                )
                .await;
            return Ok(());
        }
        events
            .status(
                &step.id,
                "processing",
                format!("Beginning step {}", step.name),
            )
            .await;
        let items = match &step.each {
            None => vec![None],
            Some(each) => {
                let value = templater
                    .render_value(each, context, "each")
                    .map_err(|e| e.to_string())?;
                each_items(value)?
            }
        };
        let mut outputs = Vec::new();
        for item in items {
            if let Some((key, value)) = &item {
                context["each"] = json!({ "key": key, "value": value });
                events
                    .log(
                        Some(&step.id),
                        format!("Running step {} for {key}", step.id),
                    )
                    .await;
            }
            let input = templater
                .render_value(&step.input, context, "input")
                .map_err(|e| e.to_string())?;
            let input = if input.is_null() { json!({}) } else { input };
            scaffolder::actions::check_input(action, &input).map_err(|errors| errors.join("; "))?;
            let mut logs = Vec::new();
            let result = {
                let mut ctx = ActionContext {
                    scaffolder: self.scaffolder,
                    task_id: self.task_id,
                    step_id: &step.id,
                    input,
                    workspace,
                    user: &context["user"],
                    template_base: self.base.as_deref(),
                    template_files: self.template_files,
                    mode: self.mode,
                    state: &mut self.state,
                    logs: &mut logs,
                };
                actions::run(&action.id, &mut ctx).await
            };
            for line in logs {
                events.log(Some(&step.id), line).await;
            }
            outputs.push(result?);
        }
        if let Some(map) = context.as_object_mut() {
            map.remove("each");
        }
        let output = if step.each.is_some() {
            // Backstage keeps each iteration's output under `steps.<id>.output.<key>`;
            // a list keeps their order.
            Value::Array(outputs)
        } else {
            outputs.pop().unwrap_or(Value::Null)
        };
        context["steps"][&step.id] = json!({ "output": output });
        self.state.insert(step.id.clone(), output);
        if let (Some(scaffolder), Mode::Real) = (self.scaffolder, self.mode) {
            let state = Value::Object(self.state.clone()).to_string();
            if let Err(error) = scaffolder
                .store
                .save_task_state(self.task_id, &scaffolder.worker, &state)
                .await
            {
                tracing::error!(task = %self.task_id, %error, "cannot record a finished step");
            }
        }
        events
            .status(
                &step.id,
                "completed",
                format!("Finished step {}", step.name),
            )
            .await;
        Ok(())
    }
}

/// The expression engine, with the GitHub hosts of the integration known to
/// `parseRepoUrl` besides Backstage's defaults.
fn templater(scaffolder: Option<&Scaffolder>) -> Templater {
    let mut integrations = ScmIntegration::backstage_defaults();
    for host in scaffolder.map(|s| s.github.hosts()).unwrap_or_default() {
        if !integrations
            .iter()
            .any(|i| i.host.eq_ignore_ascii_case(&host.host))
        {
            integrations.push(ScmIntegration::new(host.host.clone(), ScmKind::Github));
        }
    }
    Templater::new().with_integrations(integrations)
}

/// `each:` as Backstage reads it: a list (keys are indexes) or an object.
fn each_items(value: Value) -> Result<Vec<Option<(String, Value)>>, String> {
    let count = match &value {
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        _ => 0,
    };
    if count > MAX_EACH {
        return Err(format!(
            "each: gives {count} items; a step runs at most {MAX_EACH} times"
        ));
    }
    match value {
        Value::Array(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| Some((i.to_string(), v)))
            .collect()),
        Value::Object(map) => Ok(map.into_iter().map(|(k, v)| Some((k, v))).collect()),
        other => Err(format!("each: must give a list or an object, not {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_and_each_is_bounded() {
        let mut message = "é".repeat(MAX_MESSAGE);
        clip(&mut message);
        assert!(message.len() < MAX_MESSAGE + 64 && message.ends_with("bytes in all)"));
        let many = Value::Array(vec![json!(1); MAX_EACH + 1]);
        assert!(each_items(many).unwrap_err().contains("at most 1000"));
        assert_eq!(each_items(json!({"a": 1, "b": 2})).unwrap().len(), 2);
    }

    #[test]
    fn secrets_are_blanked_everywhere_longest_first() {
        let mut secrets = Map::new();
        secrets.insert("token".into(), json!("ghp_abc"));
        secrets.insert("nested".into(), json!({"key": "ghp_abcdef"}));
        let strings = secret_strings(&secrets);
        let mut body = json!({"message": "using ghp_abcdef and ghp_abc", "list": ["x ghp_abc"]});
        redact(&mut body, &strings);
        assert_eq!(
            body,
            json!({"message": "using *** and ***", "list": ["x ***"]})
        );
    }
}
