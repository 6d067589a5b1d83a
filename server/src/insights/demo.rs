//! Delivery history for the demo catalog: 120 days of production deployments, their
//! changes and a few incidents for five demo services, each with its own pace and
//! failure rate so the insights page shows every tier. Deterministic (a fixed
//! pseudo-random sequence per calendar day), and idempotent: ids are derived from the
//! day, so loading again stores nothing twice.

use chrono::{DateTime, TimeDelta, Utc};
use store::{DeploymentReport, DeploymentState, IncidentRow, Store, StoreError};

/// A demo service: how often it deploys (per day), how often a deployment fails (per
/// hundred) and how long its changes wait (hours, at most).
struct Pace {
    component: &'static str,
    repository: Option<&'static str>,
    per_day: u64,
    failures_per_hundred: u64,
    wait_hours: u64,
}

const SERVICES: [Pace; 5] = [
    Pace {
        component: "component:default/web-shop",
        repository: Some("acme/web-shop"),
        per_day: 3,
        failures_per_hundred: 4,
        wait_hours: 20,
    },
    Pace {
        component: "component:default/basket-service",
        repository: Some("acme/basket-service"),
        per_day: 1,
        failures_per_hundred: 12,
        wait_hours: 60,
    },
    Pace {
        component: "component:default/payment-service",
        repository: None,
        per_day: 1,
        failures_per_hundred: 8,
        wait_hours: 150,
    },
    Pace {
        component: "component:default/products-service",
        repository: None,
        per_day: 1,
        failures_per_hundred: 25,
        wait_hours: 400,
    },
    Pace {
        component: "component:default/recommendations",
        repository: None,
        per_day: 1,
        failures_per_hundred: 30,
        wait_hours: 900,
    },
];

const DAYS: i64 = 120;

/// A small linear congruential generator: enough for plausible demo data.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below.max(1)
    }
}

pub async fn load(store: &Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    let today = now.timestamp().div_euclid(86_400);
    for (index, pace) in SERVICES.iter().enumerate() {
        for day in (today - DAYS)..today {
            let mut dice = Dice((day as u64) * 31 + index as u64);
            // Slower services skip most days: "1 a day" becomes "some days".
            let skip = match index {
                2 => dice.roll(3) != 0,
                3 => dice.roll(8) != 0,
                4 => dice.roll(20) != 0,
                _ => false,
            };
            if skip {
                continue;
            }
            for n in 0..=dice.roll(pace.per_day) {
                deploy(store, pace, day, n, &mut dice).await?;
            }
        }
    }
    Ok(())
}

async fn deploy(
    store: &Store,
    pace: &Pace,
    day: i64,
    n: u64,
    dice: &mut Dice,
) -> Result<(), StoreError> {
    let key = pace.repository.unwrap_or(pace.component);
    let start = DateTime::from_timestamp(day * 86_400, 0).expect("a day") + TimeDelta::hours(9);
    let finished = start + TimeDelta::minutes((n * 150 + dice.roll(120)) as i64);
    let sha = format!("{:012x}", dice.roll(u64::MAX >> 16));
    let commits: Vec<(String, DateTime<Utc>)> = (0..=dice.roll(3))
        .map(|c| {
            let wait = TimeDelta::minutes(30 + dice.roll(pace.wait_hours * 60) as i64);
            (format!("{sha}{c}"), finished - wait)
        })
        .chain(std::iter::once((
            sha.clone(),
            finished - TimeDelta::minutes(20),
        )))
        .collect();
    store.record_changes(key, &sha, &commits).await?;
    let failed = dice.roll(100) < pace.failures_per_hundred;
    let state = match (failed, dice.roll(2)) {
        (false, _) => DeploymentState::Succeeded,
        (true, 0) => DeploymentState::RolledBack,
        (true, _) => DeploymentState::Failed,
    };
    let id = format!("demo:{key}:{day}:{n}");
    store
        .report_deployment(&DeploymentReport {
            id: &id,
            repository: pace.repository,
            component_ref: pace.repository.is_none().then_some(pace.component),
            environment: "production",
            sha: Some(&sha),
            created_at: start,
            state: Some(state),
            at: finished,
        })
        .await?;
    // Some successful deployments still break something: an incident they caused.
    if !failed && dice.roll(100) < pace.failures_per_hundred / 2 {
        let opened_at = finished + TimeDelta::minutes(10);
        store
            .report_incident(&IncidentRow {
                id: format!("demo:{key}:{day}:{n}"),
                repository: pace.repository.map(str::to_owned),
                component_ref: pace.repository.is_none().then(|| pace.component.to_owned()),
                opened_at,
                resolved_at: Some(
                    opened_at + TimeDelta::minutes(20 + dice.roll(pace.wait_hours * 6) as i64),
                ),
                caused_by: Some(id.clone()),
            })
            .await?;
    }
    Ok(())
}
