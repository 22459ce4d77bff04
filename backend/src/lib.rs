//! reloop: a self-hosted circular-economy tracker for data-centre hardware.
//!
//! Layers point one way: `web` (HTTP handlers, views, templates) → domain services
//! (`assets`, `lifecycle`, `sites`, `catalog`, …) → persistence (`db`). Domain modules
//! know nothing of actix or askama. See ARCHITECTURE.md.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod catalog;
pub mod cli;
pub mod context;
pub mod db;
pub mod demo;
pub mod error;
pub mod ids;
pub mod lifecycle;
pub mod settings;
pub mod sites;
pub mod text;
pub mod text_enum;
pub mod web;

pub use context::Ctx;
pub use db::Db;
pub use error::{AppError, AppResult};
pub use settings::Settings;
