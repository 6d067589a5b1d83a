//! Developer satisfaction: the in-app survey's rules. The Net Promoter Score question
//! ("how likely are you to recommend the platform", 0–10) is asked at most once a quarter
//! per person; ratings (1–5) follow a template run. Results are the NPS, averages and
//! distributions — per team only where enough people answered that no answer can be
//! traced to a person.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

/// What a survey answer is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Survey {
    /// "How likely are you to recommend the platform to a colleague?" 0–10.
    Nps,
    /// "How did creating from this template go?" 1–5, after a template run.
    Template,
    /// "How useful is this documentation?" 1–5, on the page of an entity that publishes
    /// documentation (`backstage.io/techdocs-ref`), once a quarter per entity.
    Docs,
}

impl Survey {
    pub const ALL: [Survey; 3] = [Survey::Nps, Survey::Template, Survey::Docs];

    pub fn name(self) -> &'static str {
        match self {
            Survey::Nps => "nps",
            Survey::Template => "template",
            Survey::Docs => "docs",
        }
    }

    pub fn named(name: &str) -> Option<Survey> {
        Survey::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The scores an answer may give.
    pub fn scale(self) -> std::ops::RangeInclusive<i64> {
        match self {
            Survey::Nps => 0..=10,
            Survey::Template | Survey::Docs => 1..=5,
        }
    }
}

/// The longest comment kept, in characters.
pub const MAX_COMMENT: usize = 2000;

/// Fewer answers than this from a team are not shown as the team's: with three people,
/// an average is nearly an answer.
pub const MIN_TEAM_ANSWERS: usize = 5;

/// Checks an answer: the score on the survey's scale, the comment (trimmed; empty is
/// none) short and without control characters but line breaks.
pub fn check_answer(survey: Survey, score: i64, comment: &str) -> Result<Option<String>, String> {
    let scale = survey.scale();
    if !scale.contains(&score) {
        return Err(format!(
            "score: give a whole number from {} to {}",
            scale.start(),
            scale.end()
        ));
    }
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT {
        return Err(format!(
            "comment: keep it under {MAX_COMMENT} characters (it has {})",
            comment.chars().count()
        ));
    }
    if comment
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("comment: remove the control characters".into());
    }
    Ok((!comment.is_empty()).then(|| comment.to_string()))
}

/// The quarter `at` falls in, as `2026-Q4`: the NPS question is asked once per quarter,
/// and an anonymous answer keeps no time finer than this.
pub fn quarter(at: DateTime<Utc>) -> String {
    format!("{}-Q{}", at.year(), (at.month() - 1) / 3 + 1)
}

/// NPS results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NpsResult {
    pub answers: usize,
    /// 9–10.
    pub promoters: usize,
    /// 7–8.
    pub passives: usize,
    /// 0–6.
    pub detractors: usize,
    /// % promoters − % detractors, −100..=100; `None` without answers.
    pub score: Option<f64>,
    /// How many answers gave each score, 0 to 10.
    pub distribution: [usize; 11],
}

/// The Net Promoter Score of `scores` (each 0–10; others are ignored).
pub fn nps(scores: &[i64]) -> NpsResult {
    let mut distribution = [0; 11];
    for &score in scores {
        if let Some(slot) = usize::try_from(score)
            .ok()
            .and_then(|s| distribution.get_mut(s))
        {
            *slot += 1;
        }
    }
    let answers: usize = distribution.iter().sum();
    let promoters = distribution[9] + distribution[10];
    let passives = distribution[7] + distribution[8];
    let detractors = answers - promoters - passives;
    let score =
        (answers > 0).then(|| 100.0 * (promoters as f64 - detractors as f64) / answers as f64);
    NpsResult {
        answers,
        promoters,
        passives,
        detractors,
        score,
        distribution,
    }
}

/// Rating results (1–5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingResult {
    pub answers: usize,
    pub average: Option<f64>,
    /// How many answers gave each score, 1 to 5.
    pub distribution: [usize; 5],
}

pub fn ratings(scores: &[i64]) -> RatingResult {
    let mut distribution = [0; 5];
    for &score in scores {
        if let Some(slot) = usize::try_from(score - 1)
            .ok()
            .and_then(|s| distribution.get_mut(s))
        {
            *slot += 1;
        }
    }
    let answers: usize = distribution.iter().sum();
    let total: usize = distribution
        .iter()
        .enumerate()
        .map(|(i, n)| (i + 1) * n)
        .sum();
    RatingResult {
        answers,
        average: (answers > 0).then(|| total as f64 / answers as f64),
        distribution,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_is_promoters_minus_detractors_in_percent() {
        // 10 answers: 9, 10, 10 promoters (3); 7, 8 passives (2); 0, 3, 5, 6, 6
        // detractors (5): 30 % − 50 % = −20.
        let result = nps(&[9, 10, 10, 7, 8, 0, 3, 5, 6, 6, 11, -1]);
        assert_eq!(
            (
                result.answers,
                result.promoters,
                result.passives,
                result.detractors
            ),
            (10, 3, 2, 5)
        );
        assert_eq!(result.score, Some(-20.0));
        assert_eq!(result.distribution[6], 2);
        assert_eq!(nps(&[]).score, None);
        assert_eq!(nps(&[10, 9]).score, Some(100.0));
    }

    #[test]
    fn ratings_average_what_is_on_the_scale() {
        let result = ratings(&[5, 4, 4, 1, 0, 6]);
        assert_eq!(result.answers, 4);
        assert_eq!(result.average, Some(3.5));
        assert_eq!(result.distribution, [1, 0, 0, 2, 1]);
    }

    #[test]
    fn answers_are_checked_with_what_to_fix() {
        assert_eq!(check_answer(Survey::Nps, 0, "  "), Ok(None));
        assert_eq!(
            check_answer(Survey::Template, 5, " fast\n"),
            Ok(Some("fast".into()))
        );
        assert!(
            check_answer(Survey::Nps, 11, "")
                .unwrap_err()
                .contains("from 0 to 10")
        );
        assert!(
            check_answer(Survey::Template, 0, "")
                .unwrap_err()
                .contains("from 1 to 5")
        );
        let long = "x".repeat(MAX_COMMENT + 1);
        assert!(
            check_answer(Survey::Nps, 5, &long)
                .unwrap_err()
                .contains("under 2000")
        );
        assert!(check_answer(Survey::Nps, 5, "a\u{0}b").is_err());
    }

    #[test]
    fn quarters_start_in_january_april_july_and_october() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        assert_eq!(quarter(at("2026-03-31T23:59:59Z")), "2026-Q1");
        assert_eq!(quarter(at("2026-04-01T00:00:00Z")), "2026-Q2");
        assert_eq!(quarter(at("2026-12-06T10:00:00Z")), "2026-Q4");
    }
}
