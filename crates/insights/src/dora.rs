//! The DORA four keys — deployment frequency, change lead time, change failure rate and
//! failed deployment recovery time — over a window of time, with the performance tier of
//! each figure, the trend against the window before, and the weekly series the charts draw.
//!
//! Definitions follow DORA's 2024 "Accelerate State of DevOps" report. Only finished
//! production deployments are passed in; a deployment belongs to the window its
//! `finished_at` falls in. Everything is computed from one [`Index`] built per call, so a
//! history of half a million deployments takes well under a second.

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::chart::one_decimal;

const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
/// DORA's "month" in its answer ranges is thirty days.
const MONTH: i64 = 30 * DAY;

/// How a finished production deployment ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStatus {
    Succeeded,
    Failed,
    RolledBack,
}

/// A finished production deployment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: String,
    /// What the deployment is of: a component ref or a repository slug; recovery is
    /// followed per service.
    pub service: String,
    pub finished_at: DateTime<Utc>,
    pub status: DeploymentStatus,
    /// One entry per change (commit) this deployment shipped: seconds from the commit to
    /// `finished_at`. Empty when no commit is known.
    pub lead_times: Vec<i64>,
}

/// A production incident. Only incidents naming the deployment that caused them count
/// towards the four keys: one without `caused_by` cannot be charged to a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The deployment that caused it, when known (`Deployment::id`).
    pub caused_by: Option<String>,
    pub service: Option<String>,
}

/// Every deployment and incident known, in any order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub deployments: Vec<Deployment>,
    pub incidents: Vec<Incident>,
}

/// The time from `start` (included) to `end` (excluded).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    /// The `days` days up to `now`.
    pub fn last_days(now: DateTime<Utc>, days: u32) -> Window {
        Window {
            start: earlier(now, TimeDelta::days(i64::from(days))),
            end: now,
        }
    }

    /// The window of the same length just before this one, to compare with.
    pub fn previous(&self) -> Window {
        Window {
            start: earlier(self.start, self.end - self.start),
            end: self.start,
        }
    }

    /// The length in days, fractional when the window does not fall on whole days.
    pub fn days(&self) -> f64 {
        (self.end - self.start).num_seconds() as f64 / DAY as f64
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

/// `at - length`, or the earliest time chrono knows when that is before it: `days` comes
/// from a request, and a huge one must give an all-time window rather than a panic.
fn earlier(at: DateTime<Utc>, length: TimeDelta) -> DateTime<Utc> {
    at.checked_sub_signed(length)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// DORA's performance clusters, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Elite,
    High,
    Medium,
    Low,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::Elite => "elite",
            Tier::High => "high",
            Tier::Medium => "medium",
            Tier::Low => "low",
        }
    }
}

/// The bounds of the elite, high and medium tiers of one metric; anything beyond
/// `medium` is low. Whether a figure must reach a bound or stay under it depends on the
/// metric (see [`Thresholds`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    pub elite: f64,
    pub high: f64,
    pub medium: f64,
}

impl Bounds {
    /// For a figure where more is better: it must reach a bound.
    fn tier_at_least(&self, value: f64) -> Tier {
        if value >= self.elite {
            Tier::Elite
        } else if value >= self.high {
            Tier::High
        } else if value >= self.medium {
            Tier::Medium
        } else {
            Tier::Low
        }
    }

    /// For a duration: it must stay under a bound ("less than one day").
    fn tier_below(&self, value: f64) -> Tier {
        if value < self.elite {
            Tier::Elite
        } else if value < self.high {
            Tier::High
        } else if value < self.medium {
            Tier::Medium
        } else {
            Tier::Low
        }
    }

    /// For a rate: it may reach a bound ("at most 5 %").
    fn tier_at_most(&self, value: f64) -> Tier {
        if value <= self.elite {
            Tier::Elite
        } else if value <= self.high {
            Tier::High
        } else if value <= self.medium {
            Tier::Medium
        } else {
            Tier::Low
        }
    }

    /// Elite must be the strictest bound: the largest when more is better, the smallest
    /// otherwise. Equal bounds are allowed (a tier nobody can reach).
    fn check(&self, metric: &str, more_is_better: bool) -> Result<(), String> {
        let Bounds {
            elite,
            high,
            medium,
        } = *self;
        if [elite, high, medium]
            .iter()
            .any(|bound| !bound.is_finite() || *bound < 0.0)
        {
            return Err(format!(
                "{metric}: the bounds must be numbers of at least 0, found elite {elite}, high {high}, medium {medium}"
            ));
        }
        let (in_order, word) = if more_is_better {
            (elite >= high && high >= medium, "at least")
        } else {
            (elite <= high && high <= medium, "at most")
        };
        if !in_order {
            return Err(format!(
                "{metric}: elite ({elite}) must be {word} high ({high}), and high {word} medium ({medium}): elite is the strictest tier"
            ));
        }
        Ok(())
    }
}

/// Where each metric's tiers begin. The server reads them from its configuration, where a
/// metric left out keeps its default; [`Thresholds::default`] is DORA 2024:
///
/// - `deployment_frequency`, deployments a day, at least: elite 1 (on demand, daily or
///   more), high 1/7 (weekly), medium 1/30 (monthly), else low.
/// - `lead_time`, seconds, less than: elite one day, high one week, medium 30 days.
/// - `change_failure_rate`, a fraction, at most: elite 0.05, high 0.15, medium 0.30. The
///   2024 report gives each cluster's typical rate — elite 5 %, high 20 %, medium 10 %,
///   low 40 % — which are not in order, so they cannot be bounds as they stand; these
///   bounds keep elite's 5 %, put high halfway to the next typical rate, and medium
///   below low's 40 %.
/// - `recovery_time`, seconds, less than: elite one hour, high one day, medium one week.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    pub deployment_frequency: Bounds,
    pub lead_time: Bounds,
    pub change_failure_rate: Bounds,
    pub recovery_time: Bounds,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            deployment_frequency: Bounds {
                elite: 1.0,
                high: 1.0 / 7.0,
                medium: 1.0 / 30.0,
            },
            lead_time: Bounds {
                elite: DAY as f64,
                high: WEEK as f64,
                medium: MONTH as f64,
            },
            change_failure_rate: Bounds {
                elite: 0.05,
                high: 0.15,
                medium: 0.30,
            },
            recovery_time: Bounds {
                elite: HOUR as f64,
                high: DAY as f64,
                medium: WEEK as f64,
            },
        }
    }
}

impl Thresholds {
    /// Refuses bounds that are negative, not numbers, or out of order, naming the metric.
    pub fn check(&self) -> Result<(), String> {
        self.deployment_frequency
            .check("deployment_frequency", true)?;
        self.lead_time.check("lead_time", false)?;
        self.change_failure_rate
            .check("change_failure_rate", false)?;
        self.recovery_time.check("recovery_time", false)
    }
}

/// One of the four keys and its tier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub value: f64,
    pub tier: Tier,
}

/// The four keys over one window. A deployment that succeeded and later caused an
/// incident counts both as `successful` and as one of the `failed_changes`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FourKeys {
    pub deployments: usize,
    pub successful: usize,
    pub failed_changes: usize,
    /// Failed changes not recovered yet, left out of `recovery_time`.
    pub unrecovered: usize,
    /// Successful deployments a day; none at all is a figure too, and low.
    pub deployment_frequency: Figure,
    /// Median seconds from commit to production; `None` without a known commit.
    pub lead_time: Option<Figure>,
    /// The fraction of deployments that were failed changes; `None` without deployments.
    pub change_failure_rate: Option<Figure>,
    /// Median seconds to recover from a failed change; `None` without a recovered one.
    pub recovery_time: Option<Figure>,
}

/// How a figure moved since the previous window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Better,
    Worse,
    /// Within 5 % of the previous figure.
    Same,
    /// No figure in the previous window to compare with.
    New,
    /// A figure in the previous window but none in this one (say, no deployment this
    /// time, so no lead time).
    Gone,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trends {
    pub deployment_frequency: Trend,
    pub lead_time: Trend,
    pub change_failure_rate: Trend,
    pub recovery_time: Trend,
}

/// The four keys of the last days, beside those of the same number of days before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub window: Window,
    pub current: FourKeys,
    pub previous: FourKeys,
    pub trends: Trends,
}

/// One ISO week (from Monday 00:00 UTC) of a window, for the charts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Week {
    pub start: DateTime<Utc>,
    /// Deployments that succeeded and are not failed changes, so that `succeeded +
    /// failed` is every deployment of the week, as a stacked bar shows them.
    pub succeeded: usize,
    /// Failed changes.
    pub failed: usize,
    pub median_lead_time: Option<i64>,
    pub median_recovery_time: Option<i64>,
}

/// How many lead times fall in one range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub label: &'static str,
    pub count: usize,
}

/// The four keys of the deployments that finished in `window`.
pub fn four_keys(history: &History, window: &Window, thresholds: &Thresholds) -> FourKeys {
    let index = Index::new(history);
    tally(history, window, &index).four_keys(window, thresholds)
}

/// The four keys of the `days` days up to `now` and of the `days` days before, and how
/// each moved.
pub fn report(history: &History, now: DateTime<Utc>, days: u32, thresholds: &Thresholds) -> Report {
    let window = Window::last_days(now, days);
    let previous_window = window.previous();
    let index = Index::new(history);
    let current = tally(history, &window, &index).four_keys(&window, thresholds);
    let previous = tally(history, &previous_window, &index).four_keys(&previous_window, thresholds);
    let trends = Trends {
        deployment_frequency: trend(
            Some(current.deployment_frequency.value),
            Some(previous.deployment_frequency.value),
            true,
        ),
        lead_time: trend(value(&current.lead_time), value(&previous.lead_time), false),
        change_failure_rate: trend(
            value(&current.change_failure_rate),
            value(&previous.change_failure_rate),
            false,
        ),
        recovery_time: trend(
            value(&current.recovery_time),
            value(&previous.recovery_time),
            false,
        ),
    };
    Report {
        window,
        current,
        previous,
        trends,
    }
}

fn value(figure: &Option<Figure>) -> Option<f64> {
    figure.as_ref().map(|figure| figure.value)
}

/// A change of at most 5 % of the previous figure is `Same`: week-to-week noise should
/// not paint an arrow. A previous figure of 0 is the same only as 0.
fn trend(current: Option<f64>, previous: Option<f64>, more_is_better: bool) -> Trend {
    let Some(previous) = previous else {
        return Trend::New;
    };
    let Some(current) = current else {
        return Trend::Gone;
    };
    if (current - previous).abs() <= 0.05 * previous.abs() {
        Trend::Same
    } else if (current > previous) == more_is_better {
        Trend::Better
    } else {
        Trend::Worse
    }
}

/// The window's deployments week by week, oldest first: every ISO week the window
/// touches is there, even without deployments, so a chart's x axis is even. The first and
/// last weeks count only their days inside the window. The caller bounds the window: a
/// week takes memory even when empty.
pub fn weeks(history: &History, window: &Window) -> Vec<Week> {
    let first_monday = monday_on_or_before(window.start);
    let count = if window.end > first_monday {
        ((window.end - first_monday).num_seconds() + WEEK - 1) / WEEK
    } else {
        0
    };
    let index = Index::new(history);
    let mut tallies: Vec<Tally> = (0..count).map(|_| Tally::default()).collect();
    for deployment in in_window(history, window) {
        let week = (deployment.finished_at - first_monday).num_seconds() / WEEK;
        tallies[week as usize].add(deployment, &index);
    }
    tallies
        .into_iter()
        .enumerate()
        .map(|(week, mut tally)| Week {
            start: first_monday + TimeDelta::weeks(week as i64),
            succeeded: tally.successful - tally.successful_failed_changes,
            failed: tally.failed_changes,
            median_lead_time: median(&mut tally.lead_times).map(|m| m.round() as i64),
            median_recovery_time: median(&mut tally.recovery_times).map(|m| m.round() as i64),
        })
        .collect()
}

fn monday_on_or_before(at: DateTime<Utc>) -> DateTime<Utc> {
    let days_since_monday = at.weekday().num_days_from_monday();
    let midnight = at
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    earlier(midnight, TimeDelta::days(i64::from(days_since_monday)))
}

/// The upper bound (excluded) of each lead-time bucket but the last, with its label. A
/// lead time on a bound belongs to the longer bucket: exactly one hour is "1 hour – 1 day".
const LEAD_TIME_BUCKETS: [(&str, i64); 4] = [
    ("< 1 hour", HOUR),
    ("1 hour – 1 day", DAY),
    ("1 day – 1 week", WEEK),
    ("1 week – 1 month", MONTH),
];
const LONGEST_BUCKET: &str = "> 1 month";

/// Lead times of successful deployments in the window in buckets: "< 1 hour", "1 hour –
/// 1 day", "1 day – 1 week", "1 week – 1 month", "> 1 month" (a month is 30 days).
pub fn lead_time_distribution(history: &History, window: &Window) -> Vec<Bucket> {
    let mut counts = [0; LEAD_TIME_BUCKETS.len() + 1];
    for deployment in in_window(history, window) {
        if deployment.status != DeploymentStatus::Succeeded {
            continue;
        }
        for lead_time in &deployment.lead_times {
            let bucket = LEAD_TIME_BUCKETS.partition_point(|(_, upper)| *upper <= *lead_time);
            counts[bucket] += 1;
        }
    }
    let labels = LEAD_TIME_BUCKETS
        .iter()
        .map(|(label, _)| *label)
        .chain([LONGEST_BUCKET]);
    labels
        .zip(counts)
        .map(|(label, count)| Bucket { label, count })
        .collect()
}

/// A duration for people: "45 s", "12 min", "3.5 h", "2.1 days".
pub fn human_duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let seconds = seconds.unsigned_abs();
    if seconds < 60 {
        return format!("{sign}{seconds} s");
    }
    // Each unit is rounded before choosing the next, so 59 min 50 s reads "1 h", not
    // "60 min".
    let minutes = (seconds as f64 / 60.0).round();
    if minutes < 60.0 {
        return format!("{sign}{minutes} min");
    }
    let hours = one_decimal(seconds as f64 / HOUR as f64);
    if hours.parse::<f64>().is_ok_and(|hours| hours < 24.0) {
        return format!("{sign}{hours} h");
    }
    let days = one_decimal(seconds as f64 / DAY as f64);
    let unit = if days == "1" { "day" } else { "days" };
    format!("{sign}{days} {unit}")
}

/// A deployment frequency for people: "4.2 a day", "3 a week", "1 a month", "none".
pub fn per_day_phrase(per_day: f64) -> String {
    if !per_day.is_finite() || per_day <= 0.0 {
        return "none".to_string();
    }
    if per_day >= 1.0 {
        return format!("{} a day", one_decimal(per_day));
    }
    let per_week = per_day * 7.0;
    if per_week >= 1.0 {
        return format!("{} a week", one_decimal(per_week));
    }
    let per_month = per_day * 30.0;
    if per_month < 0.05 {
        // Rounding would print "0 a month", which reads as none.
        return "less than 0.1 a month".to_string();
    }
    format!("{} a month", one_decimal(per_month))
}

/// The middle value, or the mean of the two middle ones; `None` when there are none.
/// Sorts `values`.
fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        Some(values[middle] as f64)
    } else {
        // In f64, as two large i64 could overflow when added.
        Some((values[middle - 1] as f64 + values[middle] as f64) / 2.0)
    }
}

fn in_window<'a>(history: &'a History, window: &Window) -> impl Iterator<Item = &'a Deployment> {
    history
        .deployments
        .iter()
        .filter(move |deployment| window.contains(deployment.finished_at))
}

fn tally(history: &History, window: &Window, index: &Index) -> Tally {
    let mut tally = Tally::default();
    for deployment in in_window(history, window) {
        tally.add(deployment, index);
    }
    tally
}

/// What the four keys look up about each deployment, built once per call so that each
/// look-up is a hash or a binary search rather than a scan of the history.
struct Index<'a> {
    /// Per deployment id that an incident names in `caused_by`, those incidents.
    caused: HashMap<&'a str, CausedIncidents>,
    /// Per service, when its successful deployments finished, oldest first.
    successes: HashMap<&'a str, Vec<DateTime<Utc>>>,
}

/// The incidents one deployment caused.
#[derive(Clone, Copy, Default)]
struct CausedIncidents {
    /// The longest time from opening to resolution among the resolved ones, in seconds.
    longest: i64,
    /// One of them is still open, so the failure has not recovered yet.
    open: bool,
}

impl<'a> Index<'a> {
    fn new(history: &'a History) -> Self {
        let mut caused: HashMap<&str, CausedIncidents> = HashMap::new();
        for incident in &history.incidents {
            let Some(deployment) = incident.caused_by.as_deref() else {
                continue;
            };
            let entry = caused.entry(deployment).or_default();
            match incident.resolved_at {
                Some(resolved_at) => {
                    entry.longest = entry
                        .longest
                        .max(seconds_between(incident.opened_at, resolved_at))
                }
                None => entry.open = true,
            }
        }
        let mut successes: HashMap<&str, Vec<DateTime<Utc>>> = HashMap::new();
        for deployment in &history.deployments {
            if deployment.status == DeploymentStatus::Succeeded {
                successes
                    .entry(&deployment.service)
                    .or_default()
                    .push(deployment.finished_at);
            }
        }
        for finished in successes.values_mut() {
            finished.sort_unstable();
        }
        Index { caused, successes }
    }

    fn is_failed_change(&self, deployment: &Deployment) -> bool {
        deployment.status != DeploymentStatus::Succeeded
            || self.caused.contains_key(deployment.id.as_str())
    }

    /// Seconds until a failed change recovered, `None` while it has not. The incidents it
    /// caused say when they were resolved; without one, the service recovered when it next
    /// deployed successfully, whenever that was.
    fn recovery_time(&self, failed: &Deployment) -> Option<i64> {
        if let Some(incidents) = self.caused.get(failed.id.as_str()) {
            return (!incidents.open).then_some(incidents.longest);
        }
        let successes = self.successes.get(failed.service.as_str())?;
        let next = successes.partition_point(|finished| *finished <= failed.finished_at);
        successes
            .get(next)
            .map(|recovered| seconds_between(failed.finished_at, *recovered))
    }
}

/// Never negative: an incident tracker's clock may disagree with the deployer's.
fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_seconds().max(0)
}

/// The counts and samples of some deployments, before medians and tiers.
#[derive(Default)]
struct Tally {
    deployments: usize,
    successful: usize,
    failed_changes: usize,
    /// Failed changes whose deployment itself succeeded (an incident names them).
    successful_failed_changes: usize,
    unrecovered: usize,
    lead_times: Vec<i64>,
    recovery_times: Vec<i64>,
}

impl Tally {
    fn add(&mut self, deployment: &Deployment, index: &Index) {
        self.deployments += 1;
        let succeeded = deployment.status == DeploymentStatus::Succeeded;
        if succeeded {
            self.successful += 1;
            self.lead_times.extend_from_slice(&deployment.lead_times);
        }
        if index.is_failed_change(deployment) {
            self.failed_changes += 1;
            if succeeded {
                self.successful_failed_changes += 1;
            }
            match index.recovery_time(deployment) {
                Some(seconds) => self.recovery_times.push(seconds),
                None => self.unrecovered += 1,
            }
        }
    }

    fn four_keys(mut self, window: &Window, thresholds: &Thresholds) -> FourKeys {
        // A zero-length window has no frequency to speak of; dividing would give NaN.
        let per_day = if window.days() > 0.0 {
            self.successful as f64 / window.days()
        } else {
            0.0
        };
        let change_failure_rate =
            (self.deployments > 0).then(|| self.failed_changes as f64 / self.deployments as f64);
        FourKeys {
            deployments: self.deployments,
            successful: self.successful,
            failed_changes: self.failed_changes,
            unrecovered: self.unrecovered,
            deployment_frequency: Figure {
                value: per_day,
                tier: thresholds.deployment_frequency.tier_at_least(per_day),
            },
            lead_time: median(&mut self.lead_times).map(|seconds| Figure {
                value: seconds,
                tier: thresholds.lead_time.tier_below(seconds),
            }),
            change_failure_rate: change_failure_rate.map(|rate| Figure {
                value: rate,
                tier: thresholds.change_failure_rate.tier_at_most(rate),
            }),
            recovery_time: median(&mut self.recovery_times).map(|seconds| Figure {
                value: seconds,
                tier: thresholds.recovery_time.tier_below(seconds),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// 2024-03-`day` at `hour`:`minute` UTC. March 2024 began on a Friday, so the 4th,
    /// 11th and 18th are Mondays.
    fn march(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, day, hour, minute, 0).unwrap()
    }

    fn deployment(
        id: &str,
        service: &str,
        finished_at: DateTime<Utc>,
        status: DeploymentStatus,
        lead_times: &[i64],
    ) -> Deployment {
        Deployment {
            id: id.to_string(),
            service: service.to_string(),
            finished_at,
            status,
            lead_times: lead_times.to_vec(),
        }
    }

    fn succeeded(id: &str, service: &str, at: DateTime<Utc>, lead_times: &[i64]) -> Deployment {
        deployment(id, service, at, DeploymentStatus::Succeeded, lead_times)
    }

    fn incident(
        opened_at: DateTime<Utc>,
        resolved_at: Option<DateTime<Utc>>,
        caused_by: Option<&str>,
    ) -> Incident {
        Incident {
            opened_at,
            resolved_at,
            caused_by: caused_by.map(str::to_string),
            service: None,
        }
    }

    fn figure(value: f64, tier: Tier) -> Option<Figure> {
        Some(Figure { value, tier })
    }

    /// The week of 2024-03-08 00:00 to 2024-03-15 00:00: three services, ten deployments,
    /// two failed changes, plus one deployment on each side of the window.
    fn hand_worked() -> History {
        use DeploymentStatus::*;
        let h = HOUR;
        let d = DAY;
        History {
            deployments: vec![
                // Just before the window: not counted.
                deployment("api-0", "api", march(7, 23, 59), Failed, &[60]),
                // On the window's start: counted.
                succeeded("api-1", "api", march(8, 0, 0), &[d, 3 * d]),
                succeeded("web-1", "web", march(8, 12, 0), &[2 * h]),
                // Rolled back: its lead time is not counted; api-3 recovers it 2 h later.
                deployment("api-2", "api", march(9, 9, 0), RolledBack, &[600]),
                succeeded("api-3", "api", march(9, 11, 0), &[2 * d]),
                // Caused the incident below, resolved 90 minutes after it opened.
                succeeded("worker-1", "worker", march(10, 8, 0), &[4 * d]),
                succeeded("web-2", "web", march(11, 15, 0), &[h, 5 * h, 30 * h]),
                succeeded("worker-2", "worker", march(12, 10, 0), &[]),
                succeeded("api-4", "api", march(13, 9, 0), &[6 * d]),
                succeeded("web-3", "web", march(14, 16, 0), &[40 * d]),
                succeeded("worker-3", "worker", march(14, 23, 0), &[36 * h]),
                // On the window's end: not counted.
                succeeded("web-4", "web", march(15, 0, 0), &[60]),
            ],
            incidents: vec![
                incident(march(10, 9, 0), Some(march(10, 10, 30)), Some("worker-1")),
                // Nobody knows which change caused this one: it changes nothing.
                incident(march(12, 9, 0), Some(march(12, 20, 0)), None),
            ],
        }
    }

    #[test]
    fn the_hand_worked_week_gives_every_figure_and_tier() {
        let window = Window::last_days(march(15, 0, 0), 7);
        assert_eq!(window.start, march(8, 0, 0));
        let keys = four_keys(&hand_worked(), &window, &Thresholds::default());

        // api-1 … worker-3: ten deployments; all but api-2 succeeded.
        assert_eq!(keys.deployments, 10);
        assert_eq!(keys.successful, 9);
        // 9 successful deployments in 7 days: 1.29 a day, at least 1 → elite.
        assert_eq!(
            keys.deployment_frequency,
            Figure {
                value: 9.0 / 7.0,
                tier: Tier::Elite
            }
        );
        // The lead times of the successful deployments, in hours:
        //   api-1 24, 72 · web-1 2 · api-3 48 · worker-1 96 · web-2 1, 5, 30
        //   worker-2 none · api-4 144 · web-3 960 · worker-3 36
        // Sorted: 1 2 5 24 30 [36] 48 72 96 144 960 — eleven, the sixth is 36 h = 129,600 s:
        // at least a day, under a week → high.
        assert_eq!(keys.lead_time, figure(129_600.0, Tier::High));
        // Failed changes: api-2 (rolled back) and worker-1 (caused an incident): 2 of 10 =
        // 0.2, above 0.15, at most 0.30 → medium.
        assert_eq!(keys.failed_changes, 2);
        assert_eq!(keys.change_failure_rate, figure(0.2, Tier::Medium));
        // Recovery: api-2 09:00 → api-3 11:00 = 7,200 s; worker-1's incident 09:00 → 10:30
        // = 5,400 s. Median of two: 6,300 s (1 h 45 min): at least an hour, under a day → high.
        assert_eq!(keys.unrecovered, 0);
        assert_eq!(keys.recovery_time, figure(6_300.0, Tier::High));
    }

    #[test]
    fn the_hand_worked_week_in_weeks_and_buckets() {
        let window = Window::last_days(march(15, 0, 0), 7);
        let weeks = weeks(&hand_worked(), &window);
        // Friday 8th to Thursday 14th: the weeks of Monday 4th and Monday 11th.
        assert_eq!(
            weeks,
            vec![
                Week {
                    start: march(4, 0, 0),
                    // api-1, web-1, api-3 succeeded; api-2 and worker-1 are failed changes.
                    succeeded: 3,
                    failed: 2,
                    // api-1 24 h, 72 h · web-1 2 h · api-3 48 h · worker-1 96 h → 48 h.
                    median_lead_time: Some(48 * HOUR),
                    median_recovery_time: Some(6_300),
                },
                Week {
                    start: march(11, 0, 0),
                    succeeded: 5,
                    failed: 0,
                    // 1 5 [30 36] 144 960 hours → (30 + 36) / 2 = 33 h.
                    median_lead_time: Some(33 * HOUR),
                    median_recovery_time: None,
                },
            ]
        );

        // Exactly one hour (web-2) is in the second bucket.
        let buckets = lead_time_distribution(&hand_worked(), &window);
        let counts: Vec<(&str, usize)> = buckets.iter().map(|b| (b.label, b.count)).collect();
        assert_eq!(
            counts,
            [
                ("< 1 hour", 0),
                ("1 hour – 1 day", 3), // 1, 2, 5 h
                ("1 day – 1 week", 7), // 24, 30, 36, 48, 72, 96, 144 h
                ("1 week – 1 month", 0),
                ("> 1 month", 1), // 40 days
            ]
        );
    }

    #[test]
    fn the_report_compares_with_the_week_before() {
        use DeploymentStatus::*;
        let history = History {
            deployments: vec![
                // Previous week, 1–8 March: 3 successes in 4 deployments, lead times 1 h,
                // and batch failed without ever recovering.
                succeeded("p1", "api", march(1, 10, 0), &[HOUR]),
                succeeded("p2", "api", march(2, 10, 0), &[HOUR]),
                succeeded("p3", "web", march(3, 10, 0), &[HOUR]),
                deployment("p4", "batch", march(4, 10, 0), Failed, &[]),
                // This week: 6 successes in 8 deployments, lead times 2 h, two failures
                // recovered in 1 h and 2 h.
                succeeded("c1", "api", march(8, 10, 0), &[2 * HOUR]),
                succeeded("c2", "api", march(9, 10, 0), &[2 * HOUR]),
                succeeded("c3", "api", march(10, 10, 0), &[2 * HOUR]),
                succeeded("c4", "api", march(11, 10, 0), &[2 * HOUR]),
                deployment("c5", "api", march(13, 10, 0), Failed, &[]),
                succeeded("c6", "api", march(13, 11, 0), &[2 * HOUR]),
                deployment("c7", "web", march(14, 10, 0), RolledBack, &[]),
                succeeded("c8", "web", march(14, 12, 0), &[2 * HOUR]),
            ],
            incidents: vec![],
        };
        let report = report(&history, march(15, 0, 0), 7, &Thresholds::default());
        assert_eq!(
            report.window,
            Window {
                start: march(8, 0, 0),
                end: march(15, 0, 0)
            }
        );
        assert_eq!(report.previous.deployment_frequency.value, 3.0 / 7.0);
        assert_eq!(report.previous.unrecovered, 1);
        assert_eq!(report.previous.recovery_time, None);
        assert_eq!(report.current.deployment_frequency.value, 6.0 / 7.0);
        assert_eq!(report.current.recovery_time, figure(5_400.0, Tier::High));
        assert_eq!(
            report.trends,
            Trends {
                // 6 a week instead of 3.
                deployment_frequency: Trend::Better,
                // 2 h instead of 1 h.
                lead_time: Trend::Worse,
                // 2/8 and 1/4.
                change_failure_rate: Trend::Same,
                // Nothing recovered the week before.
                recovery_time: Trend::New,
            }
        );
    }

    #[test]
    fn a_trend_within_five_percent_is_the_same() {
        assert_eq!(trend(Some(105.0), Some(100.0), true), Trend::Same);
        assert_eq!(trend(Some(95.0), Some(100.0), true), Trend::Same);
        assert_eq!(trend(Some(106.0), Some(100.0), true), Trend::Better);
        assert_eq!(trend(Some(106.0), Some(100.0), false), Trend::Worse);
        assert_eq!(trend(Some(94.0), Some(100.0), false), Trend::Better);
        assert_eq!(trend(Some(0.0), Some(0.0), true), Trend::Same);
        assert_eq!(trend(Some(0.1), Some(0.0), true), Trend::Better);
        assert_eq!(trend(Some(1.0), None, true), Trend::New);
        assert_eq!(trend(None, Some(1.0), false), Trend::Gone);
    }

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7]), Some(7.0));
        assert_eq!(median(&mut [9, 1, 5]), Some(5.0));
        assert_eq!(median(&mut [9, 1, 4, 5]), Some(4.5));
        assert_eq!(median(&mut [i64::MAX, i64::MAX]), Some(i64::MAX as f64));
    }

    #[test]
    fn a_failure_without_recovery_is_counted_but_left_out_of_the_median() {
        use DeploymentStatus::*;
        let window = Window::last_days(march(15, 0, 0), 7);
        let history = History {
            deployments: vec![
                // batch never succeeds again: unrecovered. Its success at the same second
                // (another region, say) is not after it.
                deployment("b1", "batch", march(9, 0, 0), Failed, &[]),
                succeeded("b0", "batch", march(9, 0, 0), &[]),
                // api succeeds again only after the window: recovered, in 6 days.
                deployment("a1", "api", march(10, 0, 0), Failed, &[]),
                succeeded("a2", "api", march(16, 0, 0), &[]),
                // web succeeds again 1 h later, but the incident it caused is still open.
                succeeded("w1", "web", march(11, 0, 0), &[]),
                succeeded("w2", "web", march(11, 1, 0), &[]),
            ],
            incidents: vec![incident(march(11, 0, 30), None, Some("w1"))],
        };
        let keys = four_keys(&history, &window, &Thresholds::default());
        assert_eq!(keys.deployments, 5);
        assert_eq!(keys.failed_changes, 3);
        assert_eq!(keys.unrecovered, 2);
        // Six days: under a week → medium.
        assert_eq!(keys.recovery_time, figure(6.0 * DAY as f64, Tier::Medium));
    }

    #[test]
    fn the_longest_resolved_incident_is_the_recovery_time() {
        let window = Window::last_days(march(15, 0, 0), 7);
        let history = History {
            deployments: vec![
                succeeded("w1", "web", march(11, 0, 0), &[]),
                succeeded("w2", "web", march(11, 0, 10), &[]),
            ],
            incidents: vec![
                incident(march(11, 1, 0), Some(march(11, 1, 20)), Some("w1")),
                incident(march(11, 2, 0), Some(march(11, 3, 0)), Some("w1")),
            ],
        };
        let keys = four_keys(&history, &window, &Thresholds::default());
        // Not the 10 minutes to w2, nor the first incident's 20 minutes.
        assert_eq!(keys.recovery_time, figure(HOUR as f64, Tier::High));
    }

    #[test]
    fn incidents_without_a_cause_change_no_figure() {
        let window = Window::last_days(march(15, 0, 0), 7);
        let mut history = History {
            deployments: vec![
                succeeded("a1", "api", march(9, 0, 0), &[HOUR]),
                succeeded("a2", "api", march(10, 0, 0), &[HOUR]),
            ],
            incidents: vec![],
        };
        let before = four_keys(&history, &window, &Thresholds::default());
        let mut unattributed = incident(march(9, 1, 0), Some(march(9, 5, 0)), None);
        unattributed.service = Some("api".to_string());
        history.incidents = vec![unattributed, incident(march(12, 0, 0), None, None)];
        let after = four_keys(&history, &window, &Thresholds::default());
        assert_eq!(after, before);
        assert_eq!(after.change_failure_rate, figure(0.0, Tier::Elite));
        assert_eq!(after.recovery_time, None);
    }

    #[test]
    fn an_empty_history_has_a_low_frequency_and_no_other_figure() {
        let window = Window::last_days(march(15, 0, 0), 30);
        let keys = four_keys(&History::default(), &window, &Thresholds::default());
        assert_eq!(
            keys,
            FourKeys {
                deployments: 0,
                successful: 0,
                failed_changes: 0,
                unrecovered: 0,
                deployment_frequency: Figure {
                    value: 0.0,
                    tier: Tier::Low
                },
                lead_time: None,
                change_failure_rate: None,
                recovery_time: None,
            }
        );
        let zero_days = Window::last_days(march(15, 0, 0), 0);
        let keys = four_keys(&History::default(), &zero_days, &Thresholds::default());
        assert_eq!(keys.deployment_frequency.value, 0.0);
    }

    #[test]
    fn tiers_include_their_bound_as_dora_words_it() {
        let t = Thresholds::default();
        assert_eq!(t.deployment_frequency.tier_at_least(1.0), Tier::Elite);
        assert_eq!(t.deployment_frequency.tier_at_least(0.99), Tier::High);
        assert_eq!(
            t.deployment_frequency.tier_at_least(1.0 / 30.0),
            Tier::Medium
        );
        assert_eq!(t.deployment_frequency.tier_at_least(0.03), Tier::Low);
        // "Less than one day": a day is high.
        assert_eq!(t.lead_time.tier_below(DAY as f64 - 1.0), Tier::Elite);
        assert_eq!(t.lead_time.tier_below(DAY as f64), Tier::High);
        assert_eq!(t.lead_time.tier_below(MONTH as f64), Tier::Low);
        // "At most 5 %": 5 % is elite.
        assert_eq!(t.change_failure_rate.tier_at_most(0.05), Tier::Elite);
        assert_eq!(t.change_failure_rate.tier_at_most(0.15), Tier::High);
        assert_eq!(t.change_failure_rate.tier_at_most(0.3), Tier::Medium);
        assert_eq!(t.change_failure_rate.tier_at_most(0.31), Tier::Low);
        assert_eq!(t.recovery_time.tier_below(WEEK as f64 - 1.0), Tier::Medium);
        assert_eq!(Tier::Medium.name(), "medium");
    }

    #[test]
    fn thresholds_out_of_order_are_refused_naming_the_metric() {
        assert_eq!(Thresholds::default().check(), Ok(()));

        let mut frequency = Thresholds::default();
        frequency.deployment_frequency.elite = 0.1; // below high's 1/7
        let error = frequency.check().unwrap_err();
        assert!(
            error.starts_with("deployment_frequency: elite (0.1) must be at least high"),
            "{error}"
        );

        let mut lead_time = Thresholds::default();
        lead_time.lead_time.high = 2.0 * MONTH as f64; // beyond medium
        let error = lead_time.check().unwrap_err();
        assert!(error.starts_with("lead_time: "), "{error}");

        let mut recovery = Thresholds::default();
        recovery.recovery_time.medium = f64::NAN;
        let error = recovery.check().unwrap_err();
        assert!(
            error.starts_with("recovery_time: the bounds must be numbers"),
            "{error}"
        );

        let mut rate = Thresholds::default();
        rate.change_failure_rate.elite = -0.1;
        assert!(
            rate.check()
                .unwrap_err()
                .starts_with("change_failure_rate: ")
        );
    }

    #[test]
    fn thresholds_read_from_configuration_keep_defaults_and_refuse_typos() {
        let read: Thresholds = serde_json::from_str(
            r#"{"lead_time": {"elite": 3600, "high": 86400, "medium": 604800}}"#,
        )
        .unwrap();
        assert_eq!(read.lead_time.elite, 3600.0);
        assert_eq!(read.recovery_time, Thresholds::default().recovery_time);

        let typo = serde_json::from_str::<Thresholds>(r#"{"lead_times": {}}"#);
        assert!(typo.unwrap_err().to_string().contains("lead_times"));
        let typo = serde_json::from_str::<Thresholds>(
            r#"{"lead_time": {"elite": 1, "high": 2, "medium": 3, "low": 4}}"#,
        );
        assert!(typo.unwrap_err().to_string().contains("low"));
    }

    #[test]
    fn weeks_keep_an_empty_week_in_the_middle() {
        // Monday 4th to Monday 25th: three whole weeks, the middle one without deployments.
        let window = Window {
            start: march(4, 0, 0),
            end: march(25, 0, 0),
        };
        let history = History {
            deployments: vec![
                succeeded("a1", "api", march(5, 0, 0), &[100, 300]),
                succeeded("a2", "api", march(24, 23, 59), &[7]),
            ],
            incidents: vec![],
        };
        let weeks = weeks(&history, &window);
        let starts: Vec<_> = weeks.iter().map(|week| week.start).collect();
        assert_eq!(starts, [march(4, 0, 0), march(11, 0, 0), march(18, 0, 0)]);
        assert_eq!(weeks[0].succeeded, 1);
        assert_eq!(weeks[0].median_lead_time, Some(200));
        assert_eq!(
            weeks[1],
            Week {
                start: march(11, 0, 0),
                succeeded: 0,
                failed: 0,
                median_lead_time: None,
                median_recovery_time: None
            }
        );
        assert_eq!(weeks[2].median_lead_time, Some(7));
    }

    #[test]
    fn a_window_starting_midweek_begins_on_its_monday() {
        // Wednesday 6th 15:00 to Tuesday 12th: the weeks of the 4th and the 11th.
        let window = Window {
            start: march(6, 15, 0),
            end: march(12, 0, 0),
        };
        let starts: Vec<_> = weeks(&History::default(), &window)
            .iter()
            .map(|week| week.start)
            .collect();
        assert_eq!(starts, [march(4, 0, 0), march(11, 0, 0)]);
    }

    #[test]
    fn lead_times_on_a_bucket_edge_go_to_the_longer_bucket() {
        let window = Window::last_days(march(15, 0, 0), 7);
        let edges = [
            HOUR - 1,
            HOUR,
            DAY - 1,
            DAY,
            WEEK - 1,
            WEEK,
            MONTH - 1,
            MONTH,
        ];
        let history = History {
            deployments: vec![
                succeeded("a1", "api", march(10, 0, 0), &edges),
                // A failed deployment's lead times are not counted.
                deployment("a2", "api", march(10, 1, 0), DeploymentStatus::Failed, &[0]),
            ],
            incidents: vec![],
        };
        let counts: Vec<usize> = lead_time_distribution(&history, &window)
            .iter()
            .map(|bucket| bucket.count)
            .collect();
        assert_eq!(counts, [1, 2, 2, 2, 1]);
    }

    #[test]
    fn durations_and_frequencies_read_as_people_say_them() {
        assert_eq!(human_duration(45), "45 s");
        assert_eq!(human_duration(12 * 60 + 10), "12 min");
        assert_eq!(human_duration(3_590), "1 h");
        assert_eq!(human_duration(3 * HOUR + 30 * 60), "3.5 h");
        assert_eq!(human_duration(DAY - 60), "1 day");
        assert_eq!(human_duration(2 * DAY + 2 * HOUR + 30 * 60), "2.1 days");
        assert_eq!(human_duration(-90), "-2 min");

        assert_eq!(per_day_phrase(4.2), "4.2 a day");
        assert_eq!(per_day_phrase(3.0 / 7.0), "3 a week");
        assert_eq!(per_day_phrase(1.0 / 30.0), "1 a month");
        assert_eq!(per_day_phrase(0.001), "less than 0.1 a month");
        assert_eq!(per_day_phrase(0.0), "none");
        assert_eq!(per_day_phrase(f64::NAN), "none");
    }

    #[test]
    fn a_huge_window_starts_at_the_beginning_of_time() {
        let window = Window::last_days(march(15, 0, 0), u32::MAX);
        assert_eq!(window.start, DateTime::<Utc>::MIN_UTC);
        assert_eq!(window.previous().end, DateTime::<Utc>::MIN_UTC);
    }

    /// Run with `cargo test -p insights --release -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn half_a_million_deployments() {
        use std::time::Instant;
        let now = march(15, 0, 0);
        let mut history = History::default();
        for i in 0..500_000_i64 {
            let status = match i % 20 {
                0 => DeploymentStatus::Failed,
                1 => DeploymentStatus::RolledBack,
                _ => DeploymentStatus::Succeeded,
            };
            let finished_at = now - TimeDelta::seconds(i * 11);
            history.deployments.push(deployment(
                &format!("d{i}"),
                &format!("service-{}", i % 1_000),
                finished_at,
                status,
                &[i % 100_000, i % 7_000, 3_600],
            ));
            if i % 50 == 2 {
                history.incidents.push(incident(
                    finished_at,
                    Some(finished_at + TimeDelta::seconds(i % 10_000)),
                    Some(&format!("d{i}")),
                ));
            }
        }
        let started = Instant::now();
        let report = report(&history, now, 90, &Thresholds::default());
        let weeks = weeks(&history, &report.window);
        println!(
            "report and weeks of {} deployments: {:?} ({} in the window, {} weeks)",
            history.deployments.len(),
            started.elapsed(),
            report.current.deployments,
            weeks.len()
        );
    }
}
