//! NBA Trade Tracker core library.
//!
//! Everything the Lambdas and the `tracker` CLI do lives here: [`feed`] parsing,
//! [`classify`] (Trade / Signing / Other with evidence) and its [`eval`]uation.

pub mod api;
pub mod archive;
pub mod auth;
pub mod aws;
pub mod classify;
pub mod config;
pub mod eval;
pub mod feed;
pub mod fetch;
pub mod ingest;
pub mod maintenance;
pub mod model;
pub mod source;
pub mod store;
#[cfg(feature = "test-support")]
pub mod testing;
