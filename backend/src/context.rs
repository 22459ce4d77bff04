//! Who is acting, and when: passed to every service call that writes, so the ledger
//! records it without services reaching for globals.

use chrono::{DateTime, Utc};

#[derive(Clone, Debug)]
pub struct Ctx {
    /// The name recorded as the actor of every change made in this call.
    pub actor: String,
    /// The time recorded for every change made in this call.
    pub now: DateTime<Utc>,
}

impl Ctx {
    pub fn new(actor: impl Into<String>) -> Self {
        Ctx { actor: actor.into(), now: Utc::now() }
    }

    /// A context at a chosen time (the demo fleet backdates its history).
    pub fn at(actor: impl Into<String>, now: DateTime<Utc>) -> Self {
        Ctx { actor: actor.into(), now }
    }
}
