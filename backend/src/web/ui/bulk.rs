//! Bulk actions from the asset list: the selected items are reviewed on `/bulk`, then
//! changed all or nothing (`lifecycle::bulk`). A refusal comes back to the review page
//! (post/redirect/get) with the message naming the item and the typed reason kept.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::flash::done;
use super::layout::{Layout, ok};
use super::views::url_with;
use crate::assets::{self, LabelledAsset};
use crate::error::AppError;
use crate::ids::{AssetId, SiteId};
use crate::lifecycle::bulk::{self, BULK_MAX, BulkMove, BulkTransition};
use crate::rules::State;
use crate::sites::{self, Site};
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Pairs = Vec<(String, String)>;

fn all<'a>(pairs: &'a Pairs, key: &str) -> impl Iterator<Item = &'a str> {
    pairs.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn one(pairs: &Pairs, key: &str) -> String {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
}

/// The selection's ids; an id that is not one is refused by name.
fn ids(pairs: &Pairs) -> Result<Vec<AssetId>, AppError> {
    all(pairs, "ids")
        .map(|v| v.parse().map_err(|_| AppError::invalid("ids", format!("{v:?} does not name an item"))))
        .collect()
}

#[derive(Template)]
#[template(path = "assets/bulk.html")]
pub struct BulkPage {
    l: Layout,
    /// `state` or `move`.
    action: String,
    items: Vec<LabelledAsset>,
    /// States this role may move items to that at least one selected item may move to now.
    states: Vec<State>,
    sites: Vec<Site>,
    chosen: String,
    reason: String,
}

impl BulkPage {
    fn chosen_is(&self, v: &str) -> bool {
        self.chosen == v
    }
}

/// `GET /bulk?ids=…&action=state|move`: the selection and the one form that acts on it.
pub async fn review(req: HttpRequest, state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    let pairs: Pairs = form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let action = match one(&pairs, "action").as_str() {
        "move" => "move",
        _ => "state",
    };
    let ids = ids(&pairs)?;
    if ids.is_empty() {
        return Ok(done("/assets", "Select items first: tick the boxes in the list, then choose an action."));
    }
    if ids.len() > BULK_MAX {
        return Err(AppError::invalid("ids", format!("select at most {BULK_MAX} items at once")).into());
    }
    let found = assets::labelled_by_ids(state.db.conn(), &ids).await?;
    let items: Vec<LabelledAsset> = ids.iter().filter_map(|i| found.get(i).cloned()).collect();
    let role = me.user().role;
    let states: Vec<State> = State::ALL
        .iter()
        .copied()
        .filter(|to| role.may_transition_to(*to))
        .filter(|to| items.iter().any(|i| i.asset.state.next_states().contains(to)))
        .collect();
    let page = BulkPage {
        l: Layout::new(&req, "assets"),
        action: action.to_owned(),
        items,
        states,
        sites: sites::list(state.db.conn()).await?,
        chosen: one(&pairs, if action == "move" { "site_id" } else { "to" }),
        reason: one(&pairs, "reason"),
    };
    ok(&req, &page)
}

/// Back to the review page with the refusal and what was typed.
fn refused(pairs: &Pairs, action: &str, field: &str, e: &AppError) -> HttpResponse {
    let mut params: Vec<(&str, &str)> = all(pairs, "ids").map(|v| ("ids", v)).collect();
    let (chosen, reason) = (one(pairs, field), one(pairs, "reason"));
    params.extend([("action", action), (field, chosen.as_str()), ("reason", reason.as_str())]);
    // The message travels in the one-shot flash (set by reloop, never read from the URL).
    done(&url_with("/bulk", &params), &format!("Nothing was changed. {e}"))
}

fn refusable(e: AppError) -> Result<AppError, AppError> {
    match e {
        e @ (AppError::Invalid(_)
        | AppError::Conflict { .. }
        | AppError::Forbidden(_)
        | AppError::Blocked { .. }
        | AppError::BadRequest { .. }
        | AppError::NotFound { .. }) => Ok(e),
        other => Err(other),
    }
}

/// `POST /bulk/transition`: one state for every selected item.
pub async fn transition(state: Data<AppState>, me: Me, FormBody(pairs): FormBody<Pairs>) -> PageResult<HttpResponse> {
    let to = one(&pairs, "to");
    let req = BulkTransition {
        ids: ids(&pairs)?,
        to: if to.is_empty() { None } else { to.parse().ok() },
        reason: Some(one(&pairs, "reason")),
    };
    let asked = req.to;
    if let Some(s) = asked.filter(|s| s.is_terminal())
        && one(&pairs, "confirm") != "yes"
    {
        let e = AppError::invalid("confirm", format!("tick the box to confirm: {} cannot be undone", s.label()));
        return Ok(refused(&pairs, "state", "to", &e));
    }
    match bulk::transition_many(&state.db, &me.ctx(), req).await {
        Ok(o) => {
            let to = asked.map(|s| s.label()).unwrap_or_default();
            let carried = if o.carried > 0 {
                format!(" ({} more moved along or were already there)", o.carried)
            } else {
                String::new()
            };
            Ok(done("/assets", &format!("{} items are now {to}{carried}.", o.changed)))
        }
        Err(e) => Ok(refused(&pairs, "state", "to", &refusable(e)?)),
    }
}

/// `POST /bulk/move`: one site for every selected item.
pub async fn move_site(state: Data<AppState>, me: Me, FormBody(pairs): FormBody<Pairs>) -> PageResult<HttpResponse> {
    let site = one(&pairs, "site_id");
    let req = BulkMove {
        ids: ids(&pairs)?,
        site_id: if site.is_empty() { None } else { site.parse::<SiteId>().ok() },
        reason: Some(one(&pairs, "reason")),
    };
    let name = match req.site_id {
        Some(s) => sites::get(state.db.conn(), s).await.map(|s| s.name).unwrap_or_default(),
        None => String::new(),
    };
    match bulk::move_many(&state.db, &me.ctx(), req).await {
        Ok(o) => Ok(done("/assets", &format!("{} items moved to {name}, with what is installed in them.", o.changed))),
        Err(e) => Ok(refused(&pairs, "move", "site_id", &refusable(e)?)),
    }
}
