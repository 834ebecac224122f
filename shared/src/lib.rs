//! NBA Trade Tracker core library.
//!
//! Everything the Lambdas and the `tracker` CLI do lives here: [`feed`] parsing,
//! [`classify`] (Trade / Signing / Other with evidence) and its [`eval`]uation, the [`store`]
//! and [`archive`], the [`api`] router and its [`auth`] rules, ingest and [`maintenance`].
//!
//! Cargo features decide what a binary links: `dynamodb`, `s3`, `http` (fetching and ingest),
//! `sqlite`, `jwt` (in-process token verification), `lambda` (the functions' log subscriber),
//! `test-support`.

pub mod alerts;
pub mod api;
pub mod archive;
pub mod auth;
#[cfg(any(feature = "dynamodb", feature = "s3", feature = "sns"))]
pub mod aws;
pub mod backfill;
pub mod classify;
pub mod config;
pub mod emf;
pub mod eval;
pub mod feed;
#[cfg(feature = "http")]
pub mod fetch;
#[cfg(feature = "http")]
pub mod ingest;
#[cfg(feature = "lambda")]
pub mod logs;
pub mod maintenance;
pub mod mentions;
pub mod model;
pub mod players;
pub mod source;
pub mod store;
pub mod stories;
pub mod syndicate;
pub mod teams;
#[cfg(feature = "test-support")]
pub mod testing;
