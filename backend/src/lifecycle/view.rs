//! An item as its page shows it: the item, its place in the tree, its parts with mass, its
//! catalog model and site, the moves open to it and its history (ledger entries and field
//! edits, interleaved).

use sea_orm::ConnectionTrait;

use super::history::{self, HistoryItem};
use crate::assets::{self, Asset, MassSummary, Subtree, TreeNode};
use crate::catalog::HardwareModel;
use crate::error::AppResult;
use crate::ids::AssetId;
use crate::rules::{Page, State};
use crate::sites::{self, Site};

pub struct ItemView {
    pub asset: Asset,
    /// The item and everything installed in it.
    pub tree: TreeNode,
    pub mass: MassSummary,
    pub model: Option<HardwareModel>,
    pub site: Option<Site>,
    /// The items it sits in, from the top down, as (id, tag).
    pub path: Vec<(AssetId, String)>,
    /// The states it may move to now.
    pub allowed: Vec<State>,
    /// Whether parts may be installed in it now.
    pub holds_parts: bool,
    /// Ledger entries and field edits, newest first.
    pub history: Page<HistoryItem>,
}

pub async fn item<C: ConnectionTrait>(
    conn: &C,
    id: AssetId,
    history_cursor: Option<uuid::Uuid>,
    events_limit: u64,
) -> AppResult<ItemView> {
    let Subtree { root: asset, model, tree, mass } = assets::subtree(conn, id).await?;
    let site = match asset.site_id {
        Some(s) => Some(sites::get(conn, s).await?),
        None => None,
    };
    let path = assets::path_to(conn, asset.parent_id).await?;
    let history = history::item_history(conn, id, history_cursor, events_limit).await?;
    Ok(ItemView {
        allowed: asset.state.allowed_next(asset.kind),
        holds_parts: asset.kind.is_container() && asset.state.accepts_parts(),
        asset,
        tree,
        mass,
        model,
        site,
        path,
        history,
    })
}
