//! `POST /api/render`: an Application spec in, its delivery files out — as JSON, or as a
//! `.tar.gz` / `.zip` download. `GET /api/render/schema`: the spec's JSON Schema.
//!
//! The spec is the body (`application/yaml`, `text/yaml` or `application/json`), or the
//! `spec` field of an HTML form (`application/x-www-form-urlencoded`, so the preview page
//! can offer a download without JavaScript). `?env=` renders one environment; `?format=`
//! (or the form's `format` field, or `Accept`) picks `json`, `tar` or `zip`.
//!
//! A spec with errors or policy violations answers 422 with the same envelope as a
//! success, `{files: [], violations: [...], errors: [...]}`, so that one client shape
//! reads both.

use crate::error::{ApiError, KeepErrorBody, backstage_errors};
use crate::identity::Authorized;
use crate::identity::act::SpecRender;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router, middleware};
use render::{RenderError, RenderOptions, Rendered, SpecError, Violation};
use serde::{Deserialize, Serialize};
use std::io::Write;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/render", post(render_spec))
        .route("/api/render/schema", get(schema))
        .layer(middleware::from_fn(backstage_errors))
}

#[derive(Debug, Default, Deserialize)]
pub struct RenderQuery {
    pub env: Option<String>,
    pub format: Option<String>,
}

/// The fields of the preview page's download form.
#[derive(Debug, Deserialize)]
struct SpecForm {
    spec: String,
    env: Option<String>,
    format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    TarGz,
    Zip,
}

impl Format {
    fn parse(text: &str) -> Result<Format, ApiError> {
        match text {
            "json" => Ok(Format::Json),
            "tar" | "tar.gz" | "tgz" => Ok(Format::TarGz),
            "zip" => Ok(Format::Zip),
            other => Err(ApiError::input(format!(
                "format \"{other}\" is not one of json, tar, zip"
            ))),
        }
    }

    fn from_accept(headers: &HeaderMap) -> Format {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if accept.contains("application/zip") {
            Format::Zip
        } else if [
            "application/gzip",
            "application/x-tar",
            "application/x-gtar",
        ]
        .iter()
        .any(|t| accept.contains(t))
        {
            Format::TarGz
        } else {
            Format::Json
        }
    }
}

/// The answer envelope, for success (200) and refusal (422) alike.
#[derive(Debug, Serialize)]
pub struct RenderResponse {
    pub files: Vec<render::File>,
    pub violations: Vec<Violation>,
    pub errors: Vec<SpecError>,
}

async fn schema() -> Response {
    (
        [(header::CONTENT_TYPE, "application/schema+json")],
        render::json_schema(),
    )
        .into_response()
}

async fn render_spec(
    _auth: Authorized<SpecRender>,
    State(state): State<AppState>,
    Query(query): Query<RenderQuery>,
    request: Request,
) -> Response {
    match render_request(&state.config.render, query, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn render_request(
    platform: &RenderOptions,
    query: RenderQuery,
    request: Request,
) -> Result<Response, ApiError> {
    let headers = request.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (spec, form_env, form_format) = match content_type.as_str() {
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml"
        | "application/json" => {
            let body = Bytes::from_request(request, &())
                .await
                .map_err(|e| ApiError::input(e.body_text()))?;
            let text = String::from_utf8(body.to_vec())
                .map_err(|_| ApiError::input("the spec is not UTF-8 text"))?;
            (text, None, None)
        }
        "application/x-www-form-urlencoded" => {
            let Form(form) = Form::<SpecForm>::from_request(request, &())
                .await
                .map_err(|e| ApiError::input(e.body_text()))?;
            (form.spec, form.env, form.format)
        }
        other => {
            return Err(ApiError {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                name: "InputError",
                message: format!(
                    "Content-Type \"{other}\" is not supported: send the spec as \
                     application/yaml, text/yaml or application/json"
                ),
            });
        }
    };
    if spec.trim().is_empty() {
        return Err(ApiError::input("the request body is empty: send the spec"));
    }
    let format = match query.format.or(form_format).filter(|f| !f.is_empty()) {
        Some(text) => Format::parse(&text)?,
        None => Format::from_accept(&headers),
    };
    let environment = query.env.or(form_env).filter(|e| !e.is_empty());

    let spec = match render::parse_spec(&spec) {
        Ok(spec) => spec,
        Err(errors) => return Ok(refused(errors, vec![])),
    };
    let options = RenderOptions {
        environment: environment.clone(),
        ..platform.clone()
    };
    let rendered = match render::render(&spec, &options) {
        Ok(rendered) => rendered,
        Err(RenderError::PolicyViolations(violations)) => return Ok(refused(vec![], violations)),
        // A value a generated file could not carry: the user's to change, so 422.
        Err(RenderError::UnsafeValues(errors)) => return Ok(refused(errors, vec![])),
        Err(error @ RenderError::UnknownEnvironment(..)) => {
            return Err(ApiError::input(error.to_string()));
        }
        Err(error) => return Err(ApiError::internal(error)),
    };
    let stem = match &environment {
        Some(env) => format!("{}-{env}", spec.metadata.name),
        None => spec.metadata.name.clone(),
    };
    match format {
        Format::Json => Ok(Json(RenderResponse {
            files: rendered.files,
            violations: vec![],
            errors: vec![],
        })
        .into_response()),
        Format::TarGz => {
            let bytes = tar_gz(&rendered).map_err(ApiError::internal)?;
            Ok(download(
                bytes,
                "application/gzip",
                &format!("{stem}.tar.gz"),
            ))
        }
        Format::Zip => {
            let bytes = zip(&rendered).map_err(ApiError::internal)?;
            Ok(download(bytes, "application/zip", &format!("{stem}.zip")))
        }
    }
}

fn refused(errors: Vec<SpecError>, violations: Vec<Violation>) -> Response {
    let message = if errors.is_empty() {
        format!("{} policy violation(s)", violations.len())
    } else {
        format!("{} error(s) in the spec", errors.len())
    };
    let mut response = (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(serde_json::json!({
            "error": { "name": "InputError", "message": message },
            "files": [],
            "violations": violations,
            "errors": errors,
        })),
    )
        .into_response();
    response.extensions_mut().insert(KeepErrorBody);
    response
}

/// `stem` is built from a validated DNS-1123 name (and environment), so it needs no quoting.
fn download(bytes: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A gzip-compressed tar of the files, reproducible: fixed mode, owner and time.
pub fn tar_gz(rendered: &Rendered) -> std::io::Result<Vec<u8>> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    for file in &rendered.files {
        let mut header = tar::Header::new_gnu();
        header.set_size(file.contents.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, &file.path, file.contents.as_bytes())?;
    }
    builder.into_inner()?.finish()
}

/// A deflate-compressed zip of the files, reproducible: fixed mode and time.
pub fn zip(rendered: &Rendered) -> zip::result::ZipResult<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for file in &rendered.files {
        writer.start_file(file.path.as_str(), options)?;
        writer.write_all(file.contents.as_bytes())?;
    }
    Ok(writer.finish()?.into_inner())
}
