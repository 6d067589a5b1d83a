//! The portal's pages, one folder per capability. Each folder holds the pages of its
//! capability with the server functions that feed them and the data shapes they
//! exchange; rules about the domain live in the crates (`catalog`, `render`, …), not here.
//!
//! - `home` — `/`: what the portal holds and what changed lately.
//! - `catalog/` — `/catalog…`: browsing, one entity's page, registering entities, and the
//!   pieces other capabilities use to list and link entities (`catalog::shared`).
//! - `create/` — `/create…`: starting something new: the template gallery, the wizard that
//!   runs a template, the task pages, and the Application spec editor.
//! - `teams/` — `/teams`: groups and what they own.
//! - `insights/` — `/insights`: how delivery is going (DORA, maturity).
//!
//! - `identity/` — `/sign-in` and the header's account corner: who is signed in; the
//!   admin pages `/admin/permissions` and `/admin/audit` (`identity/admin/`).
//!
//! A new capability gets its own folder and its routes in `crate::App`.

pub mod catalog;
pub mod create;
pub mod home;
pub mod identity;
pub mod insights;
pub mod teams;
