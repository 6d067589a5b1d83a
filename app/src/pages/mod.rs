pub mod application;
pub mod catalog;
pub mod create;
pub mod entity;
pub mod home;
pub mod insights;
pub mod register;
pub mod teams;
