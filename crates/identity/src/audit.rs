//! The vocabulary of the audit log: how a write ended. The server records one entry per
//! write (and per refused attempt) through the authorisation seam; the admin page and the
//! JSON lines export filter by these names.

use serde::{Deserialize, Serialize};

/// How an attempted write ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Allowed, and done.
    Succeeded,
    /// Refused by the seam; the entry's detail is the reason.
    Refused,
    /// Allowed, but it failed; the entry's detail is the error as the caller saw it.
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Succeeded, Outcome::Refused, Outcome::Failed];

    /// The stable name stored and filtered by.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == name)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_names_parse_back() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.name()), Some(outcome));
        }
        assert_eq!(Outcome::parse("allowed"), None);
    }
}
