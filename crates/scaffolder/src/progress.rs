//! How far a task has got, read from its events: each step's status and when it started
//! and ended, the log in order, and what the task gave at the end (links, text).
//!
//! The runner writes a `log` event for every status change of a step (`stepId` and
//! `status`: processing, completed, failed, skipped, cancelled) and for every log line,
//! then one `completion` (or `cancelled`) event with the output. A `recovered` event
//! starts a run again (a retry, or another replica taking the task over): the steps that
//! had not completed are pending again until the new run reaches them.

use crate::template::Step;
use serde_json::Value;

/// A step's status, in Backstage's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Processing,
    Completed,
    Failed,
    Skipped,
    Cancelled,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Processing => "processing",
            StepStatus::Completed => "completed",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Option<StepStatus> {
        Some(match text {
            "processing" => StepStatus::Processing,
            "completed" => StepStatus::Completed,
            "failed" => StepStatus::Failed,
            "skipped" => StepStatus::Skipped,
            "cancelled" => StepStatus::Cancelled,
            _ => return None,
        })
    }
}

/// One event of a task, as stored: its type, body and time (milliseconds since the epoch).
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    pub event_type: &'a str,
    pub body: &'a Value,
    pub at_ms: i64,
}

/// One step and how far it got.
#[derive(Clone, Debug, PartialEq)]
pub struct StepProgress {
    pub id: String,
    pub name: String,
    pub action: String,
    pub status: StepStatus,
    pub started_ms: Option<i64>,
    pub ended_ms: Option<i64>,
}

impl StepProgress {
    /// How long it ran: until it ended, or until `now_ms` while it runs.
    pub fn duration_ms(&self, now_ms: i64) -> Option<i64> {
        let started = self.started_ms?;
        let ended = match self.status {
            StepStatus::Processing => now_ms,
            _ => self.ended_ms?,
        };
        Some((ended - started).max(0))
    }
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub at_ms: i64,
    pub step_id: Option<String>,
    pub message: String,
}

/// A link of the task's output (`spec.output.links`): to a URL, or to a catalog entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputLink {
    pub title: String,
    pub url: Option<String>,
    pub entity_ref: Option<String>,
}

/// A text of the task's output (`spec.output.text`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputText {
    pub title: Option<String>,
    pub content: String,
}

/// How far a task has got.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Progress {
    pub steps: Vec<StepProgress>,
    pub log: Vec<LogLine>,
    /// Whether the last run ended (a `completion` or `cancelled` event came after the last
    /// `recovered` one).
    pub ended: bool,
    pub links: Vec<OutputLink>,
    pub text: Vec<OutputText>,
    /// The error the last run ended with, if it failed.
    pub error: Option<String>,
    /// Why the last step that failed did (`Step publish (Publish) failed: …`), which
    /// says more than the run's error.
    pub failure: Option<String>,
}

/// Reads `events` (oldest first) for a task with `steps`.
pub fn progress(steps: &[Step], events: &[Event<'_>]) -> Progress {
    let mut progress = Progress {
        steps: steps
            .iter()
            .map(|step| StepProgress {
                id: step.id.clone(),
                name: step.name.clone(),
                action: step.action.clone(),
                status: StepStatus::Pending,
                started_ms: None,
                ended_ms: None,
            })
            .collect(),
        ..Progress::default()
    };
    for event in events {
        let text = |key: &str| event.body.get(key).and_then(Value::as_str);
        let step_id = text("stepId");
        if let Some(message) = text("message") {
            progress.log.push(LogLine {
                at_ms: event.at_ms,
                step_id: step_id.map(str::to_string),
                message: message.to_string(),
            });
        }
        match event.event_type {
            "log" => {
                let (Some(id), Some(status)) =
                    (step_id, text("status").and_then(StepStatus::parse))
                else {
                    continue;
                };
                let Some(step) = progress.steps.iter_mut().find(|s| s.id == id) else {
                    continue;
                };
                if status == StepStatus::Failed {
                    progress.failure = text("message").map(str::to_string);
                }
                match status {
                    StepStatus::Processing => {
                        step.started_ms = Some(event.at_ms);
                        step.ended_ms = None;
                    }
                    _ => step.ended_ms = Some(event.at_ms),
                }
                step.status = status;
            }
            "recovered" => {
                progress.ended = false;
                progress.links.clear();
                progress.text.clear();
                progress.error = None;
                progress.failure = None;
                for step in &mut progress.steps {
                    if step.status != StepStatus::Completed {
                        step.status = StepStatus::Pending;
                        step.started_ms = None;
                        step.ended_ms = None;
                    }
                }
            }
            "completion" | "cancelled" => {
                progress.ended = true;
                let output = event.body.get("output").unwrap_or(&Value::Null);
                progress.links = links(output);
                progress.text = texts(output);
                progress.error = event
                    .body
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                // A step still processing when the run ended did not finish.
                for step in &mut progress.steps {
                    if step.status == StepStatus::Processing {
                        step.status = StepStatus::Failed;
                        step.ended_ms = Some(event.at_ms);
                    }
                }
            }
            _ => {}
        }
    }
    progress
}

fn links(output: &Value) -> Vec<OutputLink> {
    let Some(list) = output.get("links").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|link| {
            let text = |key: &str| {
                link.get(key)
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
            };
            let url = text("url");
            let entity_ref = text("entityRef");
            if url.is_none() && entity_ref.is_none() {
                return None;
            }
            Some(OutputLink {
                title: text("title")
                    .or_else(|| entity_ref.clone())
                    .or_else(|| url.clone())
                    .unwrap_or_default(),
                url,
                entity_ref,
            })
        })
        .collect()
}

/// `output.text`: Backstage's list of `{title, content}`, or one string.
fn texts(output: &Value) -> Vec<OutputText> {
    match output.get("text") {
        Some(Value::String(content)) if !content.is_empty() => vec![OutputText {
            title: None,
            content: content.clone(),
        }],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|item| {
                let content = item.get("content").and_then(Value::as_str)?;
                Some(OutputText {
                    title: item
                        .get("title")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    content: content.to_string(),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn steps() -> Vec<Step> {
        ["fetch", "publish", "register"]
            .iter()
            .map(|id| Step {
                id: id.to_string(),
                name: format!("Step {id}"),
                action: "debug:log".into(),
                input: Value::Null,
                condition: None,
                each: None,
            })
            .collect()
    }

    fn status(id: &str, status: &str) -> Value {
        json!({"message": format!("{id} {status}"), "stepId": id, "status": status})
    }

    fn read(events: &[(&str, Value, i64)]) -> Progress {
        let events: Vec<Event> = events
            .iter()
            .map(|(event_type, body, at_ms)| Event {
                event_type,
                body,
                at_ms: *at_ms,
            })
            .collect();
        progress(&steps(), &events)
    }

    fn statuses(progress: &Progress) -> Vec<&'static str> {
        progress.steps.iter().map(|s| s.status.as_str()).collect()
    }

    #[test]
    fn steps_take_the_status_of_their_last_event_with_durations() {
        let progress = read(&[
            ("log", status("fetch", "processing"), 1_000),
            (
                "log",
                json!({"message": "wrote 3 files", "stepId": "fetch"}),
                1_100,
            ),
            ("log", status("fetch", "completed"), 1_250),
            ("log", status("publish", "processing"), 1_300),
        ]);
        assert_eq!(statuses(&progress), ["completed", "processing", "pending"]);
        assert_eq!(progress.steps[0].duration_ms(9_999), Some(250));
        assert_eq!(progress.steps[1].duration_ms(2_300), Some(1_000));
        assert_eq!(progress.steps[2].duration_ms(2_300), None);
        assert_eq!(progress.log.len(), 4);
        assert_eq!(progress.log[1].message, "wrote 3 files");
        assert_eq!(progress.log[1].step_id.as_deref(), Some("fetch"));
        assert!(!progress.ended);
    }

    #[test]
    fn the_end_gives_the_links_and_the_error() {
        let progress = read(&[
            ("log", status("fetch", "processing"), 1),
            ("log", status("fetch", "completed"), 2),
            ("log", status("publish", "processing"), 3),
            ("log", status("publish", "failed"), 4),
            ("log", status("register", "skipped"), 5),
            (
                "completion",
                json!({"message": "Run completed with status: failed",
                       "error": {"message": "The task ended as failed"},
                       "output": {"links": [{"title": "Repository", "url": "https://github.com/a/b"},
                                            {"title": "Open in catalog", "entityRef": "component:default/b"},
                                            {"title": "Nothing"}],
                                  "text": [{"title": "Next", "content": "Run it"}]}}),
                6,
            ),
        ]);
        assert_eq!(statuses(&progress), ["completed", "failed", "skipped"]);
        assert!(progress.ended);
        assert_eq!(progress.error.as_deref(), Some("The task ended as failed"));
        assert_eq!(progress.failure.as_deref(), Some("publish failed"));
        assert_eq!(progress.links.len(), 2);
        assert_eq!(
            progress.links[0].url.as_deref(),
            Some("https://github.com/a/b")
        );
        assert_eq!(
            progress.links[1].entity_ref.as_deref(),
            Some("component:default/b")
        );
        assert_eq!(progress.text[0].content, "Run it");
    }

    #[test]
    fn a_retry_makes_unfinished_steps_pending_again() {
        let progress = read(&[
            ("log", status("fetch", "processing"), 1),
            ("log", status("fetch", "completed"), 2),
            ("log", status("publish", "processing"), 3),
            ("log", status("publish", "failed"), 4),
            ("log", status("register", "skipped"), 5),
            (
                "completion",
                json!({"message": "failed", "error": {"message": "x"}}),
                6,
            ),
            ("recovered", json!({"message": "The task was retried"}), 7),
            ("log", status("publish", "processing"), 8),
        ]);
        assert_eq!(statuses(&progress), ["completed", "processing", "pending"]);
        assert!(!progress.ended && progress.error.is_none() && progress.failure.is_none());
        assert_eq!(progress.steps[1].started_ms, Some(8));
        assert_eq!(progress.log.last().unwrap().message, "publish processing");
    }

    #[test]
    fn a_step_running_when_the_run_ended_did_not_finish() {
        let progress = read(&[
            ("log", status("fetch", "processing"), 1),
            (
                "completion",
                json!({"message": "The task ran longer than 600 s"}),
                9,
            ),
        ]);
        assert_eq!(statuses(&progress), ["failed", "pending", "pending"]);
        assert_eq!(progress.steps[0].duration_ms(100), Some(8));
    }
}
