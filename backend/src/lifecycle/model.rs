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
    /// Installing a part that is at another site than the parent moves it (and its parts)
    /// to the parent's site: refused (409 `site_change`, naming both sites) unless this is
    /// true.
    #[serde(default)]
    pub confirm_site_change: bool,
}

/// The site a part would leave and the one it would move to by being installed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SiteMove {
    pub part_tag: String,
    pub parent_tag: String,
    /// The part's site now and the parent's (names; `None`: no site).
    pub from: Option<String>,
    pub to: Option<String>,
}

impl SiteMove {
    /// "Frankfurt", or "no site".
    pub fn from_name(&self) -> &str {
        self.from.as_deref().unwrap_or("no site")
    }

    pub fn to_name(&self) -> &str {
        self.to.as_deref().unwrap_or("no site")
    }
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
