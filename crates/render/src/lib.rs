//! Application spec → a complete, policy-checked delivery setup: CI
//! workflows, Dockerfile, kustomize base and overlays, Argo Rollouts and
//! Argo CD, Istio, SLO rules, Terraform, Rego policies and catalog-info —
//! and what an editor needs around that: spec edits ([`edit`]) and the
//! differences between two environments' files ([`diff`]).
//!
//! ```
//! let spec = render::parse_spec(include_str!("../tests/specs/nextjs.yaml")).unwrap();
//! let rendered = render::render(&spec, &render::RenderOptions::default()).unwrap();
//! assert!(rendered.get("Dockerfile").is_some());
//! ```

pub mod actions;
mod artifacts;
mod context;
pub mod crd;
pub mod dashboard;
pub mod diff;
pub mod edit;
mod escape;
pub mod kustomize;
pub mod options;
pub mod outline;
pub mod policy;
mod render;
pub mod sizing;
pub mod spec;
pub mod stack;
mod verify;

pub use options::{BaseImages, OptionError, RenderOptions, SecurityContext};
pub use policy::Violation;
pub use render::{CheckReport, File, RenderError, Rendered, check, render};
pub use spec::{Spec, SpecError, json_schema, parse_spec};
