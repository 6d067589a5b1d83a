//! Background loops. Each claims its work through the database, so any number of portal
//! replicas can run them side by side.

pub mod refresh;
