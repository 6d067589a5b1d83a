//! Platform metrics, as the insights pages and API show them: delivery facts read from
//! GitHub webhook deliveries ([`github`]), the DORA four keys computed from those facts
//! ([`dora`]), and the server-rendered SVG charts that draw them ([`chart`]).
//!
//! Nothing here reads a clock, a database or the network: callers pass `now` and the
//! facts, so every figure can be worked out by hand in a test.

pub mod changes;
pub mod chart;
pub mod dora;
pub mod github;
pub mod maturity;
pub mod survey;
pub mod usage;
