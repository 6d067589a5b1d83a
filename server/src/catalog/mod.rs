//! The software catalog: Backstage's REST API (`api/`), reading locations (`ingest/`),
//! parsing catalog text off the async threads (`parsing`), the background refresh loop,
//! entity providers (GitHub discovery and org, `providers/`), keeping the catalog page's
//! counts warm (`warm`), the register page's backend, the demo organisation and the
//! `portico catalog validate|import` commands. Entity rules live in `crates/catalog`,
//! SQL in `crates/store`.

pub mod api;
pub mod cli;
pub mod demo;
pub mod import;
pub mod ingest;
pub mod parsing;
pub mod providers;
pub mod refresh;
pub mod register;
pub mod warm;
