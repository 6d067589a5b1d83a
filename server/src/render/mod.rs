//! The Application spec renderer: `POST /api/render` and `portico render`. The rules
//! (spec, templates, policies) live in `crates/render`.

pub mod api;
pub mod cli;
