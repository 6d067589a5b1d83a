//! Service creation from templates, as Backstage's scaffolder defines it: a Template
//! entity (`scaffolder.backstage.io/v1beta3`) asks for parameters, runs steps — actions
//! with inputs written as `${{ }}` expressions — and builds a workspace of files that the
//! last steps publish. Everything here is pure: the server fetches, runs and stores.

pub mod actions;
pub mod expression;
pub mod form;
pub mod parameters;
pub mod progress;
pub mod skeleton;
pub mod template;
pub mod workspace;
