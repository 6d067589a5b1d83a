//! Which changes a deployment shipped, for the change lead time. Changes are the commits
//! that reached a repository's default branch, in the order their pushes arrived, each
//! with the branch's head after its push. A successful deployment of a commit ships the
//! changes up to the last one pushed with it (or the commit itself, when it is one) that
//! no earlier deployment shipped: history on the default branch is linear, so deploying
//! a commit deploys everything before it. A deployment of a commit no push brought, or
//! of one already shipped (a redeploy, a rollback), ships nothing.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// A change of one repository, in push order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub sha: String,
    /// The branch's head after the push that brought it.
    pub head: String,
    pub committed_at: DateTime<Utc>,
}

/// A successful deployment of one repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipment {
    pub deployment: String,
    pub sha: String,
    pub finished_at: DateTime<Utc>,
}

/// Seconds from each shipped change's commit to the deployment that shipped it, by
/// deployment id. `shipments` in any order; `changes` in push order.
pub fn lead_times(changes: &[Change], shipments: &[Shipment]) -> HashMap<String, Vec<i64>> {
    // The last position each sha reaches: as a head, the last change of its push.
    let mut reach: HashMap<&str, usize> = HashMap::new();
    for (position, change) in changes.iter().enumerate() {
        reach.insert(change.head.as_str(), position);
    }
    for (position, change) in changes.iter().enumerate() {
        reach.entry(change.sha.as_str()).or_insert(position);
    }
    let mut ordered: Vec<&Shipment> = shipments.iter().collect();
    ordered.sort_by(|a, b| (a.finished_at, &a.deployment).cmp(&(b.finished_at, &b.deployment)));
    let mut shipped_up_to = 0;
    let mut lead_times = HashMap::new();
    for shipment in ordered {
        let Some(&last) = reach.get(shipment.sha.as_str()) else {
            continue;
        };
        if last < shipped_up_to {
            continue;
        }
        let seconds = changes[shipped_up_to..=last]
            .iter()
            .map(|c| (shipment.finished_at - c.committed_at).num_seconds().max(0))
            .collect();
        lead_times.insert(shipment.deployment.clone(), seconds);
        shipped_up_to = last + 1;
    }
    lead_times
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-11-02T{hour:02}:00:00Z"))
            .unwrap()
            .to_utc()
    }

    fn change(sha: &str, head: &str, hour: u32) -> Change {
        Change {
            sha: sha.into(),
            head: head.into(),
            committed_at: at(hour),
        }
    }

    fn ship(deployment: &str, sha: &str, hour: u32) -> Shipment {
        Shipment {
            deployment: deployment.into(),
            sha: sha.into(),
            finished_at: at(hour),
        }
    }

    #[test]
    fn a_deployment_ships_its_push_and_every_earlier_unshipped_change() {
        // Push 1 brings a (1:00) and b (2:00), head b; push 2 brings c (4:00), head c;
        // push 3 brings d (6:00). d1 deploys c at 5:00: a, b and c (4 h, 3 h, 1 h).
        // d2 redeploys b at 6:00: nothing. d3 deploys d at 9:00: d (3 h). d4 deploys an
        // unknown commit: nothing.
        let changes = [
            change("a", "b", 1),
            change("b", "b", 2),
            change("c", "c", 4),
            change("d", "d", 6),
        ];
        let shipments = [
            ship("d3", "d", 9),
            ship("d1", "c", 5),
            ship("d2", "b", 6),
            ship("d4", "zz", 10),
        ];
        let found = lead_times(&changes, &shipments);
        assert_eq!(found["d1"], [4 * 3600, 3 * 3600, 3600]);
        assert_eq!(found["d3"], [3 * 3600]);
        assert!(!found.contains_key("d2") && !found.contains_key("d4"));
    }

    #[test]
    fn a_commit_in_the_middle_of_a_push_ships_up_to_itself() {
        let changes = [
            change("a", "c", 1),
            change("b", "c", 2),
            change("c", "c", 3),
        ];
        let found = lead_times(&changes, &[ship("d1", "a", 4), ship("d2", "c", 5)]);
        assert_eq!(found["d1"], [3 * 3600]);
        assert_eq!(found["d2"], [3 * 3600, 2 * 3600]);
    }
}
