//! Lifecycle moves: state transitions and tree moves (install, remove), each a change of
//! the registry with its ledger entries, and the item's history as people read it.
//!
//! Builds on `assets` (rows and site moves) and `ledger`; nothing below imports it.
//!
//! Invariants:
//! - The allowed transitions are one table (`rules::state::TRANSITIONS`); an illegal
//!   transition is refused with a message naming the allowed next states, and terminal
//!   states accept nothing. Role limits (`rules::Role::may_transition_to`) are checked
//!   here too, whichever door the request came through.
//! - An asset's state, parent, site and workload change only together with a ledger entry
//!   in the same transaction; nothing updates them without one.
//! - A parent's transition carries over to installed items as `rules::Cascade` says, each
//!   carried-over item getting its own entry; it is all-or-nothing.
//! - A stale `version` is refused (409) before anything is written.

pub mod bulk;
pub mod gate;
pub mod history;
pub mod model;
pub mod pool;
pub mod transition;
pub mod tree;
pub mod view;

pub use history::{AssetRef, Change, HistoryEntry, HistoryItem, SiteRef, item_history};
pub use model::{Carried, InstallRequest, RemoveRequest, SiteMove, TransitionOutcome, TransitionRequest, TreeChange};
pub use pool::{NewStay, PoolStay};
pub use transition::{ManyPlan, apply_many, apply_plan, plan_many, transition, transition_in};
pub use tree::{install, install_in, remove, remove_in, site_move};
pub use view::{ItemView, item};
