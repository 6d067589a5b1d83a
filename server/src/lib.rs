//! The `portico` server: configuration, HTTP surface, REST API and background work.
//! `main.rs` is only the command line around it.

pub mod api;
pub mod catalog_cli;
pub mod catalog_import;
pub mod config;
pub mod demo;
pub mod health;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod register;
pub mod render_cli;
pub mod serve;
pub mod state;
pub mod telemetry;
pub mod workers;
