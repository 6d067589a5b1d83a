//! The teams capability on the server: the team directory, team pages and person pages
//! as JSON (`api.rs`), for scripts, dashboards and other portals. The pages themselves
//! are in `app/src/pages/teams/`, the rules in the `teams` crate, the reads in
//! `store/src/teams.rs`.

pub mod api;
