//! Connections to the systems around the portal, configured once and shared by every
//! capability: the catalog reads files through them today; creating repositories and
//! receiving webhooks will go through the same ones.

pub mod github;
pub mod github_api;
