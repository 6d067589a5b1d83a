//! GitHub as a source of catalog data, read the way Backstage's GitHub module reads it:
//! which repositories' catalog files discovery registers (`catalog.providers.github`),
//! and the Group and User entities an organisation's teams and members become
//! (`catalog.providers.githubOrg`). Pure: the server makes the requests and hands the
//! answers here.

mod config;
mod discovery;
mod org;

pub use config::{
    ConfigProblem, DiscoveryConfig, OrgConfig, ProvidersConfig, RepositoryFilter, Schedule,
    Visibility, parse_providers,
};
pub use discovery::{CatalogPath, Repository, blob_url, select};
pub use org::{Member, Organization, Team, org_entities};
