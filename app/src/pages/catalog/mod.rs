//! The software catalog: browsing it (`/catalog`), one entity's page
//! (`/catalog/:namespace/:kind/:name`) and registering entities (`/catalog/register`).
//! `shared` holds what other capabilities use to list and link entities.

pub mod browse;
pub mod entity;
pub mod register;
pub mod shared;
