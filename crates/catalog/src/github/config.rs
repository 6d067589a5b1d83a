//! The `catalog.providers` block of `portico.yaml`, in the shape of Backstage's
//! `app-config.yaml`, so a company copies its block across unchanged:
//!
//! ```yaml
//! catalog:
//!   providers:
//!     github:
//!       acme:                          # the provider's id; or one provider without ids
//!         organization: acme
//!         catalogPath: /catalog-info.yaml   # globs (* and **) search every matching path
//!         filters:
//!           branch: main               # default: each repository's default branch
//!           repository: '^svc-.*$'     # a regular expression on the name, whole name
//!           topic: { include: [backstage], exclude: [experimental] }
//!           visibility: [public, internal, private]
//!           allowForks: false
//!         schedule: { frequency: { minutes: 30 }, timeout: { minutes: 3 } }
//!     githubOrg:
//!       - id: production
//!         githubUrl: https://github.com
//!         orgs: [acme]
//!         schedule: { frequency: PT1H, timeout: PT15M }
//! ```

use super::discovery::CatalogPath;
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Every configured provider.
#[derive(Clone, Debug, Default)]
pub struct ProvidersConfig {
    pub discovery: Vec<DiscoveryConfig>,
    pub orgs: Vec<OrgConfig>,
}

/// One GitHub discovery provider (`catalog.providers.github.<id>`).
#[derive(Clone, Debug)]
pub struct DiscoveryConfig {
    pub id: String,
    /// The web host of the repositories (`github.com`, a GitHub Enterprise host); its API
    /// address and token come from the GitHub integration.
    pub host: String,
    pub organization: String,
    pub catalog_path: CatalogPath,
    pub filter: RepositoryFilter,
    pub schedule: Schedule,
}

/// Which repositories of the organisation discovery reads. Archived repositories are
/// always left out: nobody maintains what they describe.
#[derive(Clone, Debug)]
pub struct RepositoryFilter {
    /// The branch to read the catalog file from; `None`: the repository's default branch.
    pub branch: Option<String>,
    /// Matched against the whole repository name.
    pub repository: Option<Regex>,
    /// A repository must carry one of these topics (when any are given)…
    pub topics_included: Vec<String>,
    /// …and none of these (exclusion wins).
    pub topics_excluded: Vec<String>,
    /// Empty: every visibility.
    pub visibility: Vec<Visibility>,
    pub allow_forks: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
    Internal,
}

/// One GitHub organisation provider (`catalog.providers.githubOrg`).
#[derive(Clone, Debug)]
pub struct OrgConfig {
    pub id: String,
    /// The web host named by `githubUrl`.
    pub host: String,
    pub orgs: Vec<String>,
    pub schedule: Schedule,
}

/// When a provider runs: every `frequency`, each run stopped after `timeout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub frequency: Duration,
    pub timeout: Duration,
}

/// What is wrong with the block, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The key, e.g. `catalog.providers.github.acme.filters.repository`.
    pub path: String,
    pub message: String,
}

fn problem(path: impl Into<String>, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        path: path.into(),
        message: message.into(),
    }
}

const DISCOVERY_SCHEDULE: Schedule = Schedule {
    frequency: Duration::from_secs(30 * 60),
    timeout: Duration::from_secs(15 * 60),
};
const ORG_SCHEDULE: Schedule = Schedule {
    frequency: Duration::from_secs(60 * 60),
    timeout: Duration::from_secs(15 * 60),
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DiscoveryEntry {
    host: Option<String>,
    organization: String,
    catalog_path: Option<String>,
    /// Portico always checks that the file exists before registering it.
    #[allow(dead_code)]
    validate_locations_exist: Option<bool>,
    filters: Option<FiltersEntry>,
    schedule: Option<ScheduleEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FiltersEntry {
    branch: Option<String>,
    repository: Option<String>,
    #[serde(default)]
    allow_forks: bool,
    topic: Option<TopicEntry>,
    #[serde(default)]
    visibility: Vec<Visibility>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicEntry {
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OrgEntry {
    id: String,
    github_url: String,
    #[serde(default)]
    orgs: Vec<String>,
    schedule: Option<ScheduleEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScheduleEntry {
    frequency: Value,
    timeout: Option<Value>,
    /// Accepted for compatibility; a provider's first run is right after start.
    #[allow(dead_code)]
    initial_delay: Option<Value>,
    /// Accepted for compatibility; runs are always shared by the replicas.
    #[allow(dead_code)]
    scope: Option<String>,
}

/// Reads the `catalog` block.
pub fn parse_providers(block: &Value) -> Result<ProvidersConfig, ConfigProblem> {
    let mut config = ProvidersConfig::default();
    let Some(block) = block.as_object() else {
        return Err(problem("catalog", "must be a map with a providers key"));
    };
    for key in block.keys() {
        if key != "providers" {
            return Err(problem(
                format!("catalog.{key}"),
                "is not supported here; catalog.providers is (register other locations with \
                 portico catalog import or the register page)",
            ));
        }
    }
    let Some(providers) = block.get("providers") else {
        return Ok(config);
    };
    let Some(providers) = providers.as_object() else {
        return Err(problem("catalog.providers", "must be a map"));
    };
    for (key, value) in providers {
        let path = format!("catalog.providers.{key}");
        match key.as_str() {
            "github" => config.discovery = discovery_providers(value, &path)?,
            "githubOrg" => config.orgs = org_providers(value, &path)?,
            _ => {
                return Err(problem(
                    path,
                    "is not a provider Portico has; use github (repository discovery) or \
                     githubOrg (teams and people)",
                ));
            }
        }
    }
    let mut ids: Vec<&str> = config.discovery.iter().map(|d| d.id.as_str()).collect();
    ids.extend(config.orgs.iter().map(|o| o.id.as_str()));
    ids.sort_unstable();
    if let Some(twice) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(problem(
            "catalog.providers",
            format!(
                "names the provider id {:?} twice; give each provider its own id",
                twice[0]
            ),
        ));
    }
    Ok(config)
}

/// Backstage accepts one provider (its id is `default`) or a map of ids to providers.
fn discovery_providers(value: &Value, path: &str) -> Result<Vec<DiscoveryConfig>, ConfigProblem> {
    let Some(map) = value.as_object() else {
        return Err(problem(path, "must be a map of provider ids to providers"));
    };
    if map.contains_key("organization") {
        return Ok(vec![discovery_provider("default", value, path)?]);
    }
    map.iter()
        .map(|(id, value)| discovery_provider(id, value, &format!("{path}.{id}")))
        .collect()
}

fn discovery_provider(
    id: &str,
    value: &Value,
    path: &str,
) -> Result<DiscoveryConfig, ConfigProblem> {
    check_id(id, path)?;
    let entry: DiscoveryEntry = typed(value, path)?;
    let filters = entry.filters.unwrap_or(FiltersEntry {
        branch: None,
        repository: None,
        allow_forks: false,
        topic: None,
        visibility: Vec::new(),
    });
    let repository = match filters.repository {
        Some(pattern) => Some(Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            problem(
                format!("{path}.filters.repository"),
                format!("is not a regular expression ({e})"),
            )
        })?),
        None => None,
    };
    if let Some(branch) = &filters.branch
        && (branch.trim().is_empty() || branch.contains('/'))
    {
        return Err(problem(
            format!("{path}.filters.branch"),
            "must name one branch without '/' (or be left out for each repository's default branch)",
        ));
    }
    let topic = filters.topic.unwrap_or(TopicEntry {
        include: Vec::new(),
        exclude: Vec::new(),
    });
    let catalog_path = CatalogPath::parse(
        entry
            .catalog_path
            .as_deref()
            .unwrap_or("/catalog-info.yaml"),
    )
    .map_err(|message| problem(format!("{path}.catalogPath"), message))?;
    Ok(DiscoveryConfig {
        id: id.to_string(),
        host: host(
            entry.host.as_deref().unwrap_or("github.com"),
            &format!("{path}.host"),
        )?,
        organization: org_name(&entry.organization, &format!("{path}.organization"))?,
        catalog_path,
        filter: RepositoryFilter {
            branch: filters.branch,
            repository,
            topics_included: topic.include,
            topics_excluded: topic.exclude,
            visibility: filters.visibility,
            allow_forks: filters.allow_forks,
        },
        schedule: schedule(
            entry.schedule,
            DISCOVERY_SCHEDULE,
            &format!("{path}.schedule"),
        )?,
    })
}

/// Backstage accepts one provider or a list of them.
fn org_providers(value: &Value, path: &str) -> Result<Vec<OrgConfig>, ConfigProblem> {
    let entries: Vec<(String, &Value)> = match value {
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{path}[{i}]"), v))
            .collect(),
        other => vec![(path.to_string(), other)],
    };
    entries
        .into_iter()
        .map(|(path, value)| {
            let entry: OrgEntry = typed(value, &path)?;
            check_id(&entry.id, &format!("{path}.id"))?;
            let url = web_host(&entry.github_url)
                .and_then(|h| host(h, "").ok())
                .ok_or_else(|| {
                    problem(
                        format!("{path}.githubUrl"),
                        "must be the web address of GitHub, e.g. https://github.com or \
                         https://github.example.com",
                    )
                })?;
            if entry.orgs.is_empty() {
                return Err(problem(
                    format!("{path}.orgs"),
                    "must list the organisations to read (Portico reads them with a token, \
                     not as a GitHub App that can list its installations)",
                ));
            }
            let orgs = entry
                .orgs
                .iter()
                .enumerate()
                .map(|(i, org)| org_name(org, &format!("{path}.orgs[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(OrgConfig {
                id: entry.id,
                host: url,
                orgs,
                schedule: schedule(entry.schedule, ORG_SCHEDULE, &format!("{path}.schedule"))?,
            })
        })
        .collect()
}

fn typed<T: for<'de> Deserialize<'de>>(value: &Value, path: &str) -> Result<T, ConfigProblem> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = e.path().to_string();
        let path = if at == "." {
            path.to_string()
        } else {
            format!("{path}.{at}")
        };
        problem(path, e.into_inner().to_string())
    })
}

fn check_id(id: &str, path: &str) -> Result<(), ConfigProblem> {
    let ok = !id.is_empty()
        && id.len() <= 63
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(problem(
            path,
            format!("{id:?} is not a provider id: use up to 63 letters, digits, - and _"),
        ))
    }
}

/// GitHub logins and organisation names: letters, digits and single hyphens.
fn org_name(name: &str, path: &str) -> Result<String, ConfigProblem> {
    let ok = !name.is_empty()
        && name.len() <= 39
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(name.to_string())
    } else {
        Err(problem(
            path,
            format!("{name:?} is not a GitHub organisation name"),
        ))
    }
}

/// The host of an `http(s)://HOST[/…]` address.
fn web_host(url: &str) -> Option<&str> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then_some(host)
}

fn host(host: &str, path: &str) -> Result<String, ConfigProblem> {
    let host = host.trim().to_ascii_lowercase();
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == ':');
    if ok {
        Ok(host)
    } else {
        Err(problem(
            path,
            format!("{host:?} is not a host name, e.g. github.example.com"),
        ))
    }
}

fn schedule(
    entry: Option<ScheduleEntry>,
    default: Schedule,
    path: &str,
) -> Result<Schedule, ConfigProblem> {
    let Some(entry) = entry else {
        return Ok(default);
    };
    let frequency = duration(&entry.frequency, &format!("{path}.frequency"))?;
    let timeout = match &entry.timeout {
        Some(value) => duration(value, &format!("{path}.timeout"))?,
        None => default.timeout,
    };
    Ok(Schedule { frequency, timeout })
}

/// A duration as Backstage writes one: `{ minutes: 30 }` or ISO 8601 (`PT30M`). Cron
/// expressions are refused: providers run every so often, from whichever replica is free.
fn duration(value: &Value, path: &str) -> Result<Duration, ConfigProblem> {
    const UNITS: [(&str, u64); 7] = [
        ("weeks", 7 * 24 * 3600 * 1000),
        ("days", 24 * 3600 * 1000),
        ("hours", 3600 * 1000),
        ("minutes", 60 * 1000),
        ("seconds", 1000),
        ("milliseconds", 1),
        ("ms", 1),
    ];
    let fix =
        "write a duration such as { minutes: 30 } or PT30M (cron expressions are not supported)";
    let millis = match value {
        Value::Object(map) => {
            let mut total: u64 = 0;
            for (unit, amount) in map {
                let Some((_, scale)) = UNITS.iter().find(|(name, _)| name == unit) else {
                    return Err(problem(
                        format!("{path}.{unit}"),
                        format!("is not a unit; {fix}"),
                    ));
                };
                let Some(amount) = amount.as_u64() else {
                    return Err(problem(format!("{path}.{unit}"), "must be a whole number"));
                };
                total = total.saturating_add(amount.saturating_mul(*scale));
            }
            total
        }
        Value::String(text) => iso_duration(text)
            .ok_or_else(|| problem(path, format!("{text:?} is not an ISO 8601 duration; {fix}")))?,
        _ => return Err(problem(path, fix)),
    };
    let duration = Duration::from_millis(millis);
    if duration < Duration::from_secs(1) || duration > Duration::from_secs(7 * 24 * 3600) {
        return Err(problem(path, "must be between one second and one week"));
    }
    Ok(duration)
}

/// `P[nW][nD][T[nH][nM][nS]]` in milliseconds; months and years are refused (their
/// length varies).
fn iso_duration(text: &str) -> Option<u64> {
    let rest = text.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let units = |part: &str, table: &BTreeMap<char, f64>| -> Option<f64> {
        let mut total = 0.0;
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
            } else {
                let scale = table.get(&c)?;
                total += number.parse::<f64>().ok()? * scale;
                number.clear();
            }
        }
        number.is_empty().then_some(total)
    };
    let date_units = BTreeMap::from([('W', 7.0 * 86_400_000.0), ('D', 86_400_000.0)]);
    let time_units = BTreeMap::from([('H', 3_600_000.0), ('M', 60_000.0), ('S', 1000.0)]);
    let mut total = units(date, &date_units)?;
    if let Some(time) = time {
        if time.is_empty() {
            return None;
        }
        total += units(time, &time_units)?;
    }
    (text.len() > 1).then_some(total as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backstages_discovery_block_reads_as_written() {
        let config = parse_providers(&json!({"providers": {"github": {
            "acme": {
                "organization": "acme",
                "catalogPath": "/services/**/catalog-info.yaml",
                "filters": {
                    "branch": "main",
                    "repository": "svc-.*",
                    "topic": {"include": ["backstage"], "exclude": ["wip"]},
                    "visibility": ["public", "internal"],
                    "allowForks": true
                },
                "schedule": {"frequency": {"minutes": 30}, "timeout": "PT3M", "initialDelay": {"seconds": 10}}
            },
            "ghe": {"host": "GitHub.Example.com", "organization": "platform"}
        }}}))
        .unwrap();
        let acme = &config.discovery[0];
        assert_eq!(acme.id, "acme");
        assert_eq!(acme.host, "github.com");
        assert!(acme.catalog_path.is_glob());
        assert_eq!(acme.filter.branch.as_deref(), Some("main"));
        assert!(acme.filter.repository.as_ref().unwrap().is_match("svc-web"));
        assert!(
            !acme
                .filter
                .repository
                .as_ref()
                .unwrap()
                .is_match("old-svc-web"),
            "the pattern matches the whole name"
        );
        assert_eq!(
            acme.filter.visibility,
            [Visibility::Public, Visibility::Internal]
        );
        assert_eq!(acme.schedule.frequency, Duration::from_secs(1800));
        assert_eq!(acme.schedule.timeout, Duration::from_secs(180));
        let ghe = &config.discovery[1];
        assert_eq!(ghe.host, "github.example.com");
        assert_eq!(ghe.catalog_path.as_str(), "catalog-info.yaml");
        assert_eq!(ghe.schedule, DISCOVERY_SCHEDULE);
    }

    #[test]
    fn one_provider_without_ids_is_called_default() {
        let config =
            parse_providers(&json!({"providers": {"github": {"organization": "acme"}}})).unwrap();
        assert_eq!(config.discovery[0].id, "default");
    }

    #[test]
    fn org_providers_come_as_one_or_a_list() {
        let one = parse_providers(&json!({"providers": {"githubOrg": {
            "id": "production", "githubUrl": "https://github.com", "orgs": ["acme"],
            "schedule": {"frequency": "PT1H", "timeout": "PT15M"}
        }}}))
        .unwrap();
        assert_eq!(one.orgs[0].id, "production");
        assert_eq!(one.orgs[0].host, "github.com");
        assert_eq!(one.orgs[0].schedule.frequency, Duration::from_secs(3600));
        let list = parse_providers(&json!({"providers": {"githubOrg": [
            {"id": "a", "githubUrl": "https://ghe.example.com", "orgs": ["x", "y"]},
            {"id": "b", "githubUrl": "https://github.com", "orgs": ["z"]}
        ]}}))
        .unwrap();
        assert_eq!(list.orgs.len(), 2);
        assert_eq!(list.orgs[0].host, "ghe.example.com");
        assert_eq!(list.orgs[0].orgs, ["x", "y"]);
    }

    #[test]
    fn mistakes_name_the_key_and_the_fix() {
        let cases = [
            (
                json!({"providers": {"gitlab": {}}}),
                "catalog.providers.gitlab",
                "github",
            ),
            (
                json!({"locations": []}),
                "catalog.locations",
                "portico catalog import",
            ),
            (
                json!({"providers": {"github": {"a": {"organization": "acme", "filters": {"repository": "("}}}}}),
                "catalog.providers.github.a.filters.repository",
                "regular expression",
            ),
            (
                json!({"providers": {"github": {"a": {"organisation": "acme"}}}}),
                "catalog.providers.github.a.organisation",
                "expected one of",
            ),
            (
                json!({"providers": {"github": {"a": {"organization": "acme", "filters": {"visibility": ["secret"]}}}}}),
                "catalog.providers.github.a.filters.visibility[0]",
                "secret",
            ),
            (
                json!({"providers": {"github": {"a": {"organization": "acme", "schedule": {"frequency": "*/5 * * * *"}}}}}),
                "catalog.providers.github.a.schedule.frequency",
                "cron",
            ),
            (
                json!({"providers": {"github": {"a": {"organization": "acme", "schedule": {"frequency": {"fortnights": 1}}}}}}),
                "catalog.providers.github.a.schedule.frequency.fortnights",
                "minutes: 30",
            ),
            (
                json!({"providers": {"githubOrg": {"id": "x", "githubUrl": "github.com", "orgs": ["a"]}}}),
                "catalog.providers.githubOrg.githubUrl",
                "https://github.com",
            ),
            (
                json!({"providers": {"githubOrg": [{"id": "x", "githubUrl": "https://github.com"}]}}),
                "catalog.providers.githubOrg[0].orgs",
                "list the organisations",
            ),
            (
                json!({"providers": {"github": {"x": {"organization": "a"}}, "githubOrg": {"id": "x", "githubUrl": "https://github.com", "orgs": ["a"]}}}),
                "catalog.providers",
                "twice",
            ),
            (
                json!({"providers": {"github": {"a": {"organization": "acme", "catalogPath": "/a/../b.yaml"}}}}),
                "catalog.providers.github.a.catalogPath",
                "..",
            ),
        ];
        for (block, path, words) in cases {
            let error = parse_providers(&block).unwrap_err();
            assert_eq!(error.path, path, "{block}: {error:?}");
            assert!(error.message.contains(words), "{block}: {error:?}");
        }
    }

    #[test]
    fn iso_durations() {
        assert_eq!(iso_duration("PT30M"), Some(1_800_000));
        assert_eq!(iso_duration("P1DT1H"), Some(90_000_000));
        assert_eq!(iso_duration("PT1.5S"), Some(1500));
        assert_eq!(iso_duration("P"), None);
        assert_eq!(iso_duration("PT"), None);
        assert_eq!(iso_duration("P1M"), None, "months vary in length");
        assert_eq!(iso_duration("30m"), None);
    }
}
