//! Platform metrics for the demo catalog: 120 days of production deployments, their
//! changes and a few incidents for five demo services, each with its own pace and
//! failure rate so the insights page shows every tier; survey answers of the last three
//! quarters and feature requests; 30 days of requests and active people. Deterministic (a fixed
//! pseudo-random sequence per calendar day), and idempotent: ids are derived from the
//! day, so loading again stores nothing twice.

use chrono::{DateTime, TimeDelta, Utc};
use store::{
    Asked, DeploymentReport, DeploymentState, IncidentRow, NewAnswer, RequestDayRow, Store,
    StoreError,
};

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
    deliveries(store, now).await?;
    surveys(store, now).await?;
    usage(store, now).await
}

async fn deliveries(store: &Store, now: DateTime<Utc>) -> Result<(), StoreError> {
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

/// The demo's teams, for survey answers (`spec.memberOf` of the demo people).
const TEAMS: [&str; 4] = [
    "group:default/checkout-team",
    "group:default/payments",
    "group:default/catalog-team",
    "group:default/platform",
];

/// The demo components that publish documentation (`backstage.io/techdocs-ref`).
const DOCUMENTED: [&str; 2] = ["component:default/web-shop", "component:default/portico"];

/// An anonymous answer of someone in `team`, without a comment.
fn anonymous<'a>(
    survey: &'a str,
    team: &'a str,
    about: Option<&'a str>,
    score: i64,
    period: &'a str,
) -> NewAnswer<'a> {
    NewAnswer {
        survey,
        subject: None,
        team_ref: Some(team),
        about,
        score,
        comment: None,
        period,
        answered_at: None,
    }
}

/// Records `answer` as the demo's answer to its own question `topic`: loading the demo
/// again finds it asked and adds nothing.
async fn record(store: &Store, topic: &str, answer: NewAnswer<'_>) -> Result<(), StoreError> {
    let asked = Asked {
        subject: "demo",
        topic,
        period: answer.period,
    };
    store.record_answer(&answer, asked).await.map(drop)
}

/// Anonymous NPS answers, template and documentation ratings of the three quarters before this one (this
/// quarter's question is left for whoever tries the demo), and feature requests with votes.
/// Each answer is its own "asked" question, so loading again adds nothing.
async fn surveys(store: &Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    let mut dice = Dice(7);
    for quarters_ago in 1..=3 {
        let period = insights::survey::quarter(now - TimeDelta::days(92 * quarters_ago));
        for (t, team) in TEAMS.iter().enumerate() {
            for n in 0..6 {
                // Later quarters a little happier: the platform improves.
                let score =
                    (4 + dice.roll(5) + (3 - quarters_ago) as u64 + t as u64 % 2).min(10) as i64;
                let answer = NewAnswer {
                    comment: (n == 0).then_some(DEMO_COMMENTS[t]),
                    ..anonymous("nps", team, None, score, &period)
                };
                record(store, &format!("demo:nps:{t}:{n}"), answer).await?;
            }
        }
        for n in 0..5 {
            let team = TEAMS[n % TEAMS.len()];
            let score = 3 + dice.roll(3) as i64;
            let answer = anonymous(
                "template",
                team,
                Some("template:default/service"),
                score,
                &period,
            );
            record(store, &format!("demo:template:{n}"), answer).await?;
        }
        // Ratings of the documented components' documentation.
        for (d, entity) in DOCUMENTED.iter().enumerate() {
            for n in 0..3 {
                let team = TEAMS[(d + n) % TEAMS.len()];
                let score = 2 + d as i64 + dice.roll(2) as i64;
                let answer = anonymous("docs", team, Some(entity), score, &period);
                record(store, &format!("demo:docs:{d}:{n}"), answer).await?;
            }
        }
    }
    for (id, title, description, voters) in FEATURE_REQUESTS {
        if store.feature_request_exists(id).await? {
            continue;
        }
        store
            .create_feature_request(id, title, Some(description), None, now)
            .await?;
        for voter in voters {
            store
                .vote(id, &format!("guest:user:default/{voter}"), true)
                .await?;
        }
    }
    Ok(())
}

const DEMO_COMMENTS: [&str; 4] = [
    "The service template saved us a week. Preview environments next, please.",
    "Blue-green for payments works, but approvals in the pipeline are slow.",
    "Search is fast. I wish the catalog showed API versions.",
    "Our own dogfood: the maturity page tells teams exactly what to fix.",
];

const FEATURE_REQUESTS: [(&str, &str, &str, &[&str]); 3] = [
    (
        "demo-preview-environments",
        "Preview environments for pull requests",
        "Every pull request deployed to its own namespace, removed when merged.",
        &["grace.hopper", "alan.turing", "katherine.johnson"],
    ),
    (
        "demo-cost-per-service",
        "Cloud cost per service",
        "Show each service's monthly cost on its page.",
        &["barbara.liskov"],
    ),
    (
        "demo-dark-mode",
        "Dark mode for the portal",
        "It follows the system setting already; a switch would help.",
        &[],
    ),
];

/// 30 days of requests and active people, so the reliability and adoption figures show
/// something before anyone has used the demo. Requests are added only to an empty table.
async fn usage(store: &Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    let people = [
        "ada.lovelace",
        "grace.hopper",
        "alan.turing",
        "margaret.hamilton",
        "katherine.johnson",
        "barbara.liskov",
    ];
    let mut dice = Dice(11);
    let first_day = (now - TimeDelta::days(30)).format("%Y-%m-%d").to_string();
    let fresh = store.request_days(&first_day).await?.is_empty();
    for days_ago in 1..=30 {
        let day = (now - TimeDelta::days(days_ago))
            .format("%Y-%m-%d")
            .to_string();
        let active: Vec<String> = people
            .iter()
            .filter(|_| dice.roll(3) != 0)
            .map(|p| format!("guest:user:default/{p}"))
            .collect();
        store.record_activity(&day, &active).await?;
        if fresh {
            let requests = 800 + dice.roll(600) as i64;
            let slow = requests / 40;
            store
                .add_request_day(&RequestDayRow {
                    day,
                    requests,
                    server_errors: dice.roll(3) as i64,
                    b10: requests * 7 / 10,
                    b25: requests / 10,
                    b50: requests / 10 - slow,
                    b100: requests / 20,
                    b250: slow,
                    b500: requests
                        - (requests * 7 / 10 + requests / 10 + requests / 10 - slow
                            + requests / 20
                            + slow),
                    ..RequestDayRow::default()
                })
                .await?;
        }
    }
    Ok(())
}
