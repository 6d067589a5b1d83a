//! The `portico` server, one folder per capability:
//!
//! - `catalog/`: Backstage's catalog API, reading locations (ingest), the refresh loop,
//!   the register page's backend, the demo organisation and the `portico catalog` commands;
//! - `render/`: the Application spec renderer's API and the `portico render` command;
//! - `scaffolder/`: templates run as tasks (Backstage's `/api/scaffolder/v2`), their
//!   actions, publishing to GitHub;
//! - `identity/`: who is asking and what they may do — the one authorisation seam;
//! - `teams/`: the team directory, team and person pages as JSON (`/api/teams`);
//! - `ops/`: health probes and Prometheus metrics;
//! - `integrations/`: the systems around the portal (GitHub), configured once.
//!
//! Shared wiring sits at the top: `http.rs` (every route and layer in one place),
//! `config.rs`, `state.rs`, `serve.rs`, `telemetry.rs`, and `error.rs` (the API error
//! envelope). `main.rs` is only the command line around it.

pub mod catalog;
pub mod config;
pub mod error;
pub mod http;
pub mod identity;
pub mod insights;
pub mod integrations;
pub mod ops;
pub mod render;
pub mod scaffolder;
pub mod serve;
pub mod state;
pub mod teams;
pub mod telemetry;
pub mod work;
