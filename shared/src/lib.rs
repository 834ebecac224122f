//! NBA Trade Tracker core library.
//!
//! Everything the Lambdas and the `tracker` CLI do lives here: [`feed`] parsing,
//! [`classify`] (Trade / Signing / Other with evidence) and its [`eval`]uation.

pub mod classify;
pub mod eval;
pub mod feed;
pub mod fetch;
pub mod source;
