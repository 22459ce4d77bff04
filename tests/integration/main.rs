//! reloop's integration tests: one binary; every test runs on SQLite and on PostgreSQL
//! (see `reloop_tests::db_test!`).

// Tests: a failed expectation is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod a11y;
mod access_matrix;
mod accounts_ui;
mod audit;
mod auth;
mod backup;
mod bad_input;
mod bench;
mod bom;
mod browser;
mod bulk;
mod catalog_sites;
mod eol;
mod faults;
mod forecast;
mod fuzz_inputs;
mod health_openapi;
mod history_ui;
mod integrity;
mod labels;
mod lifecycle;
mod list_ui;
mod logs;
mod metrics;
mod openapi;
mod overview;
mod pagination;
mod pg_restart;
mod policy;
mod process;
mod registry;
mod sanitization;
mod seams;
mod search;
mod tree;
mod ui;
mod usability_ui;

pub use reloop_tests::{Backend, Resp, TestApp, db_test, s};
pub use serde_json::{Value, json};
