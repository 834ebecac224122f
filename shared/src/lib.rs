//! NBA Trade Tracker core library.
//!
//! Everything the Lambdas and the `tracker` CLI do lives here: [`feed`] parsing,
//! [`classify`] (Trade / Signing / Other with evidence) and its [`eval`]uation.

pub mod archive;
pub mod aws;
pub mod classify;
pub mod eval;
pub mod feed;
pub mod fetch;
pub mod model;
pub mod source;
pub mod store;
