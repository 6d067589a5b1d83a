//! `/insights/satisfaction`: how developers rate the platform — the Net Promoter Score
//! (asked at most once a quarter, dismissible), ratings after template runs, feature
//! requests with votes — as scores, distributions and per-team figures; free-text comments
//! for admins only. The survey forms are plain forms, usable without JavaScript.

use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::identity::FormToken;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// Teams with fewer answers are not shown (`insights::survey::MIN_TEAM_ANSWERS`, which the
/// browser bundle does not link).
const MIN_TEAM_ANSWERS: usize = 5;

/// A team's figures, shown only with enough answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamScore {
    pub team: String,
    pub answers: usize,
    pub nps: Option<f64>,
}

/// A comment, for admins. Anonymous answers name nobody.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub survey: String,
    pub score: i64,
    pub text: String,
    pub period: String,
    pub about: Option<String>,
    pub by: Option<String>,
}

/// How people rated one entity's documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocsScore {
    pub entity: String,
    pub answers: usize,
    pub average: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureRequest {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub votes: i64,
    pub voted: bool,
}

/// The survey results every reader of the metrics may see: scores, per team (from
/// [`MIN_TEAM_ANSWERS`] answers on) and per documented entity — never a comment or a
/// name. The page shows them; `/api/insights/satisfaction` and its CSV tables export them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SurveyResults {
    pub nps_answers: usize,
    pub nps: Option<f64>,
    pub promoters: usize,
    pub passives: usize,
    pub detractors: usize,
    pub template_answers: usize,
    pub template_average: Option<f64>,
    pub docs_answers: usize,
    pub docs_average: Option<f64>,
    /// Each rated entity's documentation, the lowest average first.
    pub docs: Vec<DocsScore>,
    pub teams: Vec<TeamScore>,
    /// Teams with answers too few to show.
    pub hidden_teams: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionView {
    pub results: SurveyResults,
    /// Server-made SVG: the NPS distribution, NPS by quarter, template ratings.
    pub charts: Vec<String>,
    /// `None` unless the caller may see them (admins).
    pub comments: Option<Vec<Comment>>,
    pub requests: Vec<FeatureRequest>,
    /// Whether to put the NPS question to the caller now.
    pub ask_nps: bool,
    pub signed_in: bool,
    pub anonymous: bool,
}

#[server(prefix = "/_server")]
pub async fn fetch_satisfaction() -> Result<SatisfactionView, AppError> {
    crate::identity::require(identity::Action::InsightsRead).await?;
    let store = crate::context::store()?;
    ssr::satisfaction(&store).await
}

/// Whether the signed-in person should be asked the NPS question now (never tokens;
/// visitors who may not answer get the seam's refusal, which the prompt takes as "no").
#[server(prefix = "/_server")]
pub async fn fetch_nps_prompt() -> Result<bool, AppError> {
    crate::identity::require(identity::Action::SurveyAnswer).await?;
    let store = crate::context::store()?;
    ssr::ask_nps(&store).await
}

/// Answers the NPS question: `score` 0–10, an optional comment.
#[server(prefix = "/_server")]
pub async fn answer_nps(score: i64, comment: Option<String>) -> Result<(), AppError> {
    let grant = crate::identity::require(identity::Action::SurveyAnswer).await?;
    let store = crate::context::store()?;
    let result = ssr::answer(
        &store,
        &grant,
        insights::survey::Survey::Nps,
        None,
        score,
        comment,
    )
    .await;
    crate::identity::record(&grant, "survey:nps", &result).await;
    result
}

/// Puts the NPS question away until next quarter.
#[server(prefix = "/_server")]
pub async fn dismiss_nps() -> Result<(), AppError> {
    let grant = crate::identity::require(identity::Action::SurveyAnswer).await?;
    let store = crate::context::store()?;
    let person = ssr::person(&grant)?;
    let period = insights::survey::quarter(chrono::Utc::now());
    store
        .dismiss_question(store::Asked {
            subject: &person.subject,
            topic: "nps",
            period: &period,
        })
        .await?;
    Ok(())
}

/// Rates the template run `id` (1–5), once, by who ran it.
#[server(prefix = "/_server")]
pub async fn rate_task(id: String, score: i64, comment: Option<String>) -> Result<(), AppError> {
    let grant = crate::identity::require(identity::Action::SurveyAnswer).await?;
    let store = crate::context::store()?;
    let result = ssr::rate_task(&store, &grant, &id, score, comment).await;
    crate::identity::record(&grant, &format!("task:{id}"), &result).await;
    result
}

/// Whether the caller may rate the task `id` now: it completed, they ran it, they have
/// not rated it.
#[server(prefix = "/_server")]
pub async fn fetch_task_rating_prompt(id: String) -> Result<bool, AppError> {
    crate::identity::require(identity::Action::SurveyAnswer).await?;
    let store = crate::context::store()?;
    ssr::may_rate(&store, &id)
        .await
        .map(|found| found.is_some())
}

/// Rates the documentation of `entity` (1–5), once a quarter per person.
#[server(prefix = "/_server")]
pub async fn rate_docs(
    entity: String,
    score: i64,
    comment: Option<String>,
) -> Result<(), AppError> {
    let grant = crate::identity::require(identity::Action::SurveyAnswer).await?;
    let store = crate::context::store()?;
    let result = ssr::rate_docs(&store, &grant, &entity, score, comment).await;
    let entity: String = entity.chars().take(ssr::MAX_REF).collect();
    crate::identity::record(&grant, &format!("docs:{entity}"), &result).await;
    result
}

#[server(prefix = "/_server")]
pub async fn suggest_feature(title: String, description: Option<String>) -> Result<(), AppError> {
    let grant = crate::identity::require(identity::Action::SurveyAnswer).await?;
    let store = crate::context::store()?;
    let result = ssr::suggest(&store, &grant, &title, description.as_deref()).await;
    crate::identity::record(&grant, "feature-request", &result).await;
    result
}

/// Votes for the request `id` (`up`), or takes the vote back.
#[server(prefix = "/_server")]
pub async fn vote_feature(id: String, up: bool) -> Result<(), AppError> {
    let grant = crate::identity::require(identity::Action::SurveyAnswer).await?;
    let store = crate::context::store()?;
    let person = ssr::person(&grant)?;
    let id: String = id.chars().take(100).collect();
    let changed = store.vote(&id, &person.subject, up).await?;
    if !changed && up && !store.feature_request_exists(&id).await? {
        return Err(AppError::NotFound(format!(
            "There is no feature request {id}."
        )));
    }
    Ok(())
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use insights::chart::{BarChart, LineChart, Series, bar_chart, line_chart};
    use insights::survey::{self, Survey};
    use std::collections::BTreeMap;
    use store::{Asked, NewAnswer, Store};

    /// Feature requests one person may make in a day.
    const REQUESTS_PER_DAY: i64 = 10;

    /// The feature requests the page lists: those with the most votes.
    const SHOWN_REQUESTS: i64 = 100;

    fn settings() -> std::sync::Arc<super::super::load::InsightsSettings> {
        use_context().unwrap_or_default()
    }

    pub fn person(grant: &identity::Grant) -> Result<identity::Person, AppError> {
        match &grant.caller {
            identity::Caller::Person(person) => Ok(person.clone()),
            _ => Err(AppError::SignInRequired(
                "Sign in to answer: surveys are for people, one answer each.".into(),
            )),
        }
    }

    pub async fn ask_nps(store: &Store) -> Result<bool, AppError> {
        let Ok(identity::Caller::Person(person)) = crate::identity::caller().await else {
            return Ok(false);
        };
        if crate::identity::require(identity::Action::SurveyAnswer)
            .await
            .is_err()
        {
            return Ok(false);
        }
        let period = survey::quarter(chrono::Utc::now());
        let asked = Asked {
            subject: &person.subject,
            topic: "nps",
            period: &period,
        };
        Ok(!store.was_asked(asked).await?)
    }

    pub async fn answer(
        store: &Store,
        grant: &identity::Grant,
        which: Survey,
        about: Option<(&str, &str)>,
        score: i64,
        comment: Option<String>,
    ) -> Result<(), AppError> {
        let person = person(grant)?;
        let comment = survey::check_answer(which, score, comment.as_deref().unwrap_or_default())
            .map_err(AppError::BadInput)?;
        let now = chrono::Utc::now();
        let period = survey::quarter(now);
        let anonymous = settings().anonymous_surveys;
        let (topic, about) = match about {
            Some((topic, about)) => (topic.to_string(), Some(about)),
            None => (which.name().to_string(), None),
        };
        // A task is rated once ever; the other questions once a quarter.
        let asked_period = if which == Survey::Template {
            ""
        } else {
            period.as_str()
        };
        let team = team_of(store, &person).await?;
        let answer = NewAnswer {
            survey: which.name(),
            subject: (!anonymous).then_some(person.subject.as_str()),
            team_ref: team.as_deref(),
            about,
            score,
            comment: comment.as_deref(),
            period: &period,
            answered_at: (!anonymous).then_some(now),
        };
        let asked = Asked {
            subject: &person.subject,
            topic: &topic,
            period: asked_period,
        };
        if store.record_answer(&answer, asked).await? {
            Ok(())
        } else {
            Err(AppError::BadInput(match which {
                Survey::Nps => "You have answered this quarter's survey already; thank you.".into(),
                Survey::Template => "You have rated this template run already.".into(),
                Survey::Docs => "You have rated this documentation this quarter already.".into(),
            }))
        }
    }

    /// The team an answer counts for: the first group the person's User entity names
    /// (`spec.memberOf`), not a parent of it; else the first group they are in.
    async fn team_of(store: &Store, person: &identity::Person) -> Result<Option<String>, AppError> {
        let direct = match &person.user_ref {
            Some(user) => store.entity_body(user).await?.and_then(|body| {
                let first = body["spec"]["memberOf"]
                    .as_array()?
                    .first()?
                    .as_str()?
                    .to_string();
                catalog::EntityRef::parse(&first, Some("group"), "default")
                    .ok()
                    .map(|r| r.to_string().to_lowercase())
            }),
            None => None,
        };
        Ok(direct.or_else(|| person.groups.first().cloned()))
    }

    /// The longest entity ref taken.
    pub const MAX_REF: usize = 300;

    /// The survey topic and the entity ref, when the caller may rate `entity`'s
    /// documentation now.
    pub async fn may_rate_docs(
        store: &Store,
        entity: &str,
    ) -> Result<Option<(String, String)>, AppError> {
        let Ok(identity::Caller::Person(person)) = crate::identity::caller().await else {
            return Ok(None);
        };
        let text: String = entity.chars().take(MAX_REF).collect();
        let Ok(entity_ref) = catalog::EntityRef::parse(&text, None, "default") else {
            return Ok(None);
        };
        let entity_ref = entity_ref.to_string().to_lowercase();
        let documented = store.entity_body(&entity_ref).await?.is_some_and(|body| {
            body["metadata"]["annotations"]["backstage.io/techdocs-ref"].is_string()
        });
        if !documented {
            return Ok(None);
        }
        let topic = format!("docs:{entity_ref}");
        let period = survey::quarter(chrono::Utc::now());
        let asked = Asked {
            subject: &person.subject,
            topic: &topic,
            period: &period,
        };
        if store.was_asked(asked).await? {
            return Ok(None);
        }
        Ok(Some((topic, entity_ref)))
    }

    /// Whether to put the documentation question about `entity` to the caller now:
    /// signed in, allowed to answer, not asked about it this quarter.
    pub async fn ask_docs_rating(store: &Store, entity: &str) -> Result<bool, AppError> {
        if crate::identity::require(identity::Action::SurveyAnswer)
            .await
            .is_err()
        {
            return Ok(false);
        }
        Ok(may_rate_docs(store, entity).await?.is_some())
    }

    pub async fn rate_docs(
        store: &Store,
        grant: &identity::Grant,
        entity: &str,
        score: i64,
        comment: Option<String>,
    ) -> Result<(), AppError> {
        let Some((topic, entity_ref)) = may_rate_docs(store, entity).await? else {
            return Err(AppError::BadInput(
                "entity: rate the documentation of an entity that publishes some (backstage.io/techdocs-ref), once a quarter.".into(),
            ));
        };
        let about = Some((topic.as_str(), entity_ref.as_str()));
        answer(store, grant, Survey::Docs, about, score, comment).await
    }

    /// Each rated entity's documentation, the lowest average first.
    fn docs_scores(rows: &[store::AnswerRow]) -> Vec<DocsScore> {
        let mut by_entity: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for row in rows {
            if let Some(entity) = &row.about {
                by_entity.entry(entity).or_default().push(row.score);
            }
        }
        let mut scores: Vec<DocsScore> = by_entity
            .into_iter()
            .map(|(entity, s)| DocsScore {
                entity: entity.to_string(),
                answers: s.len(),
                average: s.iter().sum::<i64>() as f64 / s.len() as f64,
            })
            .collect();
        scores.sort_by(|a, b| a.average.total_cmp(&b.average));
        scores
    }

    /// The task `id` and its template, when the caller may rate it.
    pub async fn may_rate(store: &Store, id: &str) -> Result<Option<(String, String)>, AppError> {
        let Ok(identity::Caller::Person(person)) = crate::identity::caller().await else {
            return Ok(None);
        };
        let id: String = id.chars().take(100).collect();
        let Some(task) = store.task(&id).await? else {
            return Ok(None);
        };
        let ran_it = task.created_by.as_deref().is_some_and(|by| {
            by.eq_ignore_ascii_case(&person.subject)
                || person
                    .user_ref
                    .as_deref()
                    .is_some_and(|u| by.eq_ignore_ascii_case(u))
        });
        if !ran_it || task.status != "completed" {
            return Ok(None);
        }
        let topic = format!("task:{id}");
        let asked = Asked {
            subject: &person.subject,
            topic: &topic,
            period: "",
        };
        if store.was_asked(asked).await? {
            return Ok(None);
        }
        Ok(Some((topic, task.template_ref)))
    }

    pub async fn rate_task(
        store: &Store,
        grant: &identity::Grant,
        id: &str,
        score: i64,
        comment: Option<String>,
    ) -> Result<(), AppError> {
        let Some((topic, template)) = may_rate(store, id).await? else {
            return Err(AppError::BadInput(
                "Only who ran a task may rate it, once, after it completed.".into(),
            ));
        };
        answer(
            store,
            grant,
            Survey::Template,
            Some((&topic, &template)),
            score,
            comment,
        )
        .await
    }

    pub async fn suggest(
        store: &Store,
        grant: &identity::Grant,
        title: &str,
        description: Option<&str>,
    ) -> Result<(), AppError> {
        let person = person(grant)?;
        let title = title.trim();
        if !(3..=120).contains(&title.chars().count()) || title.chars().any(char::is_control) {
            return Err(AppError::BadInput(
                "title: give 3 to 120 characters on one line.".into(),
            ));
        }
        let description = description.map(str::trim).filter(|d| !d.is_empty());
        if description.is_some_and(|d| d.chars().count() > survey::MAX_COMMENT) {
            return Err(AppError::BadInput(format!(
                "description: keep it under {} characters.",
                survey::MAX_COMMENT
            )));
        }
        let now = chrono::Utc::now();
        let made_today = store
            .feature_requests_made(&person.subject, now - chrono::TimeDelta::days(1))
            .await?;
        if made_today >= REQUESTS_PER_DAY {
            return Err(AppError::BadInput(format!(
                "You have suggested {REQUESTS_PER_DAY} features today; vote for existing ones, or come back tomorrow."
            )));
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        store
            .create_feature_request(&id, title, description, Some(&person.subject), now)
            .await?;
        // Who suggests a feature wants it.
        store.vote(&id, &person.subject, true).await?;
        Ok(())
    }

    /// Every answer to each survey.
    pub struct Answers {
        nps: Vec<store::AnswerRow>,
        template: Vec<store::AnswerRow>,
        docs: Vec<store::AnswerRow>,
    }

    impl Answers {
        pub async fn read(store: &Store) -> Result<Answers, AppError> {
            Ok(Answers {
                nps: store.survey_answers(Survey::Nps.name()).await?,
                template: store.survey_answers(Survey::Template.name()).await?,
                docs: store.survey_answers(Survey::Docs.name()).await?,
            })
        }

        pub fn results(&self) -> SurveyResults {
            let nps = survey::nps(&scores(&self.nps));
            let ratings = survey::ratings(&scores(&self.template));
            let docs_ratings = survey::ratings(&scores(&self.docs));
            let (teams, hidden_teams) = team_scores(&self.nps);
            SurveyResults {
                nps_answers: nps.answers,
                nps: nps.score,
                promoters: nps.promoters,
                passives: nps.passives,
                detractors: nps.detractors,
                template_answers: ratings.answers,
                template_average: ratings.average,
                docs_answers: docs_ratings.answers,
                docs_average: docs_ratings.average,
                docs: docs_scores(&self.docs),
                teams,
                hidden_teams,
            }
        }
    }

    fn scores(rows: &[store::AnswerRow]) -> Vec<i64> {
        rows.iter().map(|r| r.score).collect()
    }

    /// The teams with enough NPS answers to show, and how many have too few.
    fn team_scores(rows: &[store::AnswerRow]) -> (Vec<TeamScore>, usize) {
        let mut by_team: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for row in rows {
            if let Some(team) = &row.team_ref {
                by_team.entry(team).or_default().push(row.score);
            }
        }
        let hidden = by_team
            .values()
            .filter(|s| s.len() < survey::MIN_TEAM_ANSWERS)
            .count();
        let shown = by_team
            .into_iter()
            .filter(|(_, s)| s.len() >= survey::MIN_TEAM_ANSWERS)
            .map(|(team, s)| TeamScore {
                team: team.to_string(),
                answers: s.len(),
                nps: survey::nps(&s).score,
            })
            .collect();
        (shown, hidden)
    }

    pub async fn satisfaction(store: &Store) -> Result<SatisfactionView, AppError> {
        let answers = Answers::read(store).await?;
        let is_admin = crate::identity::require(identity::Action::AdminView)
            .await
            .is_ok();
        let comments = is_admin.then(|| {
            answers
                .nps
                .iter()
                .chain(&answers.template)
                .chain(&answers.docs)
                .filter_map(|r| {
                    Some(Comment {
                        survey: r.survey.clone(),
                        score: r.score,
                        text: r.comment.clone()?,
                        period: r.period.clone(),
                        about: r.about.clone(),
                        by: r.subject.clone(),
                    })
                })
                .collect()
        });
        let caller = crate::identity::caller().await.ok();
        let subject = caller.as_ref().and_then(|c| match c {
            identity::Caller::Person(p) => Some(p.subject.clone()),
            _ => None,
        });
        let requests = store
            .feature_requests(subject.as_deref(), SHOWN_REQUESTS)
            .await?
            .into_iter()
            .map(|r| FeatureRequest {
                id: r.id,
                title: r.title,
                description: r.description,
                votes: r.votes,
                voted: r.voted,
            })
            .collect();
        Ok(SatisfactionView {
            results: answers.results(),
            charts: charts(&answers),
            comments,
            requests,
            ask_nps: crate::identity::require(identity::Action::SurveyAnswer)
                .await
                .is_ok()
                && ask_nps(store).await?,
            signed_in: subject.is_some(),
            anonymous: settings().anonymous_surveys,
        })
    }

    fn charts(answers: &Answers) -> Vec<String> {
        let nps = survey::nps(&scores(&answers.nps));
        let ratings = survey::ratings(&scores(&answers.template));
        let rows = &answers.nps;
        let distribution = bar_chart(&BarChart {
            title: "How likely people are to recommend the platform".into(),
            description: "Answers to the NPS question by score, 0 (not at all) to 10 (extremely): 0–6 detractors, 7–8 passives, 9–10 promoters.".into(),
            labels: (0..=10).map(|s| s.to_string()).collect(),
            series: vec![
                Series {
                    name: "detractors".into(),
                    class: "bad",
                    values: (0..=10).map(|s| if s <= 6 { nps.distribution[s] as f64 } else { 0.0 }).collect(),
                },
                Series {
                    name: "passives".into(),
                    class: "neutral",
                    values: (0..=10).map(|s| if (7..=8).contains(&s) { nps.distribution[s] as f64 } else { 0.0 }).collect(),
                },
                Series {
                    name: "promoters".into(),
                    class: "ok",
                    values: (0..=10).map(|s| if s >= 9 { nps.distribution[s] as f64 } else { 0.0 }).collect(),
                },
            ],
            unit: "answers".into(),
        });
        let mut by_quarter: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for row in rows {
            by_quarter.entry(&row.period).or_default().push(row.score);
        }
        let over_time = line_chart(&LineChart {
            title: "NPS by quarter".into(),
            description: "The Net Promoter Score of each quarter's answers, from −100 to 100."
                .into(),
            labels: by_quarter.keys().map(|q| q.to_string()).collect(),
            values: by_quarter.values().map(|s| survey::nps(s).score).collect(),
            unit: "NPS".into(),
            format: |v| format!("{v:.0}"),
        });
        let template = bar_chart(&BarChart {
            title: "Template run ratings".into(),
            description: "How people rated creating from a template, 1 (poor) to 5 (great).".into(),
            labels: (1..=5).map(|s| s.to_string()).collect(),
            series: vec![Series {
                name: "ratings".into(),
                class: "ok",
                values: ratings.distribution.iter().map(|n| *n as f64).collect(),
            }],
            unit: "ratings".into(),
        });
        vec![distribution, over_time, template]
    }
}

#[component]
pub fn SatisfactionPage() -> impl IntoView {
    let answer = ServerAction::<AnswerNps>::new();
    let dismiss = ServerAction::<DismissNps>::new();
    let suggest = ServerAction::<SuggestFeature>::new();
    let vote = ServerAction::<VoteFeature>::new();
    let data = Resource::new(
        move || {
            (
                answer.version().get(),
                dismiss.version().get(),
                suggest.version().get(),
                vote.version().get(),
            )
        },
        |_| fetch_satisfaction(),
    );
    let failure = move || {
        [
            answer.value().get().and_then(Result::err),
            dismiss.value().get().and_then(Result::err),
            suggest.value().get().and_then(Result::err),
            vote.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <p class="register-error" role="alert">{e.to_string()}</p> })
    };
    view! {
        <Title text="Satisfaction"/>
        <h1>"Developer satisfaction"</h1>
        <super::InsightsNav current="satisfaction"/>
        {failure}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Satisfaction data answer dismiss suggest vote/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Satisfaction(
    data: SatisfactionView,
    answer: ServerAction<AnswerNps>,
    dismiss: ServerAction<DismissNps>,
    suggest: ServerAction<SuggestFeature>,
    vote: ServerAction<VoteFeature>,
) -> impl IntoView {
    let results = data.results;
    let nps = results
        .nps
        .map(|n| format!("{n:+.0}"))
        .unwrap_or_else(|| "—".into());
    let average = results
        .template_average
        .map(|a| format!("{a:.1} / 5"))
        .unwrap_or_else(|| "—".into());
    let docs_average = results
        .docs_average
        .map(|a| format!("{a:.1} / 5"))
        .unwrap_or_else(|| "—".into());
    view! {
        {data.ask_nps.then(|| view! { <NpsQuestion answer dismiss/> })}
        <ul class="key-figures">
            <li>
                <h2>"Net Promoter Score"</h2>
                <p class="figure">{nps}</p>
                <p class="what">{format!("{} answers: {} promoters, {} passives, {} detractors", results.nps_answers, results.promoters, results.passives, results.detractors)}</p>
            </li>
            <li>
                <h2>"Template runs"</h2>
                <p class="figure">{average}</p>
                <p class="what">{format!("average of {} ratings", results.template_answers)}</p>
            </li>
            <li>
                <h2>"Documentation"</h2>
                <p class="figure">{docs_average}</p>
                <p class="what">{format!("average of {} ratings", results.docs_answers)}</p>
            </li>
        </ul>
        <p class="muted">{if data.anonymous {
            "Answers are anonymous: they keep no name and no date finer than the quarter."
        } else {
            "Answers are kept with who gave them (surveys_anonymous is off)."
        }}</p>
        <div class="charts">
            {data.charts.into_iter().map(|svg| view! { <figure class="chart" inner_html=svg></figure> }).collect_view()}
        </div>
        <section>
            <h2>"By team"</h2>
            {if results.teams.is_empty() {
                view! { <p class="empty">{format!("No team has {MIN_TEAM_ANSWERS} answers yet; teams are shown from then on, so no answer can be told apart.")}</p> }.into_any()
            } else {
                view! {
                    <table class="services">
                        <thead><tr><th scope="col">"Team"</th><th scope="col">"Answers"</th><th scope="col">"NPS"</th></tr></thead>
                        <tbody>{results.teams.into_iter().map(|t| view! {
                            <tr><th scope="row">{t.team}</th><td>{t.answers}</td><td>{t.nps.map(|n| format!("{n:+.0}")).unwrap_or_default()}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                    <super::Exports csv="/api/insights/satisfaction-teams.csv" json="/api/insights/satisfaction"/>
                }.into_any()
            }}
            {(results.hidden_teams > 0).then(|| view! { <p class="muted">{match results.hidden_teams {
                1 => "1 team with fewer answers is not shown.".to_string(),
                n => format!("{n} teams with fewer answers are not shown."),
            }}</p> })}
        </section>
        {(!results.docs.is_empty()).then(|| view! {
            <section>
                <h2>"Documentation by entity"</h2>
                <table class="services">
                    <thead><tr><th scope="col">"Entity"</th><th scope="col">"Ratings"</th><th scope="col">"Average"</th></tr></thead>
                    <tbody>{results.docs.into_iter().map(|d| view! {
                        <tr>
                            <th scope="row">{match crate::pages::catalog::shared::parse_ref(&d.entity) {
                                Some(r) => view! { <a href=crate::pages::catalog::shared::ref_href(&r)>{d.entity.clone()}</a> }.into_any(),
                                None => view! { <code>{d.entity.clone()}</code> }.into_any(),
                            }}</th>
                            <td>{d.answers}</td>
                            <td>{format!("{:.1} / 5", d.average)}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
                <super::Exports csv="/api/insights/docs-ratings.csv" json="/api/insights/satisfaction"/>
            </section>
        })}
        <FeatureRequests requests=data.requests signed_in=data.signed_in suggest vote/>
        {data.comments.map(|comments| view! {
            <section>
                <h2>"Comments (admins only)"</h2>
                {if comments.is_empty() {
                    view! { <p class="empty">"No comments yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="comments">{comments.into_iter().map(|c| view! {
                            <li>
                                <p>{c.text}</p>
                                <p class="muted">{format!("{} · score {} · {}{}{}", c.survey, c.score, c.period,
                                    c.about.map(|a| format!(" · {a}")).unwrap_or_default(),
                                    c.by.map(|b| format!(" · {b}")).unwrap_or_default())}</p>
                            </li>
                        }).collect_view()}</ul>
                    }.into_any()
                }}
            </section>
        })}
    }
}

/// The NPS question: 0–10 as radio buttons, an optional comment, and "not now".
#[component]
pub fn NpsQuestion(
    answer: ServerAction<AnswerNps>,
    dismiss: ServerAction<DismissNps>,
) -> impl IntoView {
    view! {
        <section class="survey" aria-labelledby="nps-question">
            <ActionForm action=answer>
                <FormToken/>
                <fieldset>
                    <legend id="nps-question">"How likely are you to recommend this platform to a colleague?"</legend>
                    <Scale id="nps" scores=0..=10 meaning="0 = not at all likely, 10 = extremely likely"/>
                    <label for="nps-comment">"What would make it better? (optional)"</label>
                    <textarea id="nps-comment" name="comment" maxlength="2000" rows="3"></textarea>
                </fieldset>
                <button type="submit">"Send"</button>
            </ActionForm>
            <ActionForm action=dismiss attr:class="inline-form">
                <FormToken/>
                <button type="submit" class="link-button">"Not now (ask again next quarter)"</button>
            </ActionForm>
        </section>
    }
}

/// A 1–5 rating with an optional comment: the fields of a rating form. The legend's id is
/// `{id}-question`, for the form's `aria-labelledby`.
#[component]
fn RatingFields(
    id: &'static str,
    question: &'static str,
    meaning: &'static str,
    comment: &'static str,
) -> impl IntoView {
    let comment_id = format!("{id}-comment");
    view! {
        <fieldset>
            <legend id=format!("{id}-question")>{question}</legend>
            <Scale id scores=1..=5 meaning/>
            <label for=comment_id.clone()>{comment}</label>
            <textarea id=comment_id name="comment" maxlength="2000" rows="2"></textarea>
        </fieldset>
    }
}

/// A survey's scores as a row of radio buttons named `score`, and what the ends mean.
#[component]
fn Scale(
    id: &'static str,
    scores: std::ops::RangeInclusive<u8>,
    meaning: &'static str,
) -> impl IntoView {
    view! {
        <div class="scale">
            {scores.map(|score| view! {
                <label>
                    <input type="radio" id=format!("{id}-{score}") name="score" value=score.to_string() required/>
                    {score.to_string()}
                </label>
            }).collect_view()}
        </div>
        <p class="muted">{meaning}</p>
    }
}

#[component]
fn FeatureRequests(
    requests: Vec<FeatureRequest>,
    signed_in: bool,
    suggest: ServerAction<SuggestFeature>,
    vote: ServerAction<VoteFeature>,
) -> impl IntoView {
    view! {
        <section aria-labelledby="requests-heading">
            <h2 id="requests-heading">"Feature requests"</h2>
            {if requests.is_empty() {
                view! { <p class="empty">"No requests yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="requests">{requests.into_iter().map(|r| {
                        let up = !r.voted;
                        view! {
                            <li>
                                <strong>{r.title}</strong>
                                <span class="votes">{format!(" · {} votes", r.votes)}</span>
                                {r.description.map(|d| view! { <p>{d}</p> })}
                                {signed_in.then(|| view! {
                                    <ActionForm action=vote attr:class="inline-form">
                                        <FormToken/>
                                        <input type="hidden" name="id" value=r.id.clone()/>
                                        <input type="hidden" name="up" value=up.to_string()/>
                                        <button type="submit" class="link-button">{if up { "Vote" } else { "Take back my vote" }}</button>
                                    </ActionForm>
                                })}
                            </li>
                        }
                    }).collect_view()}</ol>
                    <super::Exports csv="/api/insights/feature-requests.csv"/>
                }.into_any()
            }}
            {signed_in.then(|| view! {
                <ActionForm action=suggest attr:class="token-form">
                    <FormToken/>
                    <div class="field">
                        <label for="feature-title">"Suggest a feature"</label>
                        <input id="feature-title" name="title" required minlength="3" maxlength="120"/>
                    </div>
                    <div class="field">
                        <label for="feature-description">"Why (optional)"</label>
                        <textarea id="feature-description" name="description" maxlength="2000" rows="2"></textarea>
                    </div>
                    <button type="submit">"Suggest"</button>
                </ActionForm>
            })}
        </section>
    }
}

/// On a completed task's page, for who ran it: "how did it go?", 1–5, once.
#[component]
pub fn TaskRating(id: String) -> impl IntoView {
    let rate = ServerAction::<RateTask>::new();
    let task_id = id.clone();
    let prompt = Resource::new(
        move || (task_id.clone(), rate.version().get()),
        |(id, _)| fetch_task_rating_prompt(id),
    );
    let done = move || rate.value().get().is_some_and(|r| r.is_ok());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let id = id.clone();
                Suspend::new(async move {
                    let show = prompt.await.unwrap_or(false);
                    view! {
                        {done().then(|| view! { <p role="status">"Thank you for rating this run."</p> })}
                        {show.then(|| view! {
                            <section class="survey" aria-labelledby="rating-question">
                                <ActionForm action=rate>
                                    <FormToken/>
                                    <input type="hidden" name="id" value=id.clone()/>
                                    <RatingFields
                                        id="rating"
                                        question="How did creating from this template go?"
                                        meaning="1 = poor, 5 = great"
                                        comment="Anything to tell the platform team? (optional)"
                                    />
                                    <button type="submit">"Rate"</button>
                                    {move || rate.value().get().and_then(Result::err).map(|e| view! { <p class="register-error" role="alert">{e.to_string()}</p> })}
                                </ActionForm>
                            </section>
                        })}
                    }
                })
            }}
        </Suspense>
    }
}

/// On the page of an entity that publishes documentation, for signed-in people the page
/// found may answer: "how useful is it?", 1–5, once a quarter.
#[component]
pub fn DocsRating(entity: String) -> impl IntoView {
    let rate = ServerAction::<RateDocs>::new();
    let done = move || rate.value().get().is_some_and(|r| r.is_ok());
    view! {
        {move || done().then(|| view! { <p role="status">"Thank you for rating this documentation."</p> })}
        <section class="survey" aria-labelledby="docs-question" hidden=done>
            <ActionForm action=rate>
                <FormToken/>
                <input type="hidden" name="entity" value=entity.clone()/>
                <RatingFields
                    id="docs"
                    question="How useful is this documentation?"
                    meaning="1 = not useful, 5 = very useful"
                    comment="What is missing or wrong? (optional)"
                />
                <button type="submit">"Rate"</button>
                {move || rate.value().get().and_then(Result::err).map(|e| view! { <p class="register-error" role="alert">{e.to_string()}</p> })}
            </ActionForm>
        </section>
    }
}

/// The NPS question where people land (the home page), for the signed-in person who has
/// not answered or dismissed it this quarter; gone once they have.
#[component]
pub fn NpsPrompt() -> impl IntoView {
    let answer = ServerAction::<AnswerNps>::new();
    let dismiss = ServerAction::<DismissNps>::new();
    let ask = Resource::new(
        move || (answer.version().get(), dismiss.version().get()),
        |_| fetch_nps_prompt(),
    );
    let thanks = move || answer.value().get().is_some_and(|r| r.is_ok());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let show = ask.await.unwrap_or(false);
                view! {
                    {thanks().then(|| view! { <p role="status">"Thank you — the platform team reads every answer."</p> })}
                    {show.then(|| view! { <NpsQuestion answer dismiss/> })}
                }
            })}
        </Suspense>
    }
}
