//! The bench hub and repair pages: open a repair, work on it (notes, labour, parts out
//! and in, reservations), close it.

use std::collections::HashMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::flash::done;
use super::forms::{FormState, refusal};
use super::layout::{Layout, ok, render};
use super::views::short_time;
use crate::assets::{self, TreeNode};
use crate::catalog::{self, HardwareModel, ModelQuery};
use crate::error::AppError;
use crate::harvest::{self, Job, JobQuery};
use crate::ids::{AssetId, RepairId};
use crate::repairs::{
    self, CloseRepair, InstallPart, NewPartOnTheSpot, NewRepair, RemovePart, Repair, RepairDetail, RepairPatch,
    RepairQuery, RepairStats, ReserveSpare, SpareCandidate,
};
use crate::rules::{AssetKind, Destination, FaultCategory, RepairOutcome, WorkStatus};
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

// ---------------------------------------------------------------------------------- hub

#[derive(Template)]
#[template(path = "bench/index.html")]
pub struct HubPage {
    l: Layout,
    form: FormState,
    job_form: FormState,
    faults: &'static [FaultCategory],
    open_repairs: Vec<(Repair, String)>,
    open_jobs: Vec<(Job, String)>,
    closed_repairs: Vec<(Repair, String)>,
    closed_jobs: Vec<(Job, String)>,
    stats: RepairStats,
}

async fn with_tags<T>(
    state: &AppState,
    rows: Vec<T>,
    asset: impl Fn(&T) -> AssetId,
) -> Result<Vec<(T, String)>, AppError> {
    let ids: Vec<AssetId> = rows.iter().map(&asset).collect();
    let tags = assets::read::tags(state.db.conn(), &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = tags.get(&asset(&r)).cloned().unwrap_or_default();
            (r, t)
        })
        .collect())
}

pub(super) async fn hub_page(
    req: &HttpRequest,
    state: &AppState,
    form: FormState,
    job_form: FormState,
) -> Result<HubPage, AppError> {
    let conn = state.db.conn();
    let q = |status| RepairQuery { status: Some(status), limit: Some(50), ..Default::default() };
    let jq = |status| JobQuery { status: Some(status), limit: Some(20), cursor: None };
    Ok(HubPage {
        l: Layout::new(req, "bench"),
        form,
        job_form,
        faults: FaultCategory::ALL,
        open_repairs: with_tags(state, repairs::list(conn, &q(WorkStatus::Open)).await?.items, |r| r.asset_id).await?,
        open_jobs: with_tags(state, harvest::list(conn, &jq(WorkStatus::Open)).await?.items, |j| j.asset_id).await?,
        closed_repairs: with_tags(
            state,
            repairs::list(conn, &RepairQuery { limit: Some(10), ..q(WorkStatus::Closed) }).await?.items,
            |r| r.asset_id,
        )
        .await?,
        closed_jobs: with_tags(
            state,
            harvest::list(conn, &JobQuery { limit: Some(10), ..jq(WorkStatus::Closed) }).await?.items,
            |j| j.asset_id,
        )
        .await?,
        stats: repairs::stats(conn).await?,
    })
}

pub async fn hub(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    ok(&req, &hub_page(&req, &state, FormState::default(), FormState::default()).await?)
}

/// Opens a repair (from the hub or an item's page); refusals show on the hub form.
pub async fn open(req: HttpRequest, state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = NewRepair {
        asset_id: f.parse("asset_id", "is not a valid id"),
        asset_code: f.opt("asset_code"),
        fault_category: f.choice("fault_category"),
        description: f.opt("description"),
        technician: f.opt("technician"),
        asset_version: f.int("asset_version"),
    };
    match f.submit(repairs::open(&state.db, &me.ctx(), input)).await? {
        super::forms::Submitted::Done(r) => {
            Ok(done(&format!("/repairs/{}", r.id), &format!("Repair {} opened; the item is in repair", r.number)))
        }
        super::forms::Submitted::Refused(status) => {
            on_code_field(&mut f);
            render(&req, status, &hub_page(&req, &state, f, FormState::default()).await?)
        }
    }
}

// ---------------------------------------------------------------------------------- repair page

/// A part of the item in repair, for the remove picker.
pub struct PartChoice {
    pub id: AssetId,
    pub label: String,
}

fn choices(node: &TreeNode, depth: usize, out: &mut Vec<PartChoice>) {
    for c in &node.children {
        let indent = "· ".repeat(depth);
        let model = c.model_label.clone().unwrap_or_default();
        out.push(PartChoice {
            id: c.id,
            label: format!(
                "{indent}{} — {}{}{}",
                c.asset_tag,
                c.kind.label(),
                if model.is_empty() { "" } else { ", " },
                model
            ),
        });
        choices(c, depth + 1, out);
    }
}

#[derive(Template)]
#[template(path = "bench/repair.html")]
pub struct RepairPage {
    l: Layout,
    r: RepairDetail,
    opened: String,
    closed: String,
    parts_in_item: Vec<PartChoice>,
    containers: Vec<PartChoice>,
    candidates: Vec<SpareCandidate>,
    kinds: &'static [AssetKind],
    models: Vec<HardwareModel>,
    outcomes: &'static [RepairOutcome],
    removed_to: &'static [Destination],
    form: FormState,
    error: Option<String>,
    /// The item is retired by this repair and has no dismantle job yet.
    offer_dismantle: bool,
}

impl RepairPage {
    fn is_open(&self) -> bool {
        self.r.repair.status == WorkStatus::Open
    }
}

async fn repair_page(
    req: &HttpRequest,
    state: &AppState,
    id: RepairId,
    form: FormState,
    error: Option<String>,
) -> Result<RepairPage, AppError> {
    let conn = state.db.conn();
    let r = repairs::detail(conn, id).await?;
    let tree = assets::subtree(conn, r.repair.asset_id).await?.tree;
    let mut parts_in_item = Vec::new();
    choices(&tree, 0, &mut parts_in_item);
    let mut containers = vec![PartChoice { id: tree.id, label: format!("{} (the item itself)", tree.asset_tag) }];
    let mut stack = vec![&tree];
    while let Some(n) = stack.pop() {
        for c in &n.children {
            if c.kind.is_container() {
                containers.push(PartChoice { id: c.id, label: format!("{} — {}", c.asset_tag, c.kind.label()) });
            }
            stack.push(c);
        }
    }
    let open = r.repair.status == WorkStatus::Open;
    let candidates = if open { repairs::candidates(conn, id, 30).await? } else { Vec::new() };
    let offer_dismantle = r.repair.outcome == Some(RepairOutcome::NotRepairable)
        && r.asset_state.can_dismantle()
        && harvest::for_asset(conn, r.repair.asset_id).await?.is_empty();
    Ok(RepairPage {
        l: Layout::new(req, "bench"),
        opened: short_time(r.repair.opened_at),
        closed: r.repair.closed_at.map(short_time).unwrap_or_default(),
        parts_in_item,
        containers,
        candidates,
        kinds: AssetKind::ALL,
        models: catalog::list(conn, &ModelQuery { limit: Some(500), ..Default::default() }).await?.items,
        outcomes: RepairOutcome::ALL,
        removed_to: REMOVED_TO,
        form,
        error,
        offer_dismantle,
        r,
    })
}

pub async fn show(req: HttpRequest, state: Data<AppState>, id: Path<RepairId>) -> PageResult<HttpResponse> {
    ok(&req, &repair_page(&req, &state, *id, FormState::default(), None).await?)
}

/// Runs one action on a repair: on success back to its page with `message`, else the page
/// again with the refusal and what was typed.
async fn act(
    req: &HttpRequest,
    state: &AppState,
    id: RepairId,
    f: FormState,
    call: impl std::future::Future<Output = Result<Repair, AppError>>,
    message: impl FnOnce(&Repair) -> String,
) -> PageResult<HttpResponse> {
    if let Some((field, msg)) = f.errors.iter().next().map(|(k, v)| (k.clone(), v.clone())) {
        let shown = Some(format!("{field}: {msg}"));
        let status = refusal(AppError::invalid(field, msg))?.0;
        return render(req, status, &repair_page(req, state, id, f, shown).await?);
    }
    match call.await {
        Ok(r) => Ok(done(&format!("/repairs/{id}"), &message(&r))),
        Err(e) => {
            let (status, e) = refusal(e)?;
            let mut shown = f.clone();
            shown.absorb(&e);
            render(req, status, &repair_page(req, state, id, shown, Some(e.to_string())).await?)
        }
    }
}

fn version(f: &mut FormState) -> i32 {
    let v = f.int("version");
    if v.is_none() {
        f.fail("version", "the form lost its version; reload the page");
    }
    v.unwrap_or(0)
}

pub async fn update(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<RepairId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let patch = RepairPatch {
        version: version(&mut f),
        technician: f.opt("technician"),
        labour_minutes: f.int("labour_minutes"),
        parts_cost: f.number("parts_cost"),
        note: f.opt("note"),
    };
    let ctx = me.ctx();
    let call = repairs::update(&state.db, &ctx, *id, patch);
    act(&req, &state, *id, f, call, |r| format!("Saved {}", r.number)).await
}

pub async fn remove_part(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<RepairId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = RemovePart {
        version: version(&mut f),
        part_id: f.parse("part_id", "choose a part"),
        part_code: f.opt("part_code"),
        destination: f.choice("destination"),
        reason: f.opt("reason"),
    };
    let dest = input.destination;
    let ctx = me.ctx();
    let call = repairs::remove_part(&state.db, &ctx, *id, input);
    act(&req, &state, *id, f, call, |_| {
        format!("Part removed; it is in the {}", dest.map(|d| d.label().to_lowercase()).unwrap_or_default())
    })
    .await
}

pub async fn install_part(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<RepairId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let new_part = f.opt("new_tag").map(|tag| NewPartOnTheSpot {
        asset_tag: tag,
        kind: f.choice("new_kind"),
        model_id: f.parse("new_model_id", "is not a known model"),
        manufacturer: f.opt("new_manufacturer"),
        serial: f.opt("new_serial"),
    });
    let input = InstallPart {
        version: version(&mut f),
        part_id: f.parse("part_id", "is not a valid id"),
        part_code: f.opt("part_code"),
        new_part,
        parent_id: f.parse("parent_id", "choose where it goes"),
        reason: None,
    };
    let ctx = me.ctx();
    let call = repairs::install_part(&state.db, &ctx, *id, input);
    act(&req, &state, *id, f, call, |_| "Part installed".to_owned()).await
}

pub async fn reserve(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<RepairId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let release = f.val("release") == "1";
    let part: Option<AssetId> = f.parse("part_id", "is not a valid id");
    let input = ReserveSpare { version: version(&mut f), part_id: part.unwrap_or_default(), release };
    if part.is_none() {
        f.fail("part_id", "choose a spare");
    }
    let ctx = me.ctx();
    let call = repairs::reserve(&state.db, &ctx, *id, input);
    act(&req, &state, *id, f, call, move |_| {
        if release { "Spare released".into() } else { "Spare reserved for this repair".into() }
    })
    .await
}

pub async fn close(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<RepairId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = CloseRepair { version: version(&mut f), outcome: f.choice("outcome"), note: f.opt("note") };
    if input.outcome.is_none() && !f.errors.contains_key("outcome") {
        f.fail("outcome", "choose how the repair ended");
    }
    let ctx = me.ctx();
    let call = repairs::close(&state.db, &ctx, *id, input);
    act(&req, &state, *id, f, call, |r| match r.outcome {
        Some(RepairOutcome::NotRepairable) => {
            format!("{} closed: not repairable; the item is retired and can be dismantled", r.number)
        }
        Some(o) => format!("{} closed: {}; the item is back in service", r.number, o.label().to_lowercase()),
        None => format!("{} closed", r.number),
    })
    .await
}

/// For templates: the pools a removed part can go to.
pub const REMOVED_TO: &[Destination] = &[Destination::SparePool, Destination::RecyclingBin];

/// A refusal about the item (`asset_id`) shows next to the field people typed it in.
pub(super) fn on_code_field(f: &mut FormState) {
    if let Some(e) = f.errors.remove("asset_id") {
        f.fail("asset_code", e);
    }
}
