//! The e-waste forecast: how many tonnes the hardware will become, when, and how much each
//! circular lever saves, in figures an auditor can redo (docs/forecasting.md).
//!
//! - `kernel`: lifespan laws (Weibull with the UNU mid-year convention; tabulated
//!   kernels). Pure.
//! - `fit`: maximum-likelihood Weibull parameters from the registry's history, right
//!   censoring, standard errors and intervals, the minimum-data rule. Pure.
//! - `fleet`: each item in use leaves in a future year with the probability conditional
//!   on its age; expected items, mass and materials per year with exact p5/p95 bands
//!   (`bands`). Pure.
//! - `procurement`: sales–stock–lifespan (the EU WEEE Calculation Tool's method). Pure.
//! - `demand`: the quarterly demand-driven model of generative-AI servers. Pure.
//! - `levers`: lifetime extension, redeployment, harvest and reuse, efficiency gains. Pure.
//! - `input`: problems named by field or CSV row and column; `refdata`: the shipped
//!   defaults with their sources.
//! - `facts`: the one read model (the items in use with their trees, what awaits
//!   disposal, each kind's lifespan history); `model`: requests and answers; `service`
//!   (the fleet, lifespans) and `scenarios` (procurement, demand): check inputs, read the
//!   facts in one snapshot, run the engines, name every source; `cache`: the facts kept
//!   while the records do not change; `chart` and `export`: SVG charts and CSV.
//!
//! Invariants:
//! - The engines know no database, HTTP or clock (`.ci/layering` checks their imports):
//!   the same inputs always give the same figures, and "today" is an input.
//! - Every figure names its method, kernel, parameters and sources in the output; a
//!   default is never used without saying so (a kind without enough history says why it
//!   fell back to its UNU key's default).
//! - Bad input is refused whole, every problem named; nothing is written by a forecast.

pub mod bands;
pub mod cache;
pub mod chart;
pub mod demand;
pub mod export;
pub mod facts;
pub mod fit;
pub mod fleet;
pub mod input;
pub mod kernel;
pub mod levers;
pub mod model;
pub mod procurement;
pub mod refdata;
pub mod scenarios;
pub mod service;

pub use cache::FactsCache;
pub use model::{
    DemandForecast, DemandRequest, FleetForecast, FleetQuery, Lifespans, ProcurementForecast, ProcurementRequest,
};
pub use scenarios::{demand, procurement};
pub use service::{fleet, lifespans};
