//! The policy engine: the best next life for each item, explained, with carbon payback.
//!
//! - `pack`: a policy pack (TOML) parsed and validated, every problem with line, field
//!   and reason. Pure.
//! - `engine`: plain facts in, ranked options out, each with the rules that fired, what
//!   ruled it out and the numbers behind it. Pure.
//!
//! Invariants:
//! - The engine and the pack know no database, HTTP or clock (`.ci/layering` checks
//!   their imports): the same facts and policy always give the same answer.
//! - Every option carries the rules that fired for it and the inputs of its figures.

pub mod engine;
pub mod pack;
