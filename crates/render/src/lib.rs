//! Application spec → a complete, policy-checked delivery setup.

pub mod spec;
pub mod stack;

pub use spec::{Spec, SpecError, parse_spec};
