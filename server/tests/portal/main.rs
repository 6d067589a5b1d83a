//! The server's integration tests, in one test binary: the whole server is compiled and
//! linked into one test executable, not once per file.
//!
//! To add tests, put a file in this folder (`server/tests/portal/`) and a `mod` line for it
//! below; take what it needs from `support` (`use crate::support::{each_engine, ...};`).
//! A file directly in `server/tests/` would be a test binary of its own again. To move one
//! in: `git mv` it here, add its `mod` line, and swap `mod common;` for `support`:
//! `for app in spawn_each().await { .. }` becomes `each_engine(async |app| { .. }).await`,
//! `spawn(store::testing::sqlite().await)` becomes `TestPortal::new().start_sqlite()`.

mod support;

mod admin;
mod audit;
mod authorisation;
mod catalog_api;
mod catalog_pages;
mod cli;
mod concurrent_portals;
mod foundation;
mod generate_entity;
mod github_discovery;
mod hostile_input;
mod ingestion;
mod insights;
mod permissions;
mod render_api;
mod render_cli;
mod replicas;
mod scaffolder;
mod scaffolder_pages;
mod signin;
mod signin_private_ca;
mod signin_providers;
mod surveys;
mod teams;
mod tokens;
