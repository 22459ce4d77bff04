//! reloop: a self-hosted circular-economy tracker for data-centre hardware.
//!
//! A guided tour, from the floor up (each layer may use only the layers below it; see
//! ARCHITECTURE.md):
//!
//! 1. [`rules`]: the vocabulary and its laws (states and transitions, kinds and
//!    containment, grades, workload tiers, roles). Pure: std and serde only.
//! 2. The kernel every feature shares: [`ids`], [`error`], [`text`] (input hygiene),
//!    [`context`] (who acts, when), [`settings`].
//! 3. [`db`]: connections, write transactions, compare-and-swap saves, entities.
//! 4. [`ledger`] (the hash chain and the lifecycle ledger) and [`audit`] (the trail).
//! 5. Features: [`catalog`], [`sites`], [`assets`] (the registry), [`lifecycle`]
//!    (transitions and tree moves, built on the registry, and pool stays), [`auth`],
//!    [`labels`] (printable QR labels of registered items).
//! 6. The refurbisher's bench, built on lifecycle moves: [`repairs`] (repair orders) and
//!    [`harvest`] (dismantle jobs, the spare pool, reuse figures); [`sanitization`] (records,
//!    certificates, the station) beside them; end of life: [`vendors`] (downstream vendors)
//!    and [`recycling`] (lots, custody, recovery reports against the estimate).
//! 7. Built on all of them: [`policy`] (the next life of each item, a pure engine over one
//!    read model) and [`forecast`] (e-waste to come: pure engines over one read model).
//! 8. [`demo`], then [`web`] (the only module that knows HTTP and templates) and [`cli`].

pub mod assets;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod catalog;
pub mod cli;
pub mod context;
pub mod db;
pub mod demo;
pub mod error;
pub mod forecast;
pub mod harvest;
pub mod ids;
pub mod labels;
pub mod ledger;
pub mod lifecycle;
pub mod metrics;
pub mod overview;
pub mod policy;
pub mod recycling;
pub mod repairs;
pub mod rules;
pub mod sanitization;
pub mod settings;
pub mod sites;
pub mod text;
pub mod vendors;
pub mod web;

pub use context::Ctx;
pub use db::Db;
pub use error::{AppError, AppResult};
pub use settings::Settings;
