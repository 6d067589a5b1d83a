//! The maturity level (1 to 5) of a service and of a team, explained: which criteria of the
//! seed's DevOps maturity model are met, which are missing, and where each is fixed.
//!
//! The rubric is data: [`Rubric::builtin`] is `maturity.yaml`, and the server may load its
//! own through [`Rubric::from_yaml`]. Each criterion reads one named fact about a service
//! ([`FACTS`]); the server fills the [`Facts`] from the catalog and the delivery events.

use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

/// The seed's model has five levels, and the page draws all five.
const LEVELS: usize = 5;

/// What kind of value a fact holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// Met when it is [`FactValue::Yes`].
    YesNo,
    /// Met when it is within the criterion's bounds.
    Number,
}

/// A fact the server knows how to fill. Serialise-only: the list is fixed in code.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct KnownFact {
    pub name: &'static str,
    pub kind: FactKind,
    pub meaning: &'static str,
}

const fn yes_no(name: &'static str, meaning: &'static str) -> KnownFact {
    KnownFact {
        name,
        kind: FactKind::YesNo,
        meaning,
    }
}

const fn number(name: &'static str, meaning: &'static str) -> KnownFact {
    KnownFact {
        name,
        kind: FactKind::Number,
        meaning,
    }
}

/// Every fact a rubric may read. A rubric naming any other is refused, because the server
/// would never fill it and the criterion could never be met.
pub const FACTS: &[KnownFact] = &[
    yes_no(
        "owner",
        "the component has an owner that exists in the catalog",
    ),
    yes_no(
        "repository",
        "it names its GitHub repository (github.com/project-slug)",
    ),
    yes_no(
        "documentation",
        "it has a backstage.io/techdocs-ref annotation or a docs link",
    ),
    yes_no(
        "ci_pipeline",
        "a CI pipeline exists (rendered from its Application spec, or GitHub Actions runs seen)",
    ),
    yes_no(
        "automated_tests",
        "its pipeline runs tests before deploying",
    ),
    yes_no(
        "infrastructure_as_code",
        "its Application spec provisions infrastructure with Terraform",
    ),
    yes_no(
        "container_orchestration",
        "it runs on Kubernetes (Application spec or backstage.io/kubernetes-id)",
    ),
    yes_no("observability", "monitoring is enabled, with alerts"),
    yes_no("slos", "SLOs are defined"),
    yes_no(
        "progressive_delivery",
        "production rolls out with canary or blue-green",
    ),
    yes_no("gitops", "it is delivered through GitOps (Argo CD)"),
    yes_no(
        "policies",
        "image scanning and network policies are enforced",
    ),
    yes_no(
        "from_template",
        "it was created from a golden-path template",
    ),
    number(
        "deployments_per_day",
        "successful production deployments per day over the last 30 days",
    ),
    number(
        "change_failure_rate",
        "the fraction (0 to 1) of production deployments that failed",
    ),
    number("lead_time_hours", "median hours from commit to production"),
];

fn fact_kind(name: &str) -> Option<FactKind> {
    FACTS
        .iter()
        .find(|fact| fact.name == name)
        .map(|fact| fact.kind)
}

/// The value of one fact about a service.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactValue {
    Yes,
    No,
    Number(f64),
    /// No data yet, e.g. a change failure rate before the first deployment.
    Unknown,
}

impl From<bool> for FactValue {
    fn from(yes: bool) -> Self {
        if yes { FactValue::Yes } else { FactValue::No }
    }
}

/// `None` is [`FactValue::Unknown`]: the figures the insights compute are optional.
impl From<Option<f64>> for FactValue {
    fn from(figure: Option<f64>) -> Self {
        figure.map_or(FactValue::Unknown, FactValue::Number)
    }
}

/// What is known about one service, by fact name ([`FACTS`]). A fact left out is unknown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts(pub BTreeMap<String, FactValue>);

impl Facts {
    /// Sets one fact. A name outside [`FACTS`] is a bug in the caller: no rubric reads it.
    pub fn set(&mut self, name: &str, value: FactValue) {
        debug_assert!(fact_kind(name).is_some(), "unknown maturity fact `{name}`");
        self.0.insert(name.to_string(), value);
    }

    pub fn get(&self, name: &str) -> FactValue {
        self.0.get(name).copied().unwrap_or(FactValue::Unknown)
    }
}

/// How to fix a missing criterion: words a developer can act on, and a page of the portal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    pub text: String,
    /// A path inside the portal, e.g. `/create/application`.
    pub href: String,
}

/// One thing a service must show to be at a level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Unique in the rubric; teams count missing criteria by it.
    pub id: String,
    /// What meeting it means, e.g. "Rolls out to production with canary or blue-green".
    pub title: String,
    /// What is said when it is missing, e.g. "no canary or blue-green rollout".
    pub missing: String,
    /// The fact it reads, one of [`FACTS`].
    pub fact: String,
    /// For a number: met when the fact is at least this. A yes/no fact must be yes.
    pub at_least: Option<f64>,
    /// For a number: met when the fact is at most this.
    pub at_most: Option<f64>,
    pub fix: Option<Fix>,
}

/// Whether a service meets a criterion.
enum Outcome {
    Met,
    NotMet,
    NoData,
}

impl Criterion {
    fn has_bounds(&self) -> bool {
        self.at_least.is_some() || self.at_most.is_some()
    }

    fn within_bounds(&self, value: f64) -> bool {
        self.at_least.is_none_or(|bound| value >= bound)
            && self.at_most.is_none_or(|bound| value <= bound)
    }

    /// A value of the wrong kind (a number for a yes/no fact) is not met rather than
    /// unknown: the server did give data, just not data that shows the criterion.
    fn outcome(&self, facts: &Facts) -> Outcome {
        match facts.get(&self.fact) {
            FactValue::Unknown => Outcome::NoData,
            FactValue::Yes if !self.has_bounds() => Outcome::Met,
            FactValue::Number(value) if self.has_bounds() && self.within_bounds(value) => {
                Outcome::Met
            }
            _ => Outcome::NotMet,
        }
    }

    fn check(&self, path: &str) -> Result<(), String> {
        let Criterion {
            id,
            title,
            missing,
            fact,
            at_least,
            at_most,
            fix,
        } = self;
        if id.trim().is_empty() {
            return Err(format!(
                "{path}.id: empty; give the criterion a short snake_case id, e.g. slos"
            ));
        }
        if title.trim().is_empty() {
            return Err(format!(
                "{path}.title: empty; say what meeting it means, e.g. \"Has SLOs defined\""
            ));
        }
        if missing.trim().is_empty() {
            return Err(format!(
                "{path}.missing: empty; say what is lacking when it is not met, e.g. \"no SLO\""
            ));
        }
        let Some(kind) = fact_kind(fact) else {
            let known: Vec<&str> = FACTS.iter().map(|fact| fact.name).collect();
            return Err(format!(
                "{path}.fact: unknown fact `{fact}`; use one of {}",
                known.join(", ")
            ));
        };
        match kind {
            FactKind::YesNo => {
                for (key, bound) in [("at_least", at_least), ("at_most", at_most)] {
                    if bound.is_some() {
                        return Err(format!(
                            "{path}.{key}: `{fact}` is a yes/no fact, met when it is yes; remove {key}"
                        ));
                    }
                }
            }
            FactKind::Number => check_bounds(path, fact, *at_least, *at_most)?,
        }
        if let Some(fix) = fix {
            fix.check(&format!("{path}.fix"))?;
        }
        Ok(())
    }
}

fn check_bounds(
    path: &str,
    fact: &str,
    at_least: Option<f64>,
    at_most: Option<f64>,
) -> Result<(), String> {
    if at_least.is_none() && at_most.is_none() {
        return Err(format!(
            "{path}: `{fact}` is a number; give at_least or at_most to say which values meet it"
        ));
    }
    for (key, bound) in [("at_least", at_least), ("at_most", at_most)] {
        if bound.is_some_and(|bound| !bound.is_finite()) {
            return Err(format!("{path}.{key}: must be a finite number"));
        }
    }
    if let (Some(low), Some(high)) = (at_least, at_most)
        && low > high
    {
        return Err(format!(
            "{path}: at_least ({low}) is above at_most ({high}), so no value meets it; swap or widen them"
        ));
    }
    Ok(())
}

impl Fix {
    fn check(&self, path: &str) -> Result<(), String> {
        if self.text.trim().is_empty() {
            return Err(format!(
                "{path}.text: empty; say what to do, e.g. \"Render the delivery setup\""
            ));
        }
        // A fix leads to a page of the portal; an outside link would leave it.
        if !self.href.starts_with('/') || self.href.starts_with("//") {
            return Err(format!(
                "{path}.href: `{}` is not a page of the portal; give a path such as /create/application",
                self.href
            ));
        }
        Ok(())
    }
}

/// One level of the maturity model and the criteria it adds to the levels below.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub level: u8,
    pub name: String,
    pub criteria: Vec<Criterion>,
}

/// Levels 1 to 5, in order; level N needs every criterion of levels 1 to N.
///
/// Deserialising alone does not check it: use [`Rubric::from_yaml`], or [`Rubric::check`]
/// when it comes inside a larger configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    pub levels: Vec<Level>,
}

impl Rubric {
    /// The rubric in `maturity.yaml`, which mirrors the seed's maturity model.
    pub fn builtin() -> Rubric {
        Rubric::from_yaml(include_str!("maturity.yaml"))
            .unwrap_or_else(|error| panic!("maturity.yaml: {error}"))
    }

    /// Parses and checks a rubric. Errors name the path (`levels[2].criteria[0].fact`)
    /// and say how to fix it.
    pub fn from_yaml(text: &str) -> Result<Rubric, String> {
        let rubric: Rubric = serde_yaml_ng::from_str(text).map_err(|error| error.to_string())?;
        rubric.check()?;
        Ok(rubric)
    }

    /// Refuses a rubric that cannot be assessed or explained: levels other than exactly
    /// 1 to 5 in order, a level without criteria, repeated ids, unknown facts, bounds
    /// that do not fit the fact, empty words, fixes leading out of the portal.
    pub fn check(&self) -> Result<(), String> {
        self.check_levels()?;
        // Where each id was first used, to name both places when one repeats.
        let mut first_use: HashMap<&str, String> = HashMap::new();
        for (l, level) in self.levels.iter().enumerate() {
            for (c, criterion) in level.criteria.iter().enumerate() {
                let path = format!("levels[{l}].criteria[{c}]");
                criterion.check(&path)?;
                if let Some(earlier) = first_use.get(criterion.id.as_str()) {
                    return Err(format!(
                        "{path}.id: `{}` is already the id of {earlier}; give each criterion its own id",
                        criterion.id
                    ));
                }
                first_use.insert(&criterion.id, path);
            }
        }
        Ok(())
    }

    fn check_levels(&self) -> Result<(), String> {
        for (index, level) in self.levels.iter().enumerate() {
            let expected = index + 1;
            if usize::from(level.level) != expected {
                return Err(format!(
                    "levels[{index}].level: found {}, expected {expected}; list levels 1 to {LEVELS} in order, each once",
                    level.level
                ));
            }
            if level.name.trim().is_empty() {
                return Err(format!(
                    "levels[{index}].name: empty; name the level, e.g. \"Basic automation\""
                ));
            }
            // A level without criteria would be reached for free.
            if level.criteria.is_empty() {
                return Err(format!(
                    "levels[{index}].criteria: empty; give level {expected} at least one criterion"
                ));
            }
        }
        if self.levels.len() != LEVELS {
            return Err(format!(
                "levels: found {} levels, expected {LEVELS}; list levels 1 to {LEVELS} in order, each once",
                self.levels.len()
            ));
        }
        Ok(())
    }

    fn level_name(&self, level: u8) -> String {
        self.levels
            .iter()
            .find(|candidate| candidate.level == level)
            .map(|found| found.name.clone())
            .unwrap_or_default()
    }

    /// The level one service is at, with every criterion met and missing.
    pub fn assess(&self, facts: &Facts) -> Assessment {
        let mut met = Vec::new();
        let mut missing = Vec::new();
        // The highest level whose criteria, and every lower level's, are all met.
        let mut solid_through = 0;
        // The first level with a criterion missing: what the summary says stands next.
        let mut next = None;
        for level in &self.levels {
            let mut complete = true;
            for criterion in &level.criteria {
                let outcome = criterion.outcome(facts);
                let result = CriterionResult::new(level.level, criterion, &outcome);
                match outcome {
                    Outcome::Met => met.push(result),
                    Outcome::NotMet | Outcome::NoData => {
                        complete = false;
                        missing.push(result);
                    }
                }
            }
            if complete && next.is_none() {
                solid_through = level.level;
            } else if next.is_none() {
                next = Some(level.level);
            }
        }
        // Every service starts at level 1, even one that does not meet it yet.
        let level = solid_through.max(1);
        let level_name = self.level_name(level);
        let summary = summary(level, &level_name, next, &missing);
        Assessment {
            level,
            level_name,
            met,
            missing,
            summary,
        }
    }

    /// A team's level from its services' assessments (made with this rubric): the median
    /// level, services per level, and the criteria most often missing.
    pub fn team(&self, assessments: &[Assessment]) -> TeamAssessment {
        let level = median_level(assessments);
        let services_per_level = self
            .levels
            .iter()
            .map(|level| LevelCount {
                level: level.level,
                name: level.name.clone(),
                services: assessments
                    .iter()
                    .filter(|assessment| assessment.level == level.level)
                    .count(),
            })
            .collect();
        TeamAssessment {
            level,
            level_name: level.map(|level| self.level_name(level)),
            services: assessments.len(),
            services_per_level,
            most_missing: self.most_missing(assessments),
        }
    }

    /// Every criterion some service misses, most often missed first; ties keep rubric
    /// order, so the more basic criterion comes first.
    fn most_missing(&self, assessments: &[Assessment]) -> Vec<MissingCount> {
        let mut services_missing: HashMap<&str, usize> = HashMap::new();
        for assessment in assessments {
            for result in &assessment.missing {
                *services_missing.entry(result.id.as_str()).or_default() += 1;
            }
        }
        let mut counts: Vec<MissingCount> = Vec::new();
        for level in &self.levels {
            for criterion in &level.criteria {
                let services = services_missing
                    .get(criterion.id.as_str())
                    .copied()
                    .unwrap_or(0);
                if services > 0 {
                    counts.push(MissingCount {
                        level: level.level,
                        id: criterion.id.clone(),
                        title: criterion.title.clone(),
                        missing: criterion.missing.clone(),
                        fix: criterion.fix.clone(),
                        services,
                    });
                }
            }
        }
        // A stable sort, so equal counts stay in rubric order.
        counts.sort_by_key(|count| Reverse(count.services));
        counts
    }
}

/// "Level 2 (Infrastructure as code): for level 3, no canary or blue-green rollout, no SLO."
fn summary(level: u8, level_name: &str, next: Option<u8>, missing: &[CriterionResult]) -> String {
    let Some(next) = next else {
        return format!("Level {level} ({level_name}): every criterion met.");
    };
    let lacking: Vec<&str> = missing
        .iter()
        .filter(|result| result.level == next)
        .map(|result| result.missing.as_str())
        .collect();
    let goal = if next == 1 {
        "for a solid level 1".to_string()
    } else {
        format!("for level {next}")
    };
    format!(
        "Level {level} ({level_name}): {goal}, {}.",
        lacking.join(", ")
    )
}

/// The median of the services' levels, rounded down; `None` for a team without services.
fn median_level(assessments: &[Assessment]) -> Option<u8> {
    let mut levels: Vec<u8> = assessments
        .iter()
        .map(|assessment| assessment.level)
        .collect();
    levels.sort_unstable();
    let middle = levels.len() / 2;
    match levels.len() {
        0 => None,
        count if count % 2 == 1 => Some(levels[middle]),
        // Integer division rounds the mean of the two middle levels down.
        _ => Some((levels[middle - 1] + levels[middle]) / 2),
    }
}

/// Where one service stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The highest level whose criteria, and every lower level's, are all met; at least
    /// 1, where every service starts even with level-1 criteria missing.
    pub level: u8,
    pub level_name: String,
    /// Every criterion met, in rubric order.
    pub met: Vec<CriterionResult>,
    /// Every criterion not met, in rubric order, including those without data yet.
    pub missing: Vec<CriterionResult>,
    /// The sentence the page shows, e.g. "Level 2 (Infrastructure as code): for level 3,
    /// no canary or blue-green rollout, no SLO."
    pub summary: String,
}

/// One criterion as it applies to one service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    /// The level the criterion belongs to.
    pub level: u8,
    pub id: String,
    pub title: String,
    /// The rubric's words for it missing, followed by "(no data yet)" when `unknown`.
    pub missing: String,
    pub fix: Option<Fix>,
    /// The fact had no data, so the criterion counts as missing.
    pub unknown: bool,
}

impl CriterionResult {
    fn new(level: u8, criterion: &Criterion, outcome: &Outcome) -> CriterionResult {
        let unknown = matches!(outcome, Outcome::NoData);
        let missing = if unknown {
            format!("{} (no data yet)", criterion.missing)
        } else {
            criterion.missing.clone()
        };
        CriterionResult {
            level,
            id: criterion.id.clone(),
            title: criterion.title.clone(),
            missing,
            fix: criterion.fix.clone(),
            unknown,
        }
    }
}

/// Where a team stands, from its services.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamAssessment {
    /// The median of its services' levels, rounded down; `None` without services.
    pub level: Option<u8>,
    /// The name of `level`; `None` without services.
    pub level_name: Option<String>,
    pub services: usize,
    /// How many services are at each level, 1 to 5, levels without services included.
    pub services_per_level: Vec<LevelCount>,
    /// Every criterion at least one service misses, most often missed first, ties in
    /// rubric order.
    pub most_missing: Vec<MissingCount>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelCount {
    pub level: u8,
    pub name: String,
    pub services: usize,
}

/// A criterion and how many of a team's services miss it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MissingCount {
    pub level: u8,
    pub id: String,
    pub title: String,
    /// The rubric's words for it missing.
    pub missing: String,
    pub fix: Option<Fix>,
    pub services: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fact met: a service at level 5.
    fn mature() -> Facts {
        let mut facts = Facts::default();
        for fact in FACTS.iter().filter(|fact| fact.kind == FactKind::YesNo) {
            facts.set(fact.name, FactValue::Yes);
        }
        facts.set("deployments_per_day", FactValue::Number(3.0));
        facts.set("change_failure_rate", FactValue::Number(0.02));
        facts.set("lead_time_hours", FactValue::Number(4.0));
        facts
    }

    /// A mature service with the named yes/no facts set to no.
    fn mature_except(lacking: &[&str]) -> Facts {
        let mut facts = mature();
        for name in lacking {
            facts.set(name, FactValue::No);
        }
        facts
    }

    fn ids(results: &[CriterionResult]) -> Vec<&str> {
        results.iter().map(|result| result.id.as_str()).collect()
    }

    #[test]
    fn the_builtin_rubric_parses_and_passes_its_checks() {
        let text = include_str!("maturity.yaml");
        let rubric = Rubric::from_yaml(text).unwrap();
        assert_eq!(rubric, Rubric::builtin());
        let levels: Vec<u8> = rubric.levels.iter().map(|level| level.level).collect();
        assert_eq!(levels, [1, 2, 3, 4, 5]);
        assert_eq!(rubric.levels[0].name, "Basic automation");
        assert_eq!(rubric.levels[4].name, "Global platform");
    }

    #[test]
    fn the_builtin_rubric_reads_every_known_fact() {
        // The server works to fill each fact; one no criterion reads is wasted work.
        let rubric = Rubric::builtin();
        for fact in FACTS {
            let read = rubric
                .levels
                .iter()
                .flat_map(|level| &level.criteria)
                .any(|criterion| criterion.fact == fact.name);
            assert!(read, "no criterion reads `{}`", fact.name);
        }
    }

    #[test]
    fn a_service_with_nothing_is_level_1_with_level_1_missing() {
        let mut facts = Facts::default();
        for fact in FACTS.iter().filter(|fact| fact.kind == FactKind::YesNo) {
            facts.set(fact.name, FactValue::No);
        }
        let assessment = Rubric::builtin().assess(&facts);
        assert_eq!(assessment.level, 1);
        assert_eq!(assessment.level_name, "Basic automation");
        assert!(assessment.met.is_empty());
        assert_eq!(
            ids(&assessment.missing)[..3],
            ["owner", "repository", "ci_pipeline"]
        );
        assert_eq!(
            assessment.summary,
            "Level 1 (Basic automation): for a solid level 1, no owner in the catalog, \
             no GitHub repository named, no CI pipeline."
        );
    }

    #[test]
    fn levels_are_cumulative() {
        // Levels 1 and 3 are met in full, level 2 lacks one criterion: the service is
        // level 1, and level 3's criteria still show as met.
        let mut facts = mature_except(&["automated_tests", "gitops"]);
        facts.set("deployments_per_day", FactValue::Number(0.5));
        let assessment = Rubric::builtin().assess(&facts);
        assert_eq!(assessment.level, 1);
        assert!(ids(&assessment.met).contains(&"progressive_delivery"));
        assert_eq!(
            ids(&assessment.missing),
            ["automated_tests", "gitops", "deploys_daily"]
        );
        assert_eq!(
            assessment.summary,
            "Level 1 (Basic automation): for level 2, no automated tests before deploying."
        );
    }

    #[test]
    fn unknown_facts_count_as_missing_with_no_data_yet() {
        let mut facts = mature_except(&["progressive_delivery", "slos"]);
        facts.set("deployments_per_day", FactValue::Unknown);
        facts.0.remove("lead_time_hours");
        let assessment = Rubric::builtin().assess(&facts);
        assert_eq!(assessment.level, 1);
        let weekly = &assessment.missing[0];
        assert_eq!(weekly.id, "deploys_weekly");
        assert!(weekly.unknown);
        assert_eq!(
            weekly.missing,
            "no weekly production deployments (no data yet)"
        );
        let slos = assessment.missing.iter().find(|r| r.id == "slos").unwrap();
        assert!(!slos.unknown);
        assert_eq!(slos.missing, "no SLO");
        let lead_time = assessment.missing.last().unwrap();
        assert_eq!(
            (lead_time.id.as_str(), lead_time.unknown),
            ("lead_time_elite", true)
        );
        assert_eq!(
            assessment.summary,
            "Level 1 (Basic automation): for level 2, no weekly production deployments (no data yet)."
        );
    }

    #[test]
    fn a_service_at_level_2_is_told_what_level_3_needs() {
        let facts = mature_except(&["progressive_delivery", "slos"]);
        let assessment = Rubric::builtin().assess(&facts);
        assert_eq!(assessment.level, 2);
        assert_eq!(
            assessment.summary,
            "Level 2 (Infrastructure as code): for level 3, no canary or blue-green rollout, no SLO."
        );
    }

    #[test]
    fn numeric_bounds_are_inclusive() {
        let mut facts = mature();
        facts.set("change_failure_rate", FactValue::Number(0.15));
        facts.set("deployments_per_day", FactValue::Number(1.0));
        let assessment = Rubric::builtin().assess(&facts);
        assert_eq!(assessment.level, 4);
        assert_eq!(ids(&assessment.missing), ["change_failure_rate_elite"]);
    }

    #[test]
    fn a_fully_mature_service_is_level_5_with_nothing_missing() {
        let rubric = Rubric::builtin();
        let assessment = rubric.assess(&mature());
        assert_eq!(assessment.level, 5);
        assert_eq!(assessment.level_name, "Global platform");
        assert!(assessment.missing.is_empty());
        let criteria: usize = rubric.levels.iter().map(|level| level.criteria.len()).sum();
        assert_eq!(assessment.met.len(), criteria);
        assert_eq!(
            assessment.summary,
            "Level 5 (Global platform): every criterion met."
        );
    }

    /// A small valid rubric, one criterion a line, so a test can break one line.
    const VALID: &str = "\
levels:
  - {level: 1, name: One, criteria: [{id: owner, title: Has an owner, missing: no owner, fact: owner}]}
  - {level: 2, name: Two, criteria: [{id: iac, title: Uses Terraform, missing: no Terraform, fact: infrastructure_as_code}]}
  - {level: 3, name: Three, criteria: [{id: slos, title: Has SLOs, missing: no SLO, fact: slos}]}
  - {level: 4, name: Four, criteria: [{id: daily, title: Deploys daily, missing: no daily deploys, fact: deployments_per_day, at_least: 1}]}
  - {level: 5, name: Five, criteria: [{id: cfr, title: Rarely fails, missing: no low failure rate, fact: change_failure_rate, at_most: 0.05, fix: {text: See Insights, href: /insights}}]}
";

    fn error(from: &str, to: &str) -> String {
        assert!(VALID.contains(from), "VALID has no `{from}`");
        Rubric::from_yaml(&VALID.replace(from, to)).unwrap_err()
    }

    #[test]
    fn the_small_rubric_the_error_tests_break_is_valid() {
        let rubric = Rubric::from_yaml(VALID).unwrap();
        assert_eq!(rubric.levels[4].criteria[0].at_most, Some(0.05));
    }

    #[test]
    fn a_missing_level_is_refused_by_path() {
        let without_3 = VALID
            .lines()
            .filter(|line| !line.contains("level: 3"))
            .collect::<Vec<_>>()
            .join("\n");
        let message = Rubric::from_yaml(&without_3).unwrap_err();
        assert!(
            message.starts_with("levels[2].level: found 4, expected 3;"),
            "{message}"
        );

        let without_5 = VALID
            .lines()
            .filter(|line| !line.contains("level: 5"))
            .collect::<Vec<_>>()
            .join("\n");
        let message = Rubric::from_yaml(&without_5).unwrap_err();
        assert!(
            message.starts_with("levels: found 4 levels, expected 5;"),
            "{message}"
        );
    }

    #[test]
    fn an_unknown_fact_is_refused_by_path() {
        let message = error("fact: slos", "fact: slo");
        assert!(
            message
                .starts_with("levels[2].criteria[0].fact: unknown fact `slo`; use one of owner,"),
            "{message}"
        );
    }

    #[test]
    fn a_bound_on_a_yes_no_fact_is_refused_by_path() {
        let message = error("fact: slos}", "fact: slos, at_least: 1}");
        assert!(
            message.starts_with("levels[2].criteria[0].at_least: `slos` is a yes/no fact"),
            "{message}"
        );
    }

    #[test]
    fn a_number_without_a_bound_is_refused_by_path() {
        let message = error(", at_least: 1", "");
        assert!(
            message.starts_with("levels[3].criteria[0]: `deployments_per_day` is a number;"),
            "{message}"
        );
    }

    #[test]
    fn a_duplicate_id_is_refused_by_path() {
        let message = error("id: slos", "id: owner");
        assert!(
            message.starts_with(
                "levels[2].criteria[0].id: `owner` is already the id of levels[0].criteria[0];"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_fix_leading_out_of_the_portal_is_refused_by_path() {
        let message = error("href: /insights", "href: https://example.com");
        assert!(
            message.starts_with("levels[4].criteria[0].fix.href:"),
            "{message}"
        );
    }

    #[test]
    fn a_misspelt_key_is_refused_by_path() {
        let message = error("at_most: 0.05", "at_mots: 0.05");
        assert!(message.contains("levels[4].criteria[0]"), "{message}");
        assert!(message.contains("at_mots"), "{message}");
    }

    fn at_level(level: u8) -> Assessment {
        Assessment {
            level,
            level_name: String::new(),
            met: Vec::new(),
            missing: Vec::new(),
            summary: String::new(),
        }
    }

    #[test]
    fn a_team_is_at_the_median_of_its_services_rounded_down() {
        let rubric = Rubric::builtin();
        let levels = |services: &[u8]| {
            let assessments: Vec<Assessment> = services.iter().map(|&l| at_level(l)).collect();
            rubric.team(&assessments).level
        };
        assert_eq!(levels(&[5, 1, 3]), Some(3));
        assert_eq!(levels(&[5, 2, 1, 4]), Some(3));
        assert_eq!(levels(&[1, 2]), Some(1));
        assert_eq!(levels(&[]), None);

        let team = rubric.team(&[at_level(4), at_level(2), at_level(4)]);
        assert_eq!(team.level_name.as_deref(), Some("Self-service platform"));
        assert_eq!(team.services, 3);
        let per_level: Vec<usize> = team
            .services_per_level
            .iter()
            .map(|count| count.services)
            .collect();
        assert_eq!(per_level, [0, 1, 0, 2, 0]);
    }

    #[test]
    fn a_team_lists_the_most_often_missing_criteria_ties_in_rubric_order() {
        let rubric = Rubric::builtin();
        // The first service misses slos before any service misses progressive_delivery,
        // yet progressive_delivery comes first in the rubric, so first among equals.
        let services = [
            mature_except(&["slos", "gitops"]),
            mature_except(&["progressive_delivery", "slos", "owner"]),
            mature_except(&["progressive_delivery"]),
            mature(),
        ];
        let assessments: Vec<Assessment> =
            services.iter().map(|facts| rubric.assess(facts)).collect();
        let team = rubric.team(&assessments);
        let ranking: Vec<(&str, usize)> = team
            .most_missing
            .iter()
            .map(|count| (count.id.as_str(), count.services))
            .collect();
        assert_eq!(
            ranking,
            [
                ("progressive_delivery", 2),
                ("slos", 2),
                ("owner", 1),
                ("gitops", 1)
            ]
        );
        assert_eq!(team.most_missing[1].missing, "no SLO");
        // Levels 2, 1, 2 and 5: the median of 2 and 2.
        assert_eq!(team.level, Some(2));
    }
}
