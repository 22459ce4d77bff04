//! The requests that move items, and what a move reports back.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::assets::Asset;
use crate::ids::AssetId;
use crate::rules::{State, WorkloadTier};

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The state to move to.
    pub to: Option<State>,
    /// Why; kept in the ledger.
    #[serde(default)]
    pub reason: Option<String>,
    /// If given, the transition is refused (409) unless the item is still at this version.
    #[serde(default)]
    pub version: Option<i32>,
    /// The workload the item takes on (required when redeploying an item without one).
    #[serde(default)]
    pub workload_tier: Option<WorkloadTier>,
    /// Extra facts to keep with the ledger entry (ticket numbers, buyer, lot…), a JSON object.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub payload: Option<serde_json::Value>,
}

/// An item touched by a transition besides the one asked for.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Carried {
    pub id: AssetId,
    pub asset_tag: String,
    pub from: State,
    pub to: State,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TransitionOutcome {
    pub asset: Asset,
    /// Installed items that moved along (same state before, or the whole tree leaving).
    pub carried: Vec<Carried>,
    /// Items detached from the item by dismantling: they are standalone now.
    pub detached: Vec<AssetId>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallRequest {
    /// The part to install, by id…
    #[serde(default)]
    pub child_id: Option<AssetId>,
    /// …or by asset tag (a barcode scan).
    #[serde(default)]
    pub child_tag: Option<String>,
    /// If given, refused (409) unless the parent is still at this version.
    #[serde(default)]
    pub version: Option<i32>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveRequest {
    /// The state the removed part goes to. By default a part in service returns to
    /// `in_stock` and any other part keeps its state.
    #[serde(default)]
    pub to_state: Option<State>,
    /// If given, refused (409) unless the parent is still at this version.
    #[serde(default)]
    pub version: Option<i32>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TreeChange {
    pub parent: Asset,
    pub child: Asset,
}
