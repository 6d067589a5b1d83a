//! Configuration: defaults, then an optional `portico.yaml`, then environment variables.
//!
//! Every key is parsed once, here; a bad value stops the start with one line that names
//! the key, the value and the fix (exit code 2, see `main`).

use crate::integrations::github::{GithubHost, GithubIntegration};
use identity::Policy;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    /// May hold a password, so it never prints.
    pub database_url: Secret,
    /// PostgreSQL connections this replica opens at most (`database_max_connections`).
    pub database_max_connections: u32,
    pub log_format: LogFormat,
    pub log_level: String,
    pub demo: bool,
    pub public_url: String,
    pub site_root: PathBuf,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub shutdown_grace: Duration,
    /// The header a reverse proxy puts the client's address in (e.g. `x-forwarded-for`);
    /// `None`: the TCP peer is the client.
    pub client_address_header: Option<axum::http::HeaderName>,
    pub ingest: IngestConfig,
    pub drafts: DraftConfig,
    /// The GitHub hosts Portico reads from (and will publish to).
    pub github: GithubIntegration,
    pub work: WorkConfig,
    pub sessions: SessionConfig,
    pub auth: AuthConfig,
    /// Who may do what (`permissions:`).
    pub policy: Policy,
    /// Audit log entries older than this are pruned (`audit_retention_days`).
    pub audit_retention: Duration,
    pub scaffolder: ScaffolderConfig,
    pub insights: InsightsConfig,
    /// The platform's choices for every render (`render:`): registry, base images,
    /// GitOps repository, clusters, policies.
    pub render: render::RenderOptions,
    /// Entity providers (`catalog: {providers: …}`): GitHub discovery and GitHub org.
    pub catalog_providers: catalog::github::ProvidersConfig,
}

/// Where platform metrics come from.
#[derive(Clone, Debug)]
pub struct InsightsConfig {
    /// The secret GitHub signs webhook deliveries with (`github_webhook_secret`); without
    /// one, deliveries are refused.
    pub webhook_secret: Option<Secret>,
    /// The environments whose deployments count for DORA, lowercased
    /// (`insights_production_environments`).
    pub production: Vec<String>,
    /// Issue labels that make an issue an incident, lowercased (`insights_incident_labels`).
    pub incident_labels: Vec<String>,
    /// Issue labels that make an issue a support request to the platform team, lowercased
    /// (`insights_support_labels`).
    pub support_labels: Vec<String>,
    /// GitHub Actions workflows whose finished runs on the default branch are production
    /// deployments, lowercased (`insights_deployment_workflows`); for repositories that
    /// deploy without GitHub environments (whose jobs report deployments themselves).
    pub deployment_workflows: Vec<String>,
    /// Survey answers keep no person and no time finer than the quarter
    /// (`surveys_anonymous`).
    pub anonymous_surveys: bool,
    /// The maturity rubric: the YAML file `insights_maturity_rubric` names, checked at
    /// start, or the built-in one.
    pub rubric: insights::maturity::Rubric,
    /// The DORA performance tiers' bounds: the YAML file `insights_dora_thresholds` names,
    /// or DORA 2024's.
    pub thresholds: insights::dora::Thresholds,
}

/// How this replica runs scaffolder tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaffolderConfig {
    /// Tasks this replica runs at once (`scaffolder_concurrency`).
    pub concurrency: usize,
    /// What happens to a task whose replica stopped mid-run (`scaffolder_recovery`).
    pub recovery: Recovery,
    /// A task running longer than this fails (`scaffolder_task_timeout_secs`).
    pub task_timeout: Duration,
}

/// What another replica does with a task whose replica stopped mid-run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Run it on from the first step that had not finished.
    Resume,
    /// End it as failed, saying why.
    Fail,
}

/// How long sign-in sessions last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, however busy.
    pub max: Duration,
}

/// How people sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthConfig {
    /// Guest sign-in: pick any person of the catalog, without a password. For a portal on
    /// one's own machine only, unless explicitly allowed.
    pub guest: bool,
    /// The identity providers people sign in with (`auth.providers`), in the order the
    /// sign-in page lists them.
    pub providers: Vec<SignInProvider>,
    /// What happens to someone a provider vouches for but the catalog has no User entity
    /// for (`auth.unknown_people`).
    pub unknown_people: UnknownPeople,
    /// Certificate authorities the providers' HTTPS certificates may be signed by besides
    /// the public ones (`auth.ca_file`: a company's private CA), as PEM; checked to hold at
    /// least one certificate.
    pub ca_pem: Option<String>,
}

impl AuthConfig {
    /// The provider with `id`, if configured.
    pub fn provider(&self, id: &str) -> Option<&SignInProvider> {
        self.providers.iter().find(|provider| provider.id == id)
    }
}

/// `auth.unknown_people`: whether a person without a User entity in the catalog may sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownPeople {
    /// They sign in with no groups: they can read, and do what the policy lets anyone
    /// signed in do.
    Allow,
    /// They are refused, with a message that says what to add to the catalog.
    Refuse,
}

/// One entry of `auth.providers`: a way to sign in, and the OAuth client the portal is
/// registered as there. Its redirect URI is `{public_url}/auth/{id}/callback`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInProvider {
    /// In URLs and subjects (`oidc:{id}:{sub}`): lowercase letters, digits and dashes.
    pub id: String,
    /// What the sign-in button says: "Sign in with {title}".
    pub title: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// The scopes asked for (OpenID Connect always asks for `openid` too).
    pub scopes: Vec<String>,
    pub kind: ProviderKind,
}

/// What kind of provider a [`SignInProvider`] is, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderKind {
    /// Any OpenID Connect provider (Okta, Entra ID, Keycloak, Google, Dex, …), found
    /// through `{issuer}/.well-known/openid-configuration`.
    Oidc { issuer: String },
    /// GitHub's OAuth apps, on github.com or a GitHub Enterprise host of the GitHub
    /// integration.
    Github {
        /// The web host, as in `integrations.github` (subjects are `github:{host}:{id}`).
        host: String,
        /// Where people authorise the portal and codes are exchanged: `https://{host}`.
        web_url: String,
        /// The REST API the signed-in user is read from (the integration's `apiBaseUrl`).
        api_url: String,
    },
}

/// `auth_guest`: whether guest sign-in is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestMode {
    /// When no sign-in provider is configured and the portal listens on loopback.
    Auto,
    /// Always, also on a network address (an explicit choice for trusted networks).
    On,
    Off,
}

/// Background work shared by replicas through claims in the database (the refresh loop
/// today; tasks and webhook deliveries later).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkConfig {
    /// How long an idle worker waits before it looks for due work again.
    pub poll: Duration,
    /// How long a claim lasts unless its worker extends it; a worker that dies holds its
    /// work this long at most.
    pub lease: Duration,
}

/// The register page's drafts (pasted text kept for its preview URL): how long each is
/// kept and how many are kept per client and in all. Each is at most
/// `catalog_max_file_bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DraftConfig {
    pub lifetime: Duration,
    pub per_client: u32,
    pub total: u32,
}

/// What happens to entities a location no longer provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrphanStrategy {
    /// Remove them from the catalog (Backstage's default).
    Delete,
    /// Keep them, owned by no location, until someone deletes them.
    Keep,
}

/// Reading catalog locations (see `docs/configuration-ingestion.md`).
#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// How often the refresh loop re-reads each location.
    pub refresh_interval: Duration,
    pub orphan_strategy: OrphanStrategy,
    /// Folders `file` locations may read from; none means `file` locations are refused.
    pub file_roots: Vec<PathBuf>,
    /// Networks (and ports) URL locations may reach even though they are private,
    /// loopback, link-local or cloud metadata addresses (refused by default: SSRF).
    pub url_allow: Vec<AllowedNetwork>,
    /// Time limit for one URL read (redirects included) or one file read.
    pub read_timeout: Duration,
    /// Largest catalog file read from a location (and largest pasted text).
    pub max_file_bytes: u64,
    /// Time limit for parsing one catalog file or pasted text.
    pub parse_timeout: Duration,
    pub max_redirects: usize,
}

/// An entry of `catalog_url_allow`: addresses a URL location may reach although they are
/// not public, and the one port it may reach them on (`10.1.2.3:443`, `10.1.0.0/16:443`,
/// `[fd00::1]:8443`); without a port (`10.1.2.3`), the web ports 80 and 443 only, so an
/// allowed Git server does not open the database next to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllowedNetwork {
    pub network: ipnet::IpNet,
    pub port: Option<u16>,
}

impl AllowedNetwork {
    /// The ports an entry without its own port allows.
    pub const WEB_PORTS: [u16; 2] = [80, 443];

    /// Whether `ip` is in this network and `port` one this entry allows.
    pub fn permits(&self, ip: std::net::IpAddr, port: u16) -> bool {
        self.network.contains(&ip) && self.ports().contains(&port)
    }

    /// The ports this entry allows.
    pub fn ports(&self) -> Vec<u16> {
        match self.port {
            Some(port) => vec![port],
            None => AllowedNetwork::WEB_PORTS.to_vec(),
        }
    }
}

impl std::str::FromStr for AllowedNetwork {
    type Err = String;

    /// `ADDRESS`, `NETWORK/PREFIX`, either followed by `:PORT` (IPv6 in brackets then).
    fn from_str(text: &str) -> Result<AllowedNetwork, String> {
        let network = |text: &str| {
            text.parse::<ipnet::IpNet>()
                .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .ok()
        };
        let port = |text: &str| text.parse::<u16>().ok().filter(|port| *port > 0);
        let text = text.trim();
        if let Some(network) = network(text) {
            return Ok(AllowedNetwork {
                network,
                port: None,
            });
        }
        let (address, port_text) = match text.strip_prefix('[') {
            Some(rest) => rest.split_once("]:"),
            // Unbracketed, only IPv4 can carry a port: IPv6 has colons of its own.
            None => text.rsplit_once(':').filter(|(a, _)| !a.contains(':')),
        }
        .ok_or_else(|| format!("{text:?} is not an address or network"))?;
        match (network(address), port(port_text)) {
            (Some(network), Some(port)) => Ok(AllowedNetwork {
                network,
                port: Some(port),
            }),
            _ => Err(format!("{text:?} is not an address or network with a port")),
        }
    }
}

impl fmt::Display for AllowedNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.port, self.network) {
            (None, network) => write!(f, "{network}"),
            (Some(port), ipnet::IpNet::V6(network)) => write!(f, "[{network}]:{port}"),
            (Some(port), network) => write!(f, "{network}:{port}"),
        }
    }
}

/// A secret value: never printed by `Debug` or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// One configuration key: its name in `portico.yaml`, its environment variables (the
/// first is the documented one) and its default.
struct Key {
    file: &'static str,
    env: &'static [&'static str],
    default: &'static str,
}

const LISTEN: Key = Key {
    file: "listen",
    env: &["PORTICO_LISTEN"],
    default: "127.0.0.1:3000",
};
const DATABASE_URL: Key = Key {
    file: "database_url",
    env: &["DATABASE_URL", "PORTICO_DATABASE_URL"],
    default: "sqlite://data/portico.db",
};
const DATABASE_MAX_CONNECTIONS: Key = Key {
    file: "database_max_connections",
    env: &["PORTICO_DATABASE_MAX_CONNECTIONS"],
    default: "16",
};
const LOG_FORMAT: Key = Key {
    file: "log_format",
    env: &["PORTICO_LOG_FORMAT"],
    default: "pretty",
};
const LOG_LEVEL: Key = Key {
    file: "log_level",
    env: &["PORTICO_LOG", "RUST_LOG"],
    default: "info",
};
const DEMO: Key = Key {
    file: "demo",
    env: &["PORTICO_DEMO"],
    default: "false",
};
const PUBLIC_URL: Key = Key {
    file: "public_url",
    env: &["PORTICO_PUBLIC_URL"],
    default: "",
};
const SITE_ROOT: Key = Key {
    file: "site_root",
    env: &["PORTICO_SITE_ROOT", "LEPTOS_SITE_ROOT"],
    default: "target/site",
};
const REQUEST_TIMEOUT: Key = Key {
    file: "request_timeout_secs",
    env: &["PORTICO_REQUEST_TIMEOUT_SECS"],
    default: "30",
};
const MAX_BODY_BYTES: Key = Key {
    file: "max_body_bytes",
    env: &["PORTICO_MAX_BODY_BYTES"],
    default: "10485760",
};
const SHUTDOWN_GRACE: Key = Key {
    file: "shutdown_grace_secs",
    env: &["PORTICO_SHUTDOWN_GRACE_SECS"],
    default: "25",
};
const CLIENT_ADDRESS_HEADER: Key = Key {
    file: "client_address_header",
    env: &["PORTICO_CLIENT_ADDRESS_HEADER"],
    default: "",
};

const CATALOG_REFRESH_INTERVAL: Key = Key {
    file: "catalog_refresh_interval_secs",
    env: &["PORTICO_CATALOG_REFRESH_INTERVAL_SECS"],
    default: "300",
};
const CATALOG_ORPHAN_STRATEGY: Key = Key {
    file: "catalog_orphan_strategy",
    env: &["PORTICO_CATALOG_ORPHAN_STRATEGY"],
    default: "delete",
};
const CATALOG_FILE_ROOTS: Key = Key {
    file: "catalog_file_roots",
    env: &["PORTICO_CATALOG_FILE_ROOTS"],
    default: "",
};
const CATALOG_URL_ALLOW: Key = Key {
    file: "catalog_url_allow",
    env: &["PORTICO_CATALOG_URL_ALLOW"],
    default: "",
};
const GITHUB_TOKEN: Key = Key {
    file: "github_token",
    env: &["PORTICO_GITHUB_TOKEN", "GITHUB_TOKEN"],
    default: "",
};
const GITHUB_HOST: Key = Key {
    file: "github_host",
    env: &["PORTICO_GITHUB_HOST"],
    default: "github.com",
};
const GITHUB_API_URL: Key = Key {
    file: "github_api_url",
    env: &["PORTICO_GITHUB_API_URL"],
    default: "",
};
const CATALOG_READ_TIMEOUT: Key = Key {
    file: "catalog_read_timeout_secs",
    env: &["PORTICO_CATALOG_READ_TIMEOUT_SECS"],
    default: "20",
};
const CATALOG_MAX_FILE_BYTES: Key = Key {
    file: "catalog_max_file_bytes",
    env: &["PORTICO_CATALOG_MAX_FILE_BYTES"],
    default: "5242880",
};
const CATALOG_PARSE_TIMEOUT: Key = Key {
    file: "catalog_parse_timeout_secs",
    env: &["PORTICO_CATALOG_PARSE_TIMEOUT_SECS"],
    default: "10",
};
const CATALOG_MAX_REDIRECTS: Key = Key {
    file: "catalog_max_redirects",
    env: &["PORTICO_CATALOG_MAX_REDIRECTS"],
    default: "5",
};

const BACKGROUND_POLL: Key = Key {
    file: "background_poll_secs",
    env: &["PORTICO_BACKGROUND_POLL_SECS"],
    default: "2",
};
const BACKGROUND_LEASE: Key = Key {
    file: "background_lease_secs",
    env: &["PORTICO_BACKGROUND_LEASE_SECS"],
    default: "300",
};

const REGISTER_DRAFT_LIFETIME: Key = Key {
    file: "register_draft_lifetime_secs",
    env: &["PORTICO_REGISTER_DRAFT_LIFETIME_SECS"],
    default: "3600",
};
const REGISTER_DRAFTS_PER_CLIENT: Key = Key {
    file: "register_drafts_per_client",
    env: &["PORTICO_REGISTER_DRAFTS_PER_CLIENT"],
    default: "10",
};
const REGISTER_DRAFTS_TOTAL: Key = Key {
    file: "register_drafts_total",
    env: &["PORTICO_REGISTER_DRAFTS_TOTAL"],
    default: "100",
};

const SESSION_IDLE: Key = Key {
    file: "session_idle_secs",
    env: &["PORTICO_SESSION_IDLE_SECS"],
    default: "28800",
};
const SESSION_MAX: Key = Key {
    file: "session_max_secs",
    env: &["PORTICO_SESSION_MAX_SECS"],
    default: "604800",
};
const AUTH_GUEST: Key = Key {
    file: "auth_guest",
    env: &["PORTICO_AUTH_GUEST"],
    default: "auto",
};

const AUDIT_RETENTION_DAYS: Key = Key {
    file: "audit_retention_days",
    env: &["PORTICO_AUDIT_RETENTION_DAYS"],
    default: "365",
};

const SCAFFOLDER_CONCURRENCY: Key = Key {
    file: "scaffolder_concurrency",
    env: &["PORTICO_SCAFFOLDER_CONCURRENCY"],
    default: "4",
};
const SCAFFOLDER_RECOVERY: Key = Key {
    file: "scaffolder_recovery",
    env: &["PORTICO_SCAFFOLDER_RECOVERY"],
    default: "resume",
};
const SCAFFOLDER_TASK_TIMEOUT: Key = Key {
    file: "scaffolder_task_timeout_secs",
    env: &["PORTICO_SCAFFOLDER_TASK_TIMEOUT_SECS"],
    default: "900",
};

const GITHUB_WEBHOOK_SECRET: Key = Key {
    file: "github_webhook_secret",
    env: &["PORTICO_GITHUB_WEBHOOK_SECRET"],
    default: "",
};
const INSIGHTS_PRODUCTION: Key = Key {
    file: "insights_production_environments",
    env: &["PORTICO_INSIGHTS_PRODUCTION_ENVIRONMENTS"],
    default: "production,prod",
};
const INSIGHTS_INCIDENT_LABELS: Key = Key {
    file: "insights_incident_labels",
    env: &["PORTICO_INSIGHTS_INCIDENT_LABELS"],
    default: "incident",
};
const INSIGHTS_MATURITY_RUBRIC: Key = Key {
    file: "insights_maturity_rubric",
    env: &["PORTICO_INSIGHTS_MATURITY_RUBRIC"],
    default: "",
};
const INSIGHTS_DORA_THRESHOLDS: Key = Key {
    file: "insights_dora_thresholds",
    env: &["PORTICO_INSIGHTS_DORA_THRESHOLDS"],
    default: "",
};
const INSIGHTS_SUPPORT_LABELS: Key = Key {
    file: "insights_support_labels",
    env: &["PORTICO_INSIGHTS_SUPPORT_LABELS"],
    default: "platform-support",
};
const INSIGHTS_DEPLOYMENT_WORKFLOWS: Key = Key {
    file: "insights_deployment_workflows",
    env: &["PORTICO_INSIGHTS_DEPLOYMENT_WORKFLOWS"],
    default: "",
};
const SURVEYS_ANONYMOUS: Key = Key {
    file: "surveys_anonymous",
    env: &["PORTICO_SURVEYS_ANONYMOUS"],
    default: "true",
};

const KEYS: &[&Key] = &[
    &LISTEN,
    &DATABASE_URL,
    &DATABASE_MAX_CONNECTIONS,
    &LOG_FORMAT,
    &LOG_LEVEL,
    &DEMO,
    &PUBLIC_URL,
    &SITE_ROOT,
    &REQUEST_TIMEOUT,
    &MAX_BODY_BYTES,
    &SHUTDOWN_GRACE,
    &CLIENT_ADDRESS_HEADER,
    &CATALOG_REFRESH_INTERVAL,
    &CATALOG_ORPHAN_STRATEGY,
    &CATALOG_FILE_ROOTS,
    &CATALOG_URL_ALLOW,
    &GITHUB_TOKEN,
    &GITHUB_HOST,
    &GITHUB_API_URL,
    &CATALOG_READ_TIMEOUT,
    &CATALOG_MAX_FILE_BYTES,
    &CATALOG_PARSE_TIMEOUT,
    &CATALOG_MAX_REDIRECTS,
    &REGISTER_DRAFT_LIFETIME,
    &REGISTER_DRAFTS_PER_CLIENT,
    &REGISTER_DRAFTS_TOTAL,
    &BACKGROUND_POLL,
    &BACKGROUND_LEASE,
    &SESSION_IDLE,
    &SESSION_MAX,
    &AUTH_GUEST,
    &AUDIT_RETENTION_DAYS,
    &SCAFFOLDER_CONCURRENCY,
    &SCAFFOLDER_RECOVERY,
    &SCAFFOLDER_TASK_TIMEOUT,
    &GITHUB_WEBHOOK_SECRET,
    &INSIGHTS_PRODUCTION,
    &INSIGHTS_INCIDENT_LABELS,
    &SURVEYS_ANONYMOUS,
    &INSIGHTS_MATURITY_RUBRIC,
    &INSIGHTS_DORA_THRESHOLDS,
    &INSIGHTS_SUPPORT_LABELS,
    &INSIGHTS_DEPLOYMENT_WORKFLOWS,
];

/// The structured key of `portico.yaml`, in Backstage's shape:
/// `integrations: {github: [{host, apiBaseUrl, token}]}`.
const INTEGRATIONS: &str = "integrations";
/// The permission policy (`crates/identity/src/policy.rs` documents it).
const PERMISSIONS: &str = "permissions";
/// How people sign in: `auth: {unknown_people, providers: [{id, type, …}]}`.
const AUTH: &str = "auth";
/// What every render uses (`crates/render/src/options.rs` documents it).
const RENDER: &str = "render";
/// Entity providers, in Backstage's shape (`crates/catalog/src/github/config.rs`
/// documents it): `catalog: {providers: {github: …, githubOrg: …}}`.
const CATALOG: &str = "catalog";
/// The keys of `portico.yaml` whose values are blocks rather than scalars.
const BLOCKS: [&str; 5] = [INTEGRATIONS, PERMISSIONS, AUTH, RENDER, CATALOG];

/// A configuration value that cannot be used, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where the value came from: an environment variable or `file: key`.
    pub source: String,
    pub value: String,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "configuration error: {} = {:?} {}; {}",
            self.source, self.value, self.problem, self.fix
        )
    }
}

impl std::error::Error for ConfigError {}

/// A raw value with where it came from.
#[derive(Clone)]
struct Raw {
    source: String,
    value: String,
}

impl Config {
    /// Loads the configuration from the process environment and the config file it names
    /// (`PORTICO_CONFIG`, else `./portico.yaml` when present).
    pub fn from_env() -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Config::load(&env)
    }

    /// Loads the configuration from `env` (a snapshot of environment variables).
    pub fn load(env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let file = match env.get("PORTICO_CONFIG") {
            Some(path) => read_file(Path::new(path), true)?,
            None => read_file(Path::new("portico.yaml"), false)?,
        };
        let ConfigFile {
            values: file,
            mut blocks,
        } = file.unwrap_or_default();
        let raw = |key: &Key| -> Raw {
            for name in key.env {
                if let Some(value) = env.get(*name) {
                    return Raw {
                        source: (*name).to_string(),
                        value: value.clone(),
                    };
                }
            }
            if let Some(raw) = file.get(key.file) {
                return Raw {
                    source: raw.source.clone(),
                    value: raw.value.clone(),
                };
            }
            Raw {
                source: key.env[0].to_string(),
                value: key.default.to_string(),
            }
        };

        let listen = parse_listen(raw(&LISTEN))?;
        let public_url = parse_public_url(raw(&PUBLIC_URL), listen)?;
        let github = parse_github(&raw, blocks.remove(INTEGRATIONS))?;
        let auth = parse_auth(&raw, env, listen, &github, blocks.remove(AUTH))?;
        let catalog_providers = parse_catalog(blocks.remove(CATALOG), &github)?;
        Ok(Config {
            listen,
            database_url: parse_database_url(raw(&DATABASE_URL))?,
            database_max_connections: parse_number(raw(&DATABASE_MAX_CONNECTIONS), 2, 1000)? as u32,
            log_format: parse_log_format(raw(&LOG_FORMAT))?,
            log_level: parse_log_level(raw(&LOG_LEVEL))?,
            demo: parse_bool(raw(&DEMO))?,
            public_url,
            site_root: PathBuf::from(raw(&SITE_ROOT).value),
            request_timeout: Duration::from_secs(parse_number(raw(&REQUEST_TIMEOUT), 1, 3600)?),
            max_body_bytes: parse_number(raw(&MAX_BODY_BYTES), 1024, 1 << 30)? as usize,
            shutdown_grace: Duration::from_secs(parse_number(raw(&SHUTDOWN_GRACE), 0, 600)?),
            client_address_header: parse_header_name(raw(&CLIENT_ADDRESS_HEADER))?,
            drafts: parse_drafts(&raw)?,
            github,
            policy: parse_policy(blocks.remove(PERMISSIONS))?,
            render: parse_render(blocks.remove(RENDER))?,
            catalog_providers,
            sessions: parse_sessions(&raw)?,
            auth,
            audit_retention: Duration::from_secs(
                parse_number(raw(&AUDIT_RETENTION_DAYS), 1, 36_500)? * 24 * 3600,
            ),
            scaffolder: ScaffolderConfig {
                concurrency: parse_number(raw(&SCAFFOLDER_CONCURRENCY), 1, 64)? as usize,
                recovery: parse_recovery(raw(&SCAFFOLDER_RECOVERY))?,
                task_timeout: Duration::from_secs(parse_number(
                    raw(&SCAFFOLDER_TASK_TIMEOUT),
                    10,
                    24 * 3600,
                )?),
            },
            insights: InsightsConfig {
                webhook_secret: parse_webhook_secret(raw(&GITHUB_WEBHOOK_SECRET))?,
                production: parse_names(raw(&INSIGHTS_PRODUCTION))?,
                incident_labels: parse_names(raw(&INSIGHTS_INCIDENT_LABELS))?,
                support_labels: parse_names(raw(&INSIGHTS_SUPPORT_LABELS))?,
                deployment_workflows: split_list(&raw(&INSIGHTS_DEPLOYMENT_WORKFLOWS).value)
                    .map(str::to_lowercase)
                    .collect(),
                anonymous_surveys: parse_bool(raw(&SURVEYS_ANONYMOUS))?,
                rubric: parse_rubric(raw(&INSIGHTS_MATURITY_RUBRIC))?,
                thresholds: parse_thresholds(raw(&INSIGHTS_DORA_THRESHOLDS))?,
            },
            work: WorkConfig {
                poll: Duration::from_secs(parse_number(raw(&BACKGROUND_POLL), 1, 3600)?),
                lease: Duration::from_secs(parse_number(raw(&BACKGROUND_LEASE), 10, 24 * 3600)?),
            },
            ingest: IngestConfig {
                refresh_interval: Duration::from_secs(parse_number(
                    raw(&CATALOG_REFRESH_INTERVAL),
                    1,
                    7 * 24 * 3600,
                )?),
                orphan_strategy: parse_orphan_strategy(raw(&CATALOG_ORPHAN_STRATEGY))?,
                file_roots: parse_file_roots(raw(&CATALOG_FILE_ROOTS))?,
                url_allow: parse_networks(raw(&CATALOG_URL_ALLOW))?,
                read_timeout: Duration::from_secs(parse_number(
                    raw(&CATALOG_READ_TIMEOUT),
                    1,
                    600,
                )?),
                max_file_bytes: parse_number(raw(&CATALOG_MAX_FILE_BYTES), 1024, 1 << 30)?,
                parse_timeout: Duration::from_secs(parse_number(
                    raw(&CATALOG_PARSE_TIMEOUT),
                    1,
                    600,
                )?),
                max_redirects: parse_number(raw(&CATALOG_MAX_REDIRECTS), 0, 20)? as usize,
            },
        })
    }
}

/// Session lifetimes: the absolute one may not be shorter than the idle one.
fn parse_sessions(raw: &impl Fn(&Key) -> Raw) -> Result<SessionConfig, ConfigError> {
    let idle = parse_number(raw(&SESSION_IDLE), 60, 30 * 24 * 3600)?;
    let max = raw(&SESSION_MAX);
    match parse_number(max.clone(), 60, 365 * 24 * 3600)? {
        max if max >= idle => Ok(SessionConfig {
            idle: Duration::from_secs(idle),
            max: Duration::from_secs(max),
        }),
        _ => Err(invalid(
            max,
            "is shorter than session_idle_secs",
            "make session_max_secs at least as long as session_idle_secs",
        )),
    }
}

/// How people sign in: the providers of the `auth:` block and guest sign-in. Without any
/// way to sign in, a portal on a network address would let nobody in (or, with guest
/// sign-in, everybody as anybody): that is refused unless guest sign-in is asked for
/// explicitly. Providers send people back to `public_url`, so a portal on a network
/// address with providers must say what its public URL is.
fn parse_auth(
    raw: &impl Fn(&Key) -> Raw,
    env: &BTreeMap<String, String>,
    listen: SocketAddr,
    github: &GithubIntegration,
    block: Option<(String, serde_yaml_ng::Value)>,
) -> Result<AuthConfig, ConfigError> {
    let guest_raw = raw(&AUTH_GUEST);
    let mode = match guest_raw.value.trim().to_lowercase().as_str() {
        "auto" => GuestMode::Auto,
        "on" | "true" => GuestMode::On,
        "off" | "false" => GuestMode::Off,
        _ => {
            return Err(invalid(
                guest_raw,
                "is not auto, on or off",
                "use auto (guest sign-in on loopback when no provider is configured), on or off",
            ));
        }
    };
    let (providers, unknown_people, ca_pem) = match block {
        Some((source, value)) => parse_auth_block(&source, value, env, github)?,
        None => (Vec::new(), UnknownPeople::Allow, None),
    };
    let loopback = listen.ip().is_loopback();
    let guest = match mode {
        GuestMode::On => true,
        GuestMode::Off => false,
        GuestMode::Auto => providers.is_empty() && loopback,
    };
    if providers.is_empty() && !guest && !loopback {
        return Err(ConfigError {
            source: "PORTICO_LISTEN".into(),
            value: listen.to_string(),
            problem: "is a network address, and no sign-in provider is configured, so \
                      nobody could sign in"
                .into(),
            fix: "configure a sign-in provider (auth: providers: in portico.yaml, see the \
                  README), or set auth_guest: on (PORTICO_AUTH_GUEST=on) to let anyone sign \
                  in as any person of the catalog — only on a trusted network"
                .into(),
        });
    }
    let public_url = raw(&PUBLIC_URL);
    if let Some(provider) = providers.first()
        && public_url.value.trim().is_empty()
        && !loopback
    {
        return Err(invalid(
            public_url,
            "is not set, and sign-in providers send people back to the portal's public URL",
            &format!(
                "set public_url to the address people reach the portal at (e.g. \
                 https://portal.example.com), and register {{public_url}}/auth/{}/callback \
                 as the redirect URI at the provider",
                provider.id
            ),
        ));
    }
    Ok(AuthConfig {
        guest,
        providers,
        unknown_people,
        ca_pem,
    })
}

/// `auth: {unknown_people: allow|refuse, ca_file: path, providers: [{id, type: oidc|github,
/// …}]}`. A client secret may come from the environment instead of the file:
/// `PORTICO_AUTH_{ID}_CLIENT_SECRET` (the id in capitals, dashes as underscores) wins.
fn parse_auth_block(
    source: &str,
    value: serde_yaml_ng::Value,
    env: &BTreeMap<String, String>,
    github: &GithubIntegration,
) -> Result<(Vec<SignInProvider>, UnknownPeople, Option<String>), ConfigError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Auth {
        unknown_people: Option<String>,
        ca_file: Option<String>,
        #[serde(default)]
        providers: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        id: String,
        #[serde(rename = "type")]
        kind: String,
        title: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        scopes: Option<Scopes>,
        issuer: Option<String>,
        host: Option<String>,
        web_url: Option<String>,
        api_url: Option<String>,
    }
    /// A list, or the OAuth way: one string, separated by spaces.
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Scopes {
        List(Vec<String>),
        Text(String),
    }
    const SHAPE: &str = "write auth: {unknown_people: allow|refuse, providers: [{id: okta, \
                         type: oidc, issuer: https://…, client_id: …, client_secret: …}, {id: \
                         github, type: github, client_id: …, client_secret: …}]} (the README's \
                         sign-in section has examples)";
    let auth: Auth = serde_yaml_ng::from_value(value).map_err(|e| ConfigError {
        source: source.to_string(),
        value: "…".into(),
        problem: format!("is not an auth block ({e})"),
        fix: SHAPE.into(),
    })?;
    let unknown_people = match auth.unknown_people {
        None => UnknownPeople::Allow,
        Some(value) => match value.trim().to_lowercase().as_str() {
            "allow" => UnknownPeople::Allow,
            "refuse" => UnknownPeople::Refuse,
            _ => {
                return Err(invalid(
                    Raw {
                        source: format!("{source}.unknown_people"),
                        value,
                    },
                    "is not allow or refuse",
                    "use allow (people the catalog has no User entity for sign in without \
                     groups) or refuse (they are told what to add to the catalog)",
                ));
            }
        },
    };
    let mut providers: Vec<SignInProvider> = Vec::new();
    for (index, entry) in auth.providers.into_iter().enumerate() {
        let at = |key: &str| format!("{source}.providers[{index}].{key}");
        let raw_at = |key: &str, value: &str| Raw {
            source: at(key),
            value: value.to_string(),
        };
        let id = entry.id.trim().to_string();
        let id_ok = !id.is_empty()
            && id.len() <= 32
            && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(invalid(
                raw_at("id", &entry.id),
                "is not a provider id",
                "use up to 32 lowercase letters, digits and dashes, e.g. okta or github; it \
                 is part of the redirect URI {public_url}/auth/{id}/callback",
            ));
        }
        // From here on, messages name the provider by its id.
        let at = |key: &str| format!("{source}.providers[{id}].{key}");
        let raw_at = |key: &str, value: &str| Raw {
            source: at(key),
            value: value.to_string(),
        };
        if providers.iter().any(|p| p.id == id) {
            return Err(invalid(
                raw_at("id", &id),
                "names a second provider with the same id",
                "give each provider its own id",
            ));
        }
        let client_id = entry.client_id.unwrap_or_default().trim().to_string();
        if client_id.is_empty() {
            return Err(invalid(
                raw_at("client_id", ""),
                "is missing",
                "give the client id the provider issued when the portal was registered there",
            ));
        }
        let secret_env = format!(
            "PORTICO_AUTH_{}_CLIENT_SECRET",
            id.to_uppercase().replace('-', "_")
        );
        let client_secret = env
            .get(&secret_env)
            .or(entry.client_secret.as_ref())
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(Secret::new)
            .ok_or_else(|| {
                invalid(
                    raw_at("client_secret", ""),
                    "is missing",
                    &format!(
                        "give the client secret the provider issued, in the file or (better) \
                         in the environment variable {secret_env}"
                    ),
                )
            })?;
        let misplaced = |key: &str, value: &Option<String>, kind: &str| match value {
            Some(value) => Err(invalid(
                raw_at(key, value),
                &format!("is not a key of a provider of type {kind}"),
                "remove it (issuer is for type oidc; host, web_url and api_url for type github)",
            )),
            None => Ok(()),
        };
        let (kind, default_title, default_scopes) = match entry.kind.trim() {
            "oidc" => {
                misplaced("host", &entry.host, "oidc")?;
                misplaced("web_url", &entry.web_url, "oidc")?;
                misplaced("api_url", &entry.api_url, "oidc")?;
                let Some(issuer) = entry.issuer else {
                    return Err(invalid(
                        raw_at("issuer", ""),
                        "is missing",
                        "give the provider's issuer URL, e.g. https://acme.okta.com, \
                         https://login.microsoftonline.com/{tenant}/v2.0 or \
                         https://keycloak.example.com/realms/acme",
                    ));
                };
                // Exactly as written: it must equal the `issuer` of the provider's
                // discovery document, trailing slash or not.
                let issuer = parse_provider_url(raw_at("issuer", &issuer))?;
                let issuer = issuer.value.trim().to_string();
                (
                    ProviderKind::Oidc { issuer },
                    id.clone(),
                    vec!["openid".into(), "profile".into(), "email".into()],
                )
            }
            "github" => {
                misplaced("issuer", &entry.issuer, "github")?;
                let host_raw = raw_at("host", entry.host.as_deref().unwrap_or("github.com"));
                let host = host_raw.value.trim().to_lowercase();
                let Some(integration) = github.host(&host) else {
                    return Err(invalid(
                        host_raw,
                        "is not a host of the GitHub integration",
                        "use github.com, or add the GitHub Enterprise host to \
                         integrations: github: [{host: …, apiBaseUrl: https://HOST/api/v3}]",
                    ));
                };
                let web_url = match entry.web_url {
                    Some(url) => without_slash(parse_provider_url(raw_at("web_url", &url))?),
                    None => format!("https://{host}"),
                };
                let api_url = match entry.api_url {
                    Some(url) => without_slash(parse_provider_url(raw_at("api_url", &url))?),
                    None => integration.api_url.clone(),
                };
                let title = if host == "github.com" {
                    "GitHub".to_string()
                } else {
                    format!("GitHub Enterprise ({host})")
                };
                (
                    ProviderKind::Github {
                        host,
                        web_url,
                        api_url,
                    },
                    title,
                    vec!["read:user".into(), "user:email".into()],
                )
            }
            other => {
                return Err(invalid(
                    raw_at("type", other),
                    "is not a provider type",
                    "use oidc (any OpenID Connect provider: Okta, Entra ID, Keycloak, Google, \
                     Dex, …) or github (GitHub.com or GitHub Enterprise OAuth apps)",
                ));
            }
        };
        let scopes = match entry.scopes {
            None => default_scopes,
            Some(Scopes::List(list)) => list,
            Some(Scopes::Text(text)) => text.split_whitespace().map(str::to_string).collect(),
        };
        let scopes: Vec<String> = scopes
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(bad) = scopes.iter().find(|s| {
            s.chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"')
        }) {
            return Err(invalid(
                raw_at("scopes", bad),
                "is not a scope",
                "list scopes as plain words, e.g. [openid, profile, email]",
            ));
        }
        let title = entry
            .title
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or(default_title);
        providers.push(SignInProvider {
            id,
            title,
            client_id,
            client_secret,
            scopes,
            kind,
        });
    }
    let ca_pem = match auth.ca_file {
        None => None,
        Some(path) => Some(read_ca_file(Raw {
            source: format!("{source}.ca_file"),
            value: path,
        })?),
    };
    Ok((providers, unknown_people, ca_pem))
}

/// The PEM certificates of `auth.ca_file`, read now so that a wrong path or file stops
/// the start-up instead of every sign-in.
fn read_ca_file(raw: Raw) -> Result<String, ConfigError> {
    let fix = "name a PEM file of the certificate authority (or authorities) that signs your \
               identity provider's HTTPS certificate: -----BEGIN CERTIFICATE----- blocks";
    let pem = match std::fs::read_to_string(raw.value.trim()) {
        Ok(pem) => pem,
        Err(error) => return Err(invalid(raw, &format!("cannot be read ({error})"), fix)),
    };
    match reqwest::Certificate::from_pem_bundle(pem.as_bytes()) {
        Ok(certificates) if !certificates.is_empty() => Ok(pem),
        Ok(_) => Err(invalid(raw, "holds no PEM certificate", fix)),
        Err(error) => Err(invalid(
            raw,
            &format!("is not PEM certificates ({error})"),
            fix,
        )),
    }
}

fn without_slash(raw: Raw) -> String {
    raw.value.trim().trim_end_matches('/').to_string()
}

/// An identity provider's address: https, or http on loopback only (a provider on one's
/// own machine, as in tests).
fn parse_provider_url(raw: Raw) -> Result<Raw, ConfigError> {
    let bad = |raw: Raw| {
        invalid(
            raw,
            "is not an https URL",
            "use the provider's https address (http only for a provider on this machine, \
             e.g. http://127.0.0.1:9000)",
        )
    };
    let Ok(url) = url::Url::parse(raw.value.trim()) else {
        return Err(bad(raw));
    };
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain == "localhost",
        None => return Err(bad(raw)),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(bad(raw)),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad(raw));
    }
    Ok(raw)
}

/// The draft keys; the total must leave room for one client's drafts.
fn parse_drafts(raw: &impl Fn(&Key) -> Raw) -> Result<DraftConfig, ConfigError> {
    let lifetime = parse_number(raw(&REGISTER_DRAFT_LIFETIME), 60, 24 * 3600)?;
    let per_client = parse_number(raw(&REGISTER_DRAFTS_PER_CLIENT), 1, 1000)?;
    let total = raw(&REGISTER_DRAFTS_TOTAL);
    let total = match parse_number(total.clone(), 1, 100_000)? {
        total if total >= per_client => total,
        _ => {
            let fix = format!(
                "use at least register_drafts_per_client ({per_client}), or lower that one"
            );
            return Err(invalid(
                total,
                "is below the drafts one client may keep",
                &fix,
            ));
        }
    };
    Ok(DraftConfig {
        lifetime: Duration::from_secs(lifetime),
        per_client: per_client as u32,
        total: total as u32,
    })
}

/// Reads a `portico.yaml`: a flat map of the documented keys to scalars.
/// What `portico.yaml` holds: scalar keys, and the structured [`BLOCKS`] (with where each
/// came from, for messages).
#[derive(Default)]
struct ConfigFile {
    values: BTreeMap<String, Raw>,
    blocks: BTreeMap<&'static str, (String, serde_yaml_ng::Value)>,
}

fn read_file(path: &Path, required: bool) -> Result<Option<ConfigFile>, ConfigError> {
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(e) => {
            return Err(ConfigError {
                source: "PORTICO_CONFIG".into(),
                value: shown,
                problem: format!("cannot be read ({e})"),
                fix: "point PORTICO_CONFIG at a readable YAML file, or unset it".into(),
            });
        }
    };
    let file_error = |problem: String, fix: &str| ConfigError {
        source: "config file".into(),
        value: shown.clone(),
        problem,
        fix: fix.into(),
    };
    let map: BTreeMap<String, serde_yaml_ng::Value> = match serde_yaml_ng::from_str(&text) {
        Ok(Some(map)) => map,
        Ok(None) => BTreeMap::new(),
        Err(e) => {
            return Err(file_error(
                format!("is not a YAML map of keys to values ({e})"),
                "fix the YAML syntax",
            ));
        }
    };
    let mut values = BTreeMap::new();
    let mut blocks = BTreeMap::new();
    for (key, value) in map {
        if let Some(block) = BLOCKS.iter().find(|block| **block == key) {
            blocks.insert(*block, (format!("{shown}: {key}"), value));
            continue;
        }
        if !KEYS.iter().any(|k| k.file == key) {
            let known: Vec<&str> = KEYS.iter().map(|k| k.file).collect();
            return Err(file_error(
                format!("has an unknown key {key:?}"),
                &format!("use one of: {}, {}", known.join(", "), BLOCKS.join(", ")),
            ));
        }
        let value = match value {
            serde_yaml_ng::Value::String(s) => s,
            serde_yaml_ng::Value::Number(n) => n.to_string(),
            serde_yaml_ng::Value::Bool(b) => b.to_string(),
            _ => {
                return Err(file_error(
                    format!("gives key {key:?} a value that is not a string, number or boolean"),
                    "write the value as a plain scalar",
                ));
            }
        };
        values.insert(
            key.clone(),
            Raw {
                source: format!("{shown}: {key}"),
                value,
            },
        );
    }
    Ok(Some(ConfigFile { values, blocks }))
}

fn invalid(raw: Raw, problem: &str, fix: &str) -> ConfigError {
    ConfigError {
        source: raw.source,
        value: raw.value,
        problem: problem.into(),
        fix: fix.into(),
    }
}

fn parse_listen(raw: Raw) -> Result<SocketAddr, ConfigError> {
    raw.value.parse().map_err(|_| {
        invalid(
            raw,
            "is not a socket address",
            "use host:port, e.g. 127.0.0.1:3000 or 0.0.0.0:8080",
        )
    })
}

fn parse_database_url(raw: Raw) -> Result<Secret, ConfigError> {
    let ok = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| raw.value.starts_with(p));
    if ok && raw.value.len() > "sqlite:".len() {
        Ok(Secret::new(raw.value))
    } else {
        let shown = without_password(&raw.value);
        Err(invalid(
            Raw {
                value: shown,
                ..raw
            },
            "is not a supported database URL",
            "use sqlite://path/to/portico.db (embedded) or postgres://user@host:5432/db",
        ))
    }
}

/// `url` with any password replaced by `***`, for messages.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        // Not a URL: cut anything that looks like credentials (`user:pass@`).
        Err(_) => match url.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => url.to_string(),
        },
    }
}

fn parse_log_format(raw: Raw) -> Result<LogFormat, ConfigError> {
    match raw.value.to_ascii_lowercase().as_str() {
        "pretty" | "text" => Ok(LogFormat::Pretty),
        "json" => Ok(LogFormat::Json),
        _ => Err(invalid(raw, "is not a log format", "use pretty or json")),
    }
}

fn parse_log_level(raw: Raw) -> Result<String, ConfigError> {
    match tracing_subscriber::EnvFilter::try_new(&raw.value) {
        Ok(_) => Ok(raw.value),
        Err(_) => Err(invalid(
            raw,
            "is not a log filter",
            "use a level (error, warn, info, debug, trace) or directives like info,server=debug",
        )),
    }
}

fn parse_bool(raw: Raw) -> Result<bool, ConfigError> {
    match raw.value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(invalid(raw, "is not a boolean", "use true or false")),
    }
}

fn parse_number(raw: Raw, min: u64, max: u64) -> Result<u64, ConfigError> {
    match raw.value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => {
            let fix = format!("use a whole number from {min} to {max}");
            Err(invalid(raw, "is out of range or not a whole number", &fix))
        }
    }
}

/// An HTTP header name, or nothing.
fn parse_header_name(raw: Raw) -> Result<Option<axum::http::HeaderName>, ConfigError> {
    let name = raw.value.trim();
    if name.is_empty() {
        return Ok(None);
    }
    match axum::http::HeaderName::try_from(name.to_ascii_lowercase()) {
        Ok(name) => Ok(Some(name)),
        Err(_) => Err(invalid(
            raw,
            "is not an HTTP header name",
            "use the header your reverse proxy sets, e.g. x-forwarded-for or x-real-ip, or \
             leave it empty when clients connect directly",
        )),
    }
}

fn parse_recovery(raw: Raw) -> Result<Recovery, ConfigError> {
    match raw.value.to_ascii_lowercase().as_str() {
        "resume" => Ok(Recovery::Resume),
        "fail" => Ok(Recovery::Fail),
        _ => Err(invalid(
            raw,
            "is not a recovery strategy",
            "use resume (run on from the first unfinished step) or fail",
        )),
    }
}

fn parse_orphan_strategy(raw: Raw) -> Result<OrphanStrategy, ConfigError> {
    match raw.value.to_ascii_lowercase().as_str() {
        "delete" => Ok(OrphanStrategy::Delete),
        "keep" => Ok(OrphanStrategy::Keep),
        _ => Err(invalid(
            raw,
            "is not an orphan strategy",
            "use delete (remove entities their location no longer provides) or keep",
        )),
    }
}

/// A comma-separated list of absolute folders.
/// The webhook secret: empty for none; otherwise long enough not to be guessed. Its
/// value never appears in an error.
fn parse_webhook_secret(raw: Raw) -> Result<Option<Secret>, ConfigError> {
    let value = raw.value.trim().to_string();
    match value.len() {
        0 => Ok(None),
        1..16 => Err(invalid(
            Raw {
                value: "***".into(),
                ..raw
            },
            "is shorter than 16 characters",
            "use a random secret, e.g. the output of `openssl rand -hex 32`, here and in the GitHub webhook's settings",
        )),
        _ => Ok(Some(Secret::new(value))),
    }
}

/// The DORA tiers' bounds from the YAML file `raw` names (any metric left out keeps its
/// default), or DORA 2024's when empty.
fn parse_thresholds(raw: Raw) -> Result<insights::dora::Thresholds, ConfigError> {
    let path = raw.value.trim();
    if path.is_empty() {
        return Ok(insights::dora::Thresholds::default());
    }
    let fix = "name a YAML file like {deployment_frequency: {elite: 1, high: 0.14, medium: 0.033}, lead_time: {…}, change_failure_rate: {…}, recovery_time: {…}} (per day, seconds, fractions)";
    let text = std::fs::read_to_string(path).map_err(|error| {
        let problem = format!("cannot be read ({error})");
        invalid(raw.clone(), &problem, fix)
    })?;
    let thresholds: insights::dora::Thresholds = serde_yaml_ng::from_str(&text)
        .map_err(|error| invalid(raw.clone(), &format!("is not valid: {error}"), fix))?;
    thresholds
        .check()
        .map_err(|problem| invalid(raw, &format!("is not valid: {problem}"), fix))?;
    Ok(thresholds)
}

/// The maturity rubric from the YAML file `raw` names, or the built-in one when empty.
fn parse_rubric(raw: Raw) -> Result<insights::maturity::Rubric, ConfigError> {
    let path = raw.value.trim();
    if path.is_empty() {
        return Ok(insights::maturity::Rubric::builtin());
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            let problem = format!("cannot be read ({error})");
            return Err(invalid(
                raw,
                &problem,
                "name a readable YAML file; crates/insights/src/maturity.yaml is the built-in rubric to start from",
            ));
        }
    };
    insights::maturity::Rubric::from_yaml(&text).map_err(|problem| {
        invalid(
            raw,
            &format!("is not a valid maturity rubric: {problem}"),
            "fix the file at the place named; crates/insights/src/maturity.yaml shows the shape",
        )
    })
}

/// A comma-separated list of names, lowercased; at least one.
fn parse_names(raw: Raw) -> Result<Vec<String>, ConfigError> {
    let names: Vec<String> = split_list(&raw.value).map(str::to_lowercase).collect();
    if names.is_empty() {
        return Err(invalid(
            raw,
            "is empty",
            "give at least one name, comma-separated, e.g. production,prod",
        ));
    }
    Ok(names)
}

fn parse_file_roots(raw: Raw) -> Result<Vec<PathBuf>, ConfigError> {
    let roots: Vec<PathBuf> = split_list(&raw.value).map(PathBuf::from).collect();
    if roots.iter().any(|root| !root.is_absolute()) {
        return Err(invalid(
            raw,
            "is not a list of absolute folders",
            "use comma-separated absolute paths, e.g. /srv/catalog,/opt/teams",
        ));
    }
    Ok(roots)
}

/// A comma-separated list of networks (`10.0.0.0/8`) or single addresses (`127.0.0.1`),
/// each optionally with the one port it may be reached on (`10.1.2.3:443`).
fn parse_networks(raw: Raw) -> Result<Vec<AllowedNetwork>, ConfigError> {
    let networks: Result<Vec<AllowedNetwork>, _> = split_list(&raw.value).map(str::parse).collect();
    networks.map_err(|_| {
        invalid(
            raw,
            "is not a list of IP networks",
            "use comma-separated CIDR networks or addresses, each best with its port, \
             e.g. 10.1.0.0/16:443,127.0.0.1:8080,[fd00::1]:443",
        )
    })
}

fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_public_url(raw: Raw, listen: SocketAddr) -> Result<String, ConfigError> {
    if raw.value.is_empty() {
        return Ok(format!("http://{listen}"));
    }
    let value = raw.value.trim_end_matches('/').to_string();
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(value),
        _ => Err(invalid(
            raw,
            "is not an http(s) URL",
            "use the address users reach the portal at, e.g. https://portal.example.com",
        )),
    }
}

fn parse_host(raw: Raw) -> Result<String, ConfigError> {
    let host = raw.value.trim().to_lowercase();
    match url::Host::parse(&host) {
        Ok(url::Host::Domain(_)) => Ok(host),
        _ => Err(invalid(
            raw,
            "is not a host name",
            "give the host of your GitHub, e.g. github.com or github.example.com",
        )),
    }
}

/// The permission policy: the `permissions:` block, or the defaults without one.
/// A block of `portico.yaml` as JSON, which the capabilities' parsers read.
fn block_as_json(
    source: &str,
    value: serde_yaml_ng::Value,
    what: &str,
) -> Result<serde_json::Value, ConfigError> {
    serde_json::to_value(value).map_err(|e| ConfigError {
        source: source.to_string(),
        value: "…".into(),
        problem: format!("cannot be read as data ({e})"),
        fix: format!("write the {what} block as plain YAML maps and lists"),
    })
}

fn parse_policy(block: Option<(String, serde_yaml_ng::Value)>) -> Result<Policy, ConfigError> {
    let Some((source, value)) = block else {
        return Ok(Policy::default());
    };
    let value = block_as_json(&source, value, "permissions")?;
    Policy::from_value(value).map_err(|error| ConfigError {
        source,
        value: error.path.clone(),
        problem: error.message.clone(),
        fix: "see the permissions section of the README".into(),
    })
}

/// The `render:` block: the options every render uses, checked key by key.
fn parse_render(
    block: Option<(String, serde_yaml_ng::Value)>,
) -> Result<render::RenderOptions, ConfigError> {
    let Some((source, value)) = block else {
        return Ok(render::RenderOptions::default());
    };
    let value = block_as_json(&source, value, "render")?;
    render::RenderOptions::from_config(&value).map_err(|error| ConfigError {
        source,
        value: error.path,
        problem: error.message,
        fix: "see the render section of the README".into(),
    })
}

/// The `catalog:` block: entity providers. Each provider's host must be one of the GitHub
/// integration's, which gives its API address and token.
fn parse_catalog(
    block: Option<(String, serde_yaml_ng::Value)>,
    github: &GithubIntegration,
) -> Result<catalog::github::ProvidersConfig, ConfigError> {
    let Some((source, value)) = block else {
        return Ok(Default::default());
    };
    let value = block_as_json(&source, value, "catalog")?;
    let providers = catalog::github::parse_providers(&value).map_err(|error| ConfigError {
        source: source.clone(),
        value: error.path.clone(),
        problem: error.message.clone(),
        fix: "see the GitHub discovery section of the README".into(),
    })?;
    let hosts = providers
        .discovery
        .iter()
        .map(|d| (format!("catalog.providers.github.{}.host", d.id), &d.host))
        .chain(providers.orgs.iter().map(|o| {
            (
                format!("catalog.providers.githubOrg {}: githubUrl", o.id),
                &o.host,
            )
        }));
    for (key, host) in hosts {
        if github.host(host).is_none() {
            return Err(ConfigError {
                source: source.clone(),
                value: key,
                problem: format!(
                    "names the GitHub host {host}, which the GitHub integration does not have"
                ),
                fix: format!(
                    "add it to integrations.github in portico.yaml: - host: {host} (with apiBaseUrl and token)"
                ),
            });
        }
    }
    Ok(providers)
}

/// The `render:` block of the configuration file, when there is one, for commands that
/// need nothing else of the configuration (`portico render`).
pub fn render_options(
    env: &BTreeMap<String, String>,
) -> Result<render::RenderOptions, ConfigError> {
    let file = match env.get("PORTICO_CONFIG") {
        Some(path) => read_file(Path::new(path), true)?,
        None => read_file(Path::new("portico.yaml"), false)?,
    };
    parse_render(file.unwrap_or_default().blocks.remove(RENDER))
}

/// The GitHub integration: the hosts of `integrations.github` in `portico.yaml`, then the
/// flat keys (`github_host`, `github_api_url`, `github_token`, which the environment can
/// set) for their host — added, or overriding the listed entry of that host.
fn parse_github(
    raw: &impl Fn(&Key) -> Raw,
    integrations: Option<(String, serde_yaml_ng::Value)>,
) -> Result<GithubIntegration, ConfigError> {
    let mut hosts = match integrations {
        Some((source, value)) => parse_integrations(&source, value)?,
        None => Vec::new(),
    };
    let host = parse_host(raw(&GITHUB_HOST))?;
    let index = match hosts.iter().position(|h| h.host == host) {
        Some(index) => index,
        None => {
            hosts.push(GithubHost::new(&host));
            hosts.len() - 1
        }
    };
    let api_url = raw(&GITHUB_API_URL);
    if !api_url.value.trim().is_empty() {
        hosts[index].api_url = parse_api_url(api_url)?;
    }
    let token = raw(&GITHUB_TOKEN).value;
    if !token.trim().is_empty() {
        hosts[index].token = Some(Secret::new(token.trim()));
    }
    Ok(GithubIntegration::new(hosts))
}

/// `integrations: {github: [{host, apiBaseUrl?, token?}]}`, as Backstage writes it.
fn parse_integrations(
    source: &str,
    value: serde_yaml_ng::Value,
) -> Result<Vec<GithubHost>, ConfigError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Integrations {
        #[serde(default)]
        github: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Entry {
        host: String,
        api_base_url: Option<String>,
        token: Option<String>,
    }
    let error = |problem: String, fix: &str| ConfigError {
        source: source.to_string(),
        value: "…".into(),
        problem,
        fix: fix.into(),
    };
    let integrations: Integrations = serde_yaml_ng::from_value(value).map_err(|e| {
        error(
            format!("is not an integrations block ({e})"),
            "write integrations: {github: [{host: github.com, token: …}]} \
             (apiBaseUrl is optional)",
        )
    })?;
    let mut hosts: Vec<GithubHost> = Vec::new();
    for entry in integrations.github {
        let raw_for = |value: String, key: &str| Raw {
            source: format!("{source}.github[{}].{key}", entry.host),
            value,
        };
        let host = parse_host(raw_for(entry.host.clone(), "host"))?;
        if hosts.iter().any(|h| h.host == host) {
            return Err(error(
                format!("names the GitHub host {host} twice"),
                "keep one entry per host",
            ));
        }
        let mut github = GithubHost::new(&host);
        if let Some(api_url) = entry.api_base_url {
            github.api_url = parse_api_url(raw_for(api_url, "apiBaseUrl"))?;
        }
        github.token = entry
            .token
            .filter(|t| !t.trim().is_empty())
            .map(|t| Secret::new(t.trim()));
        hosts.push(github);
    }
    Ok(hosts)
}

/// A GitHub REST API address (`https://api.github.com`, `https://HOST/api/v3`).
fn parse_api_url(raw: Raw) -> Result<String, ConfigError> {
    match url::Url::parse(raw.value.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(url.as_str().trim_end_matches('/').to_string())
        }
        _ => Err(invalid(
            raw,
            "is not an http(s) URL",
            "use the REST API address, e.g. https://api.github.com or https://github.example.com/api/v3",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut env: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Never read a portico.yaml lying around the test's working directory.
        env.entry("PORTICO_CONFIG".into())
            .or_insert_with(|| "/dev/null".into());
        Config::load(&env)
    }

    #[test]
    fn defaults_give_a_local_sqlite_portal() {
        let config = load(&[]).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url.expose(), "sqlite://data/portico.db");
        assert_eq!(config.log_format, LogFormat::Pretty);
        assert!(!config.demo);
        assert_eq!(config.public_url, "http://127.0.0.1:3000");
        assert_eq!(config.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn environment_overrides_defaults() {
        let config = load(&[
            ("PORTICO_LISTEN", "0.0.0.0:8080"),
            ("PORTICO_AUTH_GUEST", "on"),
            ("DATABASE_URL", "postgres://postgres@127.0.0.1/portico"),
            ("PORTICO_LOG_FORMAT", "json"),
            ("PORTICO_DEMO", "true"),
            ("PORTICO_PUBLIC_URL", "https://portal.example.com/"),
        ])
        .unwrap();
        assert_eq!(config.listen.port(), 8080);
        assert!(config.database_url.expose().starts_with("postgres://"));
        assert_eq!(config.log_format, LogFormat::Json);
        assert!(config.demo);
        assert_eq!(config.public_url, "https://portal.example.com");
    }

    #[test]
    fn bad_values_name_the_key_the_value_and_the_fix() {
        let error = load(&[("PORTICO_LISTEN", "localhost")]).unwrap_err();
        assert_eq!(error.source, "PORTICO_LISTEN");
        assert_eq!(error.value, "localhost");
        let line = error.to_string();
        assert!(line.contains("PORTICO_LISTEN = \"localhost\""), "{line}");
        assert!(line.contains("host:port"), "{line}");
        assert!(!line.contains('\n'));

        for (key, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("PORTICO_LOG_FORMAT", "xml"),
            ("PORTICO_DEMO", "maybe"),
            ("PORTICO_PUBLIC_URL", "ftp://x"),
            ("PORTICO_REQUEST_TIMEOUT_SECS", "0"),
            ("PORTICO_MAX_BODY_BYTES", "lots"),
            ("PORTICO_LOG", "info,[bad"),
            ("PORTICO_GITHUB_HOST", "https://github.com"),
            ("PORTICO_GITHUB_API_URL", "api.github.com"),
        ] {
            let error = load(&[(key, value)]).unwrap_err();
            assert_eq!(error.source, key, "{error}");
            assert_eq!(error.value, value);
        }
    }

    #[test]
    fn guest_sign_in_is_for_loopback_unless_asked_for() {
        let auth = load(&[]).unwrap().auth;
        assert!(
            auth.guest,
            "on loopback without providers: the demo can be entered"
        );
        let auth = load(&[("PORTICO_AUTH_GUEST", "off")]).unwrap().auth;
        assert!(!auth.guest);
        let error = load(&[("PORTICO_LISTEN", "0.0.0.0:3000")]).unwrap_err();
        assert_eq!(error.source, "PORTICO_LISTEN");
        assert!(error.problem.contains("nobody could sign in"), "{error}");
        assert!(error.fix.contains("auth_guest: on"), "{error}");
        let auth = load(&[
            ("PORTICO_LISTEN", "0.0.0.0:3000"),
            ("PORTICO_AUTH_GUEST", "on"),
        ])
        .unwrap()
        .auth;
        assert!(auth.guest, "explicitly allowed on a network address");
        assert!(load(&[("PORTICO_AUTH_GUEST", "maybe")]).is_err());
    }

    /// Loads a portico.yaml with `text`, and the environment `pairs`.
    fn load_file(text: &str, pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portico.yaml");
        std::fs::write(&path, text).unwrap();
        let mut pairs = pairs.to_vec();
        pairs.push(("PORTICO_CONFIG", path.to_str().unwrap()));
        load(&pairs)
    }

    #[test]
    fn the_render_block_sets_the_platform_choices_and_names_a_bad_key() {
        let config = load_file(
            "render:\n  image_registry: registry.company.com\n  clusters:\n    production: prod-eu-1\n",
            &[],
        )
        .unwrap();
        assert_eq!(config.render.image_registry, "registry.company.com");
        assert_eq!(config.render.cluster_for("production"), "prod-eu-1");
        assert_eq!(load(&[]).unwrap().render, render::RenderOptions::default());

        let error = load_file(
            "render:\n  base_images:\n    go: {builder: golang, runtime: scratch:1}\n",
            &[],
        )
        .unwrap_err();
        assert!(error.source.ends_with("portico.yaml: render"), "{error}");
        assert_eq!(error.value, "render.base_images.go.builder");
        assert!(error.to_string().contains("fixed version"), "{error}");
        let error = load_file("render: [1]\n", &[]).unwrap_err();
        assert!(
            error.to_string().contains("map of keys to values"),
            "{error}"
        );
    }

    #[test]
    fn the_catalog_block_takes_backstages_providers_on_the_integrations_hosts() {
        let config = load_file(
            "integrations:\n  github:\n    - host: ghe.example.com\n      token: t\n\
             catalog:\n  providers:\n    github:\n      acme:\n        organization: acme\n\
             \x20       host: ghe.example.com\n        catalogPath: /catalog-info.yaml\n\
             \x20   githubOrg:\n      id: people\n      githubUrl: https://github.com\n\
             \x20     orgs: [acme]\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            config.catalog_providers.discovery[0].host,
            "ghe.example.com"
        );
        assert_eq!(config.catalog_providers.orgs[0].id, "people");
        assert!(load(&[]).unwrap().catalog_providers.discovery.is_empty());

        let error = load_file(
            "catalog:\n  providers:\n    github:\n      organization: acme\n      host: gitlab.example.com\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(error.value, "catalog.providers.github.default.host");
        assert!(
            error.to_string().contains("add it to integrations.github"),
            "{error}"
        );
        let error = load_file(
            "catalog:\n  providers:\n    github:\n      acme: {organization: acme, filters: {repository: '('}}\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(
            error.value,
            "catalog.providers.github.acme.filters.repository"
        );
        assert!(error.to_string().contains("GitHub discovery"), "{error}");
    }

    const PROVIDERS: &str = "\
auth:
  unknown_people: refuse
  providers:
    - id: okta
      type: oidc
      title: Acme Okta
      issuer: https://acme.okta.com
      client_id: 0oa-portal
      client_secret: okta-secret
    - id: ghe
      type: github
      host: ghe.example.com
      client_id: Iv1.abc
      scopes: read:user
integrations:
  github:
    - host: ghe.example.com
      apiBaseUrl: https://ghe.example.com/api/v3
";

    #[test]
    fn several_sign_in_providers_come_from_the_auth_block() {
        let config = load_file(
            PROVIDERS,
            &[
                ("PORTICO_LISTEN", "0.0.0.0:3000"),
                ("PORTICO_PUBLIC_URL", "https://portal.example.com"),
                ("PORTICO_AUTH_GHE_CLIENT_SECRET", "ghe-secret"),
            ],
        )
        .unwrap();
        let auth = config.auth;
        assert!(
            !auth.guest,
            "providers configured: no guest sign-in by default"
        );
        assert_eq!(auth.unknown_people, UnknownPeople::Refuse);
        let [okta, ghe] = &auth.providers[..] else {
            panic!("{:?}", auth.providers);
        };
        assert_eq!(okta.title, "Acme Okta");
        assert_eq!(
            okta.kind,
            ProviderKind::Oidc {
                issuer: "https://acme.okta.com".into()
            }
        );
        assert_eq!(okta.scopes, ["openid", "profile", "email"]);
        assert_eq!(okta.client_secret.expose(), "okta-secret");
        assert_eq!(ghe.title, "GitHub Enterprise (ghe.example.com)");
        assert_eq!(ghe.scopes, ["read:user"]);
        assert_eq!(
            ghe.client_secret.expose(),
            "ghe-secret",
            "from the environment"
        );
        assert_eq!(
            ghe.kind,
            ProviderKind::Github {
                host: "ghe.example.com".into(),
                web_url: "https://ghe.example.com".into(),
                api_url: "https://ghe.example.com/api/v3".into(),
            }
        );
        assert!(auth.provider("okta").is_some() && auth.provider("nope").is_none());
        let printed = format!("{auth:?}");
        assert!(!printed.contains("okta-secret") && !printed.contains("ghe-secret"));

        // Without providers, people are let in by default; guest sign-in can stay on.
        let config = load_file(
            "auth:\n  providers:\n    - {id: github, type: github, client_id: x, client_secret: y}\nauth_guest: on\n",
            &[],
        )
        .unwrap();
        assert_eq!(config.auth.unknown_people, UnknownPeople::Allow);
        assert!(config.auth.guest);
        assert_eq!(config.auth.providers[0].title, "GitHub");
        assert_eq!(config.auth.providers[0].scopes, ["read:user", "user:email"]);
    }

    #[test]
    fn bad_sign_in_providers_name_the_entry_the_key_and_the_fix() {
        let cases = [
            (
                "auth:\n  providers:\n    - {id: Okta!, type: oidc}\n",
                "providers[0].id",
                "lowercase letters",
            ),
            (
                "auth:\n  providers:\n    - {id: okta, type: saml, client_id: x, client_secret: y}\n",
                "providers[okta].type",
                "use oidc",
            ),
            (
                "auth:\n  providers:\n    - {id: okta, type: oidc, client_id: x, client_secret: y}\n",
                "providers[okta].issuer",
                "issuer URL",
            ),
            (
                "auth:\n  providers:\n    - {id: okta, type: oidc, issuer: http://okta.example.com, client_id: x, client_secret: y}\n",
                "providers[okta].issuer",
                "https",
            ),
            (
                "auth:\n  providers:\n    - {id: okta, type: oidc, issuer: https://o.example, client_id: x}\n",
                "providers[okta].client_secret",
                "PORTICO_AUTH_OKTA_CLIENT_SECRET",
            ),
            (
                "auth:\n  providers:\n    - {id: okta, type: oidc, issuer: https://o.example, client_secret: y}\n",
                "providers[okta].client_id",
                "client id",
            ),
            (
                "auth:\n  providers:\n    - {id: gh, type: github, host: ghe.example.com, client_id: x, client_secret: y}\n",
                "providers[gh].host",
                "integrations:",
            ),
            (
                "auth:\n  providers:\n    - {id: gh, type: github, issuer: https://x.example, client_id: x, client_secret: y}\n",
                "providers[gh].issuer",
                "issuer is for type oidc",
            ),
            (
                "auth:\n  providers:\n    - {id: a, type: github, client_id: x, client_secret: y}\n    - {id: a, type: github, client_id: x, client_secret: y}\n",
                "providers[a].id",
                "its own id",
            ),
            (
                "auth:\n  ca_file: /nonexistent/acme-ca.pem\n",
                "auth.ca_file",
                "PEM file of the certificate authority",
            ),
            (
                "auth:\n  unknown_people: maybe\n",
                "auth.unknown_people",
                "allow",
            ),
            (
                "auth:\n  providers:\n    - {id: okta, type: oidc, isuer: https://o.example}\n",
                "auth",
                "type: oidc",
            ),
        ];
        for (yaml, source, fix) in cases {
            let error = load_file(yaml, &[]).unwrap_err();
            let line = error.to_string();
            assert!(error.source.ends_with(source), "{source}: {line}");
            assert!(line.contains(fix), "{fix}: {line}");
            assert!(!line.contains('\n'), "{line}");
        }
        // A provider on a network address needs the public URL it sends people back to.
        let error = load_file(
            "auth:\n  providers:\n    - {id: github, type: github, client_id: x, client_secret: y}\n",
            &[("PORTICO_LISTEN", "0.0.0.0:3000")],
        )
        .unwrap_err();
        assert_eq!(error.source, "PORTICO_PUBLIC_URL");
        assert!(error.fix.contains("/auth/github/callback"), "{error}");
    }

    #[test]
    fn auth_ca_file_must_hold_pem_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        let with = |path: &std::path::Path| {
            load_file(&format!("auth:\n  ca_file: {}\n", path.display()), &[])
        };
        std::fs::write(&path, "not a certificate\n").unwrap();
        let error = with(&path).unwrap_err();
        assert!(error.source.ends_with("auth.ca_file"), "{error}");
        assert!(
            error.problem.contains("holds no PEM certificate"),
            "{error}"
        );
        let ca = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .self_signed(&rcgen::KeyPair::generate().unwrap())
            .unwrap();
        std::fs::write(&path, ca.pem()).unwrap();
        assert_eq!(with(&path).unwrap().auth.ca_pem, Some(ca.pem()));
    }

    #[test]
    fn the_audit_log_is_kept_a_year_by_default() {
        let day = Duration::from_secs(24 * 3600);
        assert_eq!(load(&[]).unwrap().audit_retention, 365 * day);
        let config = load(&[("PORTICO_AUDIT_RETENTION_DAYS", "30")]).unwrap();
        assert_eq!(config.audit_retention, 30 * day);
        let error = load(&[("PORTICO_AUDIT_RETENTION_DAYS", "0")]).unwrap_err();
        assert_eq!(error.source, "PORTICO_AUDIT_RETENTION_DAYS");
    }

    #[test]
    fn sessions_last_a_working_day_idle_and_a_week_at_most_by_default() {
        let sessions = load(&[]).unwrap().sessions;
        assert_eq!(sessions.idle, Duration::from_secs(8 * 3600));
        assert_eq!(sessions.max, Duration::from_secs(7 * 24 * 3600));
        let error = load(&[
            ("PORTICO_SESSION_IDLE_SECS", "7200"),
            ("PORTICO_SESSION_MAX_SECS", "3600"),
        ])
        .unwrap_err();
        assert!(
            error.problem.contains("shorter than session_idle_secs"),
            "{error}"
        );
    }

    #[test]
    fn config_file_is_read_and_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portico.yaml");
        std::fs::write(
            &path,
            "listen: 0.0.0.0:4000\nauth_guest: on\ndemo: true\nrequest_timeout_secs: 5\n",
        )
        .unwrap();
        let path = path.to_str().unwrap();
        let config = load(&[("PORTICO_CONFIG", path)]).unwrap();
        assert_eq!(config.listen.port(), 4000);
        assert!(config.demo);
        assert_eq!(config.request_timeout, Duration::from_secs(5));

        let config = load(&[
            ("PORTICO_CONFIG", path),
            ("PORTICO_LISTEN", "127.0.0.1:5000"),
        ])
        .unwrap();
        assert_eq!(config.listen.port(), 5000);
    }

    #[test]
    fn a_github_enterprise_host_gets_its_api_address() {
        let github = load(&[("PORTICO_GITHUB_HOST", "GitHub.Example.com")])
            .unwrap()
            .github;
        let enterprise = github.host("github.example.com").unwrap();
        assert_eq!(enterprise.api_url, "https://github.example.com/api/v3");
        assert!(github.host("github.com").is_some(), "github.com stays");
        let github = load(&[("PORTICO_GITHUB_API_URL", "http://127.0.0.1:9000/")])
            .unwrap()
            .github;
        assert_eq!(
            github.host("github.com").unwrap().api_url,
            "http://127.0.0.1:9000"
        );
    }

    #[test]
    fn several_github_hosts_come_in_backstages_shape() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portico.yaml");
        std::fs::write(
            &path,
            "integrations:\n  github:\n    - host: github.com\n      token: ghp_public\n    \
             - host: ghe.example.com\n      apiBaseUrl: https://ghe.example.com/api/v3/\n      \
             token: ghp_enterprise\n",
        )
        .unwrap();
        let path = path.to_str().unwrap();
        let github = load(&[("PORTICO_CONFIG", path)]).unwrap().github;
        assert_eq!(github.hosts().len(), 2);
        let enterprise = github.host("ghe.example.com").unwrap();
        assert_eq!(enterprise.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(
            enterprise.token.as_ref().unwrap().expose(),
            "ghp_enterprise"
        );
        // The environment overrides the token of its host (github_host, github.com).
        let github = load(&[("PORTICO_CONFIG", path), ("GITHUB_TOKEN", "ghp_env")])
            .unwrap()
            .github;
        let public = github.host("github.com").unwrap();
        assert_eq!(public.token.as_ref().unwrap().expose(), "ghp_env");
        assert!(
            !format!("{github:?}").contains("ghp_"),
            "tokens never print"
        );

        std::fs::write(
            dir.path().join("bad.yaml"),
            "integrations:\n  github:\n    - hots: x\n",
        )
        .unwrap();
        let bad = dir.path().join("bad.yaml");
        let error = load(&[("PORTICO_CONFIG", bad.to_str().unwrap())]).unwrap_err();
        assert!(error.problem.contains("hots"), "{error}");
        assert!(error.fix.contains("integrations:"), "{error}");
    }

    #[test]
    fn database_passwords_never_print() {
        let config = load(&[("DATABASE_URL", "postgres://portico:s3cret@db/portico")]).unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
        let error = load(&[("DATABASE_URL", "mysql://portico:s3cret@db/portico")]).unwrap_err();
        assert!(!error.to_string().contains("s3cret"), "{error}");
        assert!(
            error.to_string().contains("mysql://portico:***@db/portico"),
            "{error}"
        );
    }

    #[test]
    fn background_work_timing_is_configurable() {
        let work = load(&[]).unwrap().work;
        assert_eq!(work.poll, Duration::from_secs(2));
        assert_eq!(work.lease, Duration::from_secs(300));
        let work = load(&[
            ("PORTICO_BACKGROUND_POLL_SECS", "1"),
            ("PORTICO_BACKGROUND_LEASE_SECS", "60"),
        ])
        .unwrap()
        .work;
        assert_eq!(
            (work.poll, work.lease),
            (Duration::from_secs(1), Duration::from_secs(60))
        );
        assert!(load(&[("PORTICO_BACKGROUND_LEASE_SECS", "1")]).is_err());
    }

    #[test]
    fn each_replica_opens_at_most_its_share_of_database_connections() {
        assert_eq!(load(&[]).unwrap().database_max_connections, 16);
        let config = load(&[("PORTICO_DATABASE_MAX_CONNECTIONS", "10")]).unwrap();
        assert_eq!(config.database_max_connections, 10);
        let error = load(&[("PORTICO_DATABASE_MAX_CONNECTIONS", "0")]).unwrap_err();
        assert_eq!(error.source, "PORTICO_DATABASE_MAX_CONNECTIONS");
    }

    #[test]
    fn ingestion_defaults_are_safe() {
        let ingest = load(&[]).unwrap().ingest;
        assert_eq!(ingest.refresh_interval, Duration::from_secs(300));
        assert_eq!(ingest.orphan_strategy, OrphanStrategy::Delete);
        assert!(
            ingest.file_roots.is_empty(),
            "no file is readable by default"
        );
        assert!(ingest.url_allow.is_empty(), "no private network by default");
        assert_eq!(ingest.max_file_bytes, 5 * 1024 * 1024);
        assert_eq!(ingest.parse_timeout, Duration::from_secs(10));
        assert_eq!(ingest.max_redirects, 5);
    }

    #[test]
    fn ingestion_keys_are_read_and_checked() {
        let ingest = load(&[
            ("PORTICO_CATALOG_REFRESH_INTERVAL_SECS", "60"),
            ("PORTICO_CATALOG_ORPHAN_STRATEGY", "Keep"),
            ("PORTICO_CATALOG_FILE_ROOTS", "/srv/catalog, /opt/teams"),
            ("PORTICO_CATALOG_URL_ALLOW", "127.0.0.1,10.0.0.0/8"),
            ("GITHUB_TOKEN", "ghp_secret"),
            ("PORTICO_CATALOG_READ_TIMEOUT_SECS", "3"),
            ("PORTICO_CATALOG_PARSE_TIMEOUT_SECS", "2"),
            ("PORTICO_CATALOG_MAX_REDIRECTS", "0"),
        ])
        .unwrap()
        .ingest;
        assert_eq!(ingest.refresh_interval, Duration::from_secs(60));
        assert_eq!(ingest.orphan_strategy, OrphanStrategy::Keep);
        assert_eq!(
            ingest.file_roots,
            [PathBuf::from("/srv/catalog"), PathBuf::from("/opt/teams")]
        );
        assert_eq!(ingest.url_allow.len(), 2);
        let loopback: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        assert!(
            !ingest.url_allow[0].permits(loopback, 5432),
            "no port: web ports only"
        );
        assert!(ingest.url_allow[0].permits(loopback, 443));
        assert_eq!(ingest.read_timeout, Duration::from_secs(3));
        assert_eq!(ingest.parse_timeout, Duration::from_secs(2));
        assert_eq!(ingest.max_redirects, 0);

        for (key, value) in [
            ("PORTICO_CATALOG_REFRESH_INTERVAL_SECS", "0"),
            ("PORTICO_CATALOG_ORPHAN_STRATEGY", "archive"),
            ("PORTICO_CATALOG_FILE_ROOTS", "relative/dir"),
            ("PORTICO_CATALOG_URL_ALLOW", "localhost"),
            ("PORTICO_CATALOG_URL_ALLOW", "127.0.0.1:0"),
            ("PORTICO_CATALOG_MAX_FILE_BYTES", "10"),
            ("PORTICO_CATALOG_PARSE_TIMEOUT_SECS", "0"),
            ("PORTICO_CATALOG_MAX_REDIRECTS", "100"),
        ] {
            let error = load(&[(key, value)]).unwrap_err();
            assert_eq!(error.source, key, "{error}");
            assert_eq!(error.value, value);
        }
    }

    #[test]
    fn url_allow_entries_may_name_the_one_port_they_allow() {
        let ingest = load(&[(
            "PORTICO_CATALOG_URL_ALLOW",
            "10.1.0.0/16:443, 127.0.0.1:8080, [::1]:8443, [fd00::/8]:443, ::1",
        )])
        .unwrap()
        .ingest;
        let ip = |text: &str| text.parse::<std::net::IpAddr>().unwrap();
        let [git, local, v6, v6_net, any] = ingest.url_allow[..] else {
            panic!("{:?}", ingest.url_allow);
        };
        assert!(git.permits(ip("10.1.2.3"), 443));
        assert!(!git.permits(ip("10.1.2.3"), 5432));
        assert!(!git.permits(ip("10.2.0.1"), 443));
        assert!(local.permits(ip("127.0.0.1"), 8080));
        assert!(!local.permits(ip("127.0.0.1"), 5432));
        assert!(v6.permits(ip("::1"), 8443) && !v6.permits(ip("::1"), 443));
        assert!(v6_net.permits(ip("fd00::5"), 443));
        assert!(any.permits(ip("::1"), 80) && !any.permits(ip("::1"), 5432));
        assert_eq!(git.to_string(), "10.1.0.0/16:443");
        assert_eq!(v6.to_string(), "[::1/128]:8443");
    }

    #[test]
    fn drafts_are_bounded_by_default_and_their_keys_are_checked() {
        let config = load(&[]).unwrap();
        assert_eq!(
            config.drafts,
            DraftConfig {
                lifetime: Duration::from_secs(3600),
                per_client: 10,
                total: 100,
            }
        );
        assert_eq!(config.client_address_header, None);
        let config = load(&[
            ("PORTICO_REGISTER_DRAFT_LIFETIME_SECS", "600"),
            ("PORTICO_REGISTER_DRAFTS_PER_CLIENT", "2"),
            ("PORTICO_REGISTER_DRAFTS_TOTAL", "2"),
            ("PORTICO_CLIENT_ADDRESS_HEADER", "X-Forwarded-For"),
        ])
        .unwrap();
        assert_eq!(config.drafts.lifetime, Duration::from_secs(600));
        assert_eq!(config.drafts.total, 2);
        assert_eq!(
            config.client_address_header.unwrap().as_str(),
            "x-forwarded-for"
        );
        for (key, value) in [
            ("PORTICO_REGISTER_DRAFT_LIFETIME_SECS", "86401"),
            ("PORTICO_REGISTER_DRAFTS_PER_CLIENT", "0"),
            ("PORTICO_REGISTER_DRAFTS_TOTAL", "5"),
            ("PORTICO_CLIENT_ADDRESS_HEADER", "x forwarded"),
        ] {
            let error = load(&[(key, value)]).unwrap_err();
            assert_eq!(error.source, key, "{error}");
            assert_eq!(error.value, value);
        }
        let error = load(&[("PORTICO_REGISTER_DRAFTS_TOTAL", "5")]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("register_drafts_per_client (10)"),
            "{error}"
        );
    }

    #[test]
    fn config_file_errors_name_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portico.yaml");
        let path_str = path.to_str().unwrap();

        std::fs::write(&path, "listen: nowhere\n").unwrap();
        let error = load(&[("PORTICO_CONFIG", path_str)]).unwrap_err();
        assert_eq!(error.source, format!("{path_str}: listen"));

        std::fs::write(&path, "lisen: 0.0.0.0:1\n").unwrap();
        let error = load(&[("PORTICO_CONFIG", path_str)]).unwrap_err();
        assert!(error.problem.contains("unknown key \"lisen\""), "{error}");

        std::fs::write(&path, "listen: [1, 2\n").unwrap();
        assert!(load(&[("PORTICO_CONFIG", path_str)]).is_err());

        let error = load(&[("PORTICO_CONFIG", "/nonexistent/portico.yaml")]).unwrap_err();
        assert_eq!(error.source, "PORTICO_CONFIG");
    }
}
