//! Dismantle jobs and the harvest bench, the spare pool as people browse it, and the reuse
//! figures: every part of a retired item is followed from its donor to the spare pool,
//! resale or the recycling bin, and on to the item it is reused in.
//!
//! Builds on `lifecycle` (detaching parts, their transitions, pool stays) and `catalog`
//! (the model's bill of materials says what the tree should hold).
//!
//! Invariants:
//! - A job opens only on a retired or sanitized item without another open job (a unique
//!   index on `open_asset_id`), and lists every part of its tree plus what the model's
//!   bill of materials expects beyond it.
//! - A line is recorded once: test result, grades, mass, destination (or missing). A part
//!   that failed its test, or a data-bearing part that is not sanitized, goes only to the
//!   recycling bin (`rules::Destination::refusal`, checked when recording and again when
//!   closing).
//! - Closing is one transaction: refused while any line is unrecorded; then every part is
//!   detached (standalone, with its history), moved to its destination's state (missing
//!   parts to `lost`), given a `harvest` ledger entry naming the job, and put into its
//!   pool; the donor becomes `dismantled`.
//! - Reuse figures follow the parts harvested in a period to where they are now, so they
//!   add up: harvested = reused + sold or donated + recycled + waiting.

pub mod embodied;
pub mod model;
pub mod query;
pub mod reuse;
pub mod service;

pub use model::{
    CloseJob, FoundPart, Job, JobDetail, JobQuery, Line, NewJob, PoolEntry, PoolGroup, PoolQuery, PoolView, RecordPart,
    Recorded, ReuseFigures, ReuseQuery,
};
pub use query::{detail, for_asset, list, pool};
pub use reuse::figures;
pub use service::{close, open, record};
