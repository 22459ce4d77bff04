//! Who is acting, and when: passed to every service call that writes, so the ledger and
//! the audit trail record it without services reaching for globals.

use chrono::{DateTime, SubsecRound, Utc};

use crate::ids::UserId;
use crate::rules::Role;

/// The one responsible for a change: a user, or the system itself (CLI, demo, bench).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<UserId>,
    pub name: String,
    /// The user's role; `None` for the system, which the role rules do not limit.
    pub role: Option<Role>,
}

#[derive(Clone, Debug)]
pub struct Ctx {
    pub actor: Actor,
    /// The time recorded for every change made in this call, to the microsecond (what
    /// PostgreSQL keeps, so hashes computed now verify after a round trip).
    pub now: DateTime<Utc>,
}

impl Ctx {
    /// A system actor (no user account) acting now.
    pub fn new(actor: impl Into<String>) -> Self {
        Ctx::at(actor, Utc::now())
    }

    /// A system actor at a chosen time (the demo fleet backdates its history).
    pub fn at(actor: impl Into<String>, now: DateTime<Utc>) -> Self {
        Ctx { actor: Actor { id: None, name: actor.into(), role: None }, now: now.trunc_subsecs(6) }
    }

    /// A signed-in user acting now.
    pub fn user(id: UserId, name: impl Into<String>, role: Role) -> Self {
        Ctx { actor: Actor { id: Some(id), name: name.into(), role: Some(role) }, now: Utc::now().trunc_subsecs(6) }
    }
}
