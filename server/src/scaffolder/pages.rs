//! [`app::Scaffolding`] for the scaffolder pages: the same authorisation, validation and
//! runner as the REST API, reached through the request's session.

use super::api::{self, StartError};
use crate::error::ApiError;
use crate::state::AppState;
use app::{DryRunFile, DryRunView, FieldProblem, Scaffolding, ScaffoldingError, ScaffoldingFuture};
use axum::http::request::Parts;
use identity::{Action, Caller, Target};
use serde_json::{Map, Value};

pub struct PageScaffolding {
    pub state: AppState,
}

impl PageScaffolding {
    /// The caller, allowed to do `action` on `target` (refusals recorded by the seam).
    async fn allowed(
        &self,
        request: &Parts,
        action: Action,
        target: &Target,
    ) -> Result<Caller, ScaffoldingError> {
        let seam = &self.state.seam;
        let caller = seam.authenticate(request).await.map_err(refused_by_seam)?;
        let client = seam.client(request);
        seam.decide_recorded(&client, &caller, action, target)
            .await
            .map_err(refused_by_seam)?;
        Ok(caller)
    }

    /// Cancelling and retrying: the task is the target (its creator its owner); the write
    /// is done only when the seam allows it, and recorded however it ends.
    async fn on_task<T>(
        &self,
        request: &Parts,
        task_id: &str,
        write: impl AsyncFnOnce(&store::TaskRow) -> Result<T, ApiError>,
    ) -> Result<T, ScaffoldingError> {
        let task = api::found_task(&self.state, task_id)
            .await
            .map_err(refused)?;
        let caller = self
            .allowed(request, Action::TaskCancel, &api::task_target(&task))
            .await?;
        let result = write(&task).await;
        let failure = result.as_ref().err().map(|e| e.message.clone());
        let target = format!("task:{task_id}");
        self.record(
            request,
            &caller,
            Action::TaskCancel,
            &target,
            failure.as_deref(),
        )
        .await;
        result.map_err(refused)
    }

    /// Records how an allowed write ended.
    async fn record(
        &self,
        request: &Parts,
        caller: &Caller,
        action: Action,
        target: &str,
        failure: Option<&str>,
    ) {
        let seam = &self.state.seam;
        let grant = identity::Grant {
            caller: caller.clone(),
            action,
        };
        identity::Authorize::record(seam.as_ref(), request, &grant, target, failure).await;
    }
}

fn refused_by_seam(denial: identity::Denial) -> ScaffoldingError {
    refused(denial.into())
}

fn refused(error: ApiError) -> ScaffoldingError {
    ScaffoldingError::Refused {
        status: error.status.as_u16(),
        message: error.message,
    }
}

fn start_error(error: StartError) -> ScaffoldingError {
    match error {
        StartError::Invalid(errors) => ScaffoldingError::Invalid(
            errors
                .into_iter()
                .map(|e| FieldProblem {
                    path: e.path,
                    message: e.message,
                })
                .collect(),
        ),
        StartError::Api(error) => refused(error),
    }
}

impl Scaffolding for PageScaffolding {
    fn start(
        &self,
        request: Parts,
        template_ref: String,
        values: Map<String, Value>,
        secrets: Map<String, Value>,
    ) -> ScaffoldingFuture<'_, String> {
        Box::pin(async move {
            let caller = self
                .allowed(&request, Action::TaskCreate, &Target::Portal)
                .await?;
            let result =
                api::start_task(&self.state, &caller, &template_ref, values, secrets).await;
            let failure = match &result {
                Ok(_) | Err(StartError::Invalid(_)) => None,
                Err(StartError::Api(error)) => Some(error.message.clone()),
            };
            self.record(
                &request,
                &caller,
                Action::TaskCreate,
                &template_ref,
                failure.as_deref(),
            )
            .await;
            result.map_err(start_error)
        })
    }

    fn dry_run(
        &self,
        request: Parts,
        template_ref: String,
        values: Map<String, Value>,
        secrets: Map<String, Value>,
    ) -> ScaffoldingFuture<'_, DryRunView> {
        Box::pin(async move {
            let caller = self
                .allowed(&request, Action::TaskCreate, &Target::Portal)
                .await?;
            let template = api::load_template(&self.state, &template_ref)
                .await
                .map_err(refused)?;
            let (_, result) =
                api::dry_run_template(&self.state, &caller, &template, values, secrets, None)
                    .await
                    .map_err(start_error)?;
            let files = result
                .workspace
                .files()
                .iter()
                .map(|(path, file)| DryRunFile {
                    path: path.clone(),
                    text: (!scaffolder::skeleton::is_binary(&file.content))
                        .then(|| String::from_utf8_lossy(&file.content).into_owned()),
                    bytes: file.content.len(),
                    executable: file.executable,
                })
                .collect();
            let log = result
                .events
                .iter()
                .filter_map(|event| event["body"]["message"].as_str().map(str::to_string))
                .collect();
            Ok(DryRunView {
                status: result.status.as_str().to_string(),
                files,
                log,
            })
        })
    }

    fn cancel(&self, request: Parts, task_id: String) -> ScaffoldingFuture<'_, String> {
        Box::pin(async move {
            let state = &self.state;
            self.on_task(&request, &task_id, async |task| {
                api::cancel_task(state, task).await.map(str::to_string)
            })
            .await
        })
    }

    fn retry(&self, request: Parts, task_id: String) -> ScaffoldingFuture<'_, ()> {
        Box::pin(async move {
            let state = &self.state;
            self.on_task(&request, &task_id, async |task| {
                api::retry_task(state, task).await
            })
            .await
        })
    }
}
