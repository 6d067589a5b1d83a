//! The server's integration tests, in one test binary so the whole server is compiled and
//! linked into a test executable once, not once per file.
//!
//! One module per area; what modules share (the test portal, request helpers, the built
//! `portico` binary) is in `support`. To add tests, add a file here (`server/tests/portal/`)
//! and a `mod` line for it below; start it with `use crate::support::...` for what it
//! needs. A file directly in `server/tests/` would be a test binary of its own.

mod support;

mod catalog_api;
mod catalog_pages;
mod cli;
mod concurrent_portals;
mod foundation;
mod ingestion;
mod render_api;
mod render_cli;
