//! The software catalog: browsing it (`/catalog`), one entity's page
//! (`/catalog/:namespace/:kind/:name`), registering entities (`/catalog/register`) and,
//! for admins, the entity providers' status (`/catalog/providers`).
//! `shared` holds what other capabilities use to list and link entities.

pub mod browse;
pub mod entity;
pub mod providers;
pub mod register;
pub mod shared;
