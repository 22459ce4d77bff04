//! Plays the demo plan through the domain services, in time order, with backdated
//! contexts: registration, transitions, installs and removals, moves and edits all go
//! through the same code paths as the UI and the API, so the ledger is a real history.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, anyhow};
use chrono::{DateTime, Datelike, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::data::{Demo, DemoVendor, ServerConfig, SiteKey};
use super::plan::{self, Action, Plan, Role, ServerAction};
use crate::assets::{self, AssetPatch, NewAsset};
use crate::context::Ctx;
use crate::db::Db;
use crate::error::AppError;
use crate::harvest::{self, CloseJob, NewJob, RecordPart};
use crate::ids::{AssetId, JobId, LotId, ModelId, RepairId, SiteId, VendorId};
use crate::lifecycle::{self, InstallRequest, TransitionRequest};
use crate::recycling::{self, AddItems, NewCustody, NewLot, NewReport, Recovered, ShipLot};
use crate::repairs::{self, CloseRepair, InstallPart, NewRepair, RemovePart};
use crate::rules::{
    AssetKind, CosmeticGrade, Destination, FunctionalGrade, Grade, Material, MethodClass, RetailGrade,
    SanitizationResult, State, Technique, TestResult, TreatmentRoute, Verification, WorkloadTier,
};
use crate::sanitization::{self, BatchScan, NewBatch, NewRecord};
use crate::vendors::{self, Certification, NewVendor};

/// A service error as an `anyhow` error that keeps every field message.
fn app_err(e: AppError, what: String) -> anyhow::Error {
    match e {
        AppError::Invalid(fields) => {
            let list: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
            anyhow!("{what}: invalid input: {}", list.join("; "))
        }
        other => {
            let code = other.code();
            anyhow::Error::new(other).context(format!("{what} ({code})"))
        }
    }
}

trait ServiceResult<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> anyhow::Result<T>;
}

impl<T> ServiceResult<T> for Result<T, AppError> {
    fn ctx(self, what: impl FnOnce() -> String) -> anyhow::Result<T> {
        self.map_err(|e| app_err(e, what()))
    }
}

/// What the executor needs to know about a catalog model.
#[derive(Clone, Debug)]
pub struct ModelInfo {
    pub id: ModelId,
    pub label: String,
    pub manufacturer: String,
    pub kind: AssetKind,
}

#[derive(Clone, Debug)]
struct Part {
    id: AssetId,
    tag: String,
    model: &'static str,
}

/// A server as the executor tracks it: what is installed where.
struct Rt {
    id: AssetId,
    tag: String,
    site: SiteKey,
    cfg: &'static ServerConfig,
    board: Part,
    baseboard: Option<Part>,
    cpus: Vec<Part>,
    dimms: Vec<Part>,
    gpus: Vec<Part>,
    board_drives: Vec<Part>,
    drives: Vec<Part>,
    psus: Vec<Part>,
    nics: Vec<Part>,
    /// The open repair order and its version.
    repair: Option<(RepairId, i32)>,
    /// The open dismantle job.
    job: Option<JobId>,
}

/// A part in stock that repairs and upgrades may use.
struct Spare {
    part: Part,
    site: SiteKey,
    ready: DateTime<Utc>,
    harvested: bool,
}

/// An item waiting for the next recycling lot.
struct Pending {
    id: AssetId,
    ready: DateTime<Utc>,
}

pub struct Exec<'a> {
    db: &'a Db,
    data: &'static Demo,
    shift: Duration,
    models: HashMap<&'static str, ModelInfo>,
    sites: HashMap<SiteKey, SiteId>,
    servers: Vec<Option<Rt>>,
    spares: HashMap<&'static str, Vec<Spare>>,
    pending: Vec<Pending>,
    /// Shipped lots waiting for their recovery report, by plan index.
    lots: HashMap<usize, LotId>,
    /// The downstream vendors, by key in `downstream.toml`.
    vendors: HashMap<String, VendorId>,
    serials: HashSet<(String, String)>,
    rng: StdRng,
    spare_seq: usize,
    /// Harvested DIMMs installed in other servers (repairs and upgrades).
    pub reused_dimms: usize,
    pub swaps: usize,
    dismantled: usize,
    /// Whether the demo's one failed sanitization has happened.
    failed_sanitization: bool,
}

const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const DELL_TAG: &[u8] = b"0123456789BCDFGHJKLMNPQRSTVWXYZ";
const HEX: &[u8] = b"0123456789ABCDEF";
const DIGITS: &[u8] = b"0123456789";

fn pick(rng: &mut StdRng, alphabet: &[u8], n: usize) -> String {
    (0..n).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect()
}

impl<'a> Exec<'a> {
    pub fn new(
        db: &'a Db,
        data: &'static Demo,
        shift: Duration,
        models: HashMap<&'static str, ModelInfo>,
        sites: HashMap<SiteKey, SiteId>,
        servers: usize,
    ) -> Self {
        Exec {
            db,
            data,
            shift,
            models,
            sites,
            servers: (0..servers).map(|_| None).collect(),
            spares: HashMap::new(),
            pending: Vec::new(),
            lots: HashMap::new(),
            vendors: HashMap::new(),
            serials: HashSet::new(),
            rng: StdRng::seed_from_u64(plan::SEED ^ 0x5e71a1),
            spare_seq: 0,
            reused_dimms: 0,
            swaps: 0,
            dismantled: 0,
            failed_sanitization: false,
        }
    }

    fn ctx(&self, actor: &str, at: DateTime<Utc>) -> Ctx {
        Ctx::at(format!("demo:{actor}"), at - self.shift)
    }

    fn ops(&self, site: SiteKey) -> String {
        match site {
            SiteKey::Wh => "refurb-utr".to_owned(),
            s => format!("dc-ops-{}", self.data.site(s).code),
        }
    }

    fn model(&self, key: &str) -> anyhow::Result<&ModelInfo> {
        self.models.get(key).with_context(|| format!("the demo catalog has no model {key}"))
    }

    fn site_id(&self, key: SiteKey) -> anyhow::Result<SiteId> {
        self.sites.get(&key).copied().with_context(|| format!("site {key:?} was not created"))
    }

    /// A serial number in the manufacturer's usual shape, unique per manufacturer.
    fn serial(&mut self, model: &str, made: DateTime<Utc>) -> anyhow::Result<String> {
        let info = self.model(model)?.clone();
        let yy = made.year() % 100;
        let ww = made.iso_week().week();
        for _ in 0..100 {
            let r = &mut self.rng;
            let s = match (info.manufacturer.as_str(), info.kind) {
                ("Dell", AssetKind::Server) => pick(r, DELL_TAG, 7),
                ("Dell", _) => format!("CN0{}{}{:02}{}", pick(r, ALNUM, 5), pick(r, DIGITS, 5), yy, pick(r, ALNUM, 5)),
                ("HPE", AssetKind::Server) => {
                    format!("CZJ{}{:02}{}", yy % 10, ww, pick(r, ALNUM, 4))
                }
                ("HPE", _) => format!("{}B{}", pick(r, ALNUM, 5), pick(r, ALNUM, 8)),
                ("Lenovo", AssetKind::Server) => format!("J{}", pick(r, ALNUM, 7)),
                ("Lenovo", _) => format!("D1{}", pick(r, ALNUM, 10)),
                ("NVIDIA", AssetKind::Server) => format!("1{}", pick(r, DIGITS, 12)),
                ("NVIDIA", AssetKind::Gpu) => format!("16{}", pick(r, DIGITS, 11)),
                ("NVIDIA", AssetKind::Nic) => format!("MT{yy:02}{ww:02}X{}", pick(r, DIGITS, 5)),
                ("Samsung" | "SK hynix", AssetKind::Dimm) => pick(r, HEX, 8),
                ("Samsung", _) => format!("S{}NA0{}{}", pick(r, ALNUM, 3), pick(r, ALNUM, 1), pick(r, DIGITS, 6)),
                ("Seagate", _) => {
                    let prefix = if model.contains("exos.x12") {
                        "ZJV"
                    } else if model.contains("10e2400") {
                        "WFK"
                    } else {
                        "HKT"
                    };
                    format!("{prefix}{}", pick(r, ALNUM, 5))
                }
                ("Intel" | "AMD", AssetKind::Cpu) => pick(r, HEX, 16),
                (_, AssetKind::Battery) => format!("BBU{}", pick(r, DIGITS, 10)),
                _ => pick(r, ALNUM, 12),
            };
            if self.serials.insert((info.manufacturer.to_lowercase(), s.to_lowercase())) {
                return Ok(s);
            }
        }
        Err(anyhow!("could not find a free serial for {model}"))
    }

    /// A new item of `model`, made around `made` and delivered at `delivered`.
    fn new_asset(
        &mut self,
        tag: String,
        model: &'static str,
        parent_tag: Option<&str>,
        made: DateTime<Utc>,
        delivered: DateTime<Utc>,
    ) -> anyhow::Result<(NewAsset, Part)> {
        let info = self.model(model)?.clone();
        let serial = self.serial(model, made)?;
        let part = Part { id: AssetId(uuid::Uuid::nil()), tag: tag.clone(), model };
        Ok((
            NewAsset {
                asset_tag: tag,
                serial: Some(serial),
                model_id: Some(info.id),
                parent_tag: parent_tag.map(str::to_owned),
                acquired_on: Some((delivered - self.shift).date_naive()),
                ..Default::default()
            },
            part,
        ))
    }

    /// Plays the whole plan.
    pub async fn run(&mut self, plan: &Plan) -> anyhow::Result<()> {
        let total = plan.schedule.len();
        for (n, step) in plan.schedule.iter().enumerate() {
            let at = step.at;
            match &step.action {
                Action::RegisterPo(i) => self.register_po(plan, *i).await?,
                Action::RegisterBatteries => self.register_batteries(at).await?,
                Action::Server(i, a) => {
                    let mut rt =
                        self.servers[*i].take().with_context(|| format!("server {i} acts before it is registered"))?;
                    let res = self.server_action(&mut rt, at, a).await;
                    let tag = rt.tag.clone();
                    self.servers[*i] = Some(rt);
                    res.with_context(|| format!("{tag} at {}", at - self.shift))?;
                }
                Action::RecyclingLot(i) => self.recycling_lot(plan, *i, at).await?,
                Action::RecoverLot(i) => self.recover_lot(plan, *i, at).await?,
            }
            if n % 500 == 499 {
                tracing::debug!("demo: {} of {total} steps played", n + 1);
            }
        }
        let end = plan::history_end()? - self.shift;
        self.bench_in_progress(end).await?;
        self.lot_in_progress(end + self.shift).await
    }

    /// The bench as it stands at the end of the history: the last two sanitized servers
    /// are on the harvest bench, their dismantle jobs open with the first half of their
    /// parts recorded (tested good, into the spare pool).
    async fn bench_in_progress(&mut self, end: DateTime<Utc>) -> anyhow::Result<()> {
        let mut chosen = Vec::new();
        for rt in self.servers.iter().rev().flatten() {
            if chosen.len() == 2 {
                break;
            }
            if assets::get(self.db.conn(), rt.id).await.ctx(|| format!("reading {}", rt.tag))?.state == State::Sanitized
            {
                chosen.push((rt.id, rt.tag.clone()));
            }
        }
        for (k, (id, tag)) in chosen.into_iter().enumerate() {
            let mut t = end - Duration::hours(30 - 6 * k as i64);
            let ctx = self.ctx("refurb-utr", t);
            let input = NewJob {
                asset_id: Some(id),
                note: Some("dismantling for parts; bench in progress".into()),
                ..Default::default()
            };
            let job = harvest::open(self.db, &ctx, input).await.ctx(|| format!("opening a dismantle job on {tag}"))?;
            let sheet = harvest::detail(self.db.conn(), job.id).await.ctx(|| format!("reading the job of {tag}"))?;
            let half = sheet.lines.len() / 2;
            for line in sheet.lines.iter().filter(|l| l.asset_id.is_some()).take(half) {
                t += Duration::minutes(3);
                let ctx = self.ctx("refurb-utr", t);
                let input =
                    RecordPart { line_id: Some(line.id), test_result: Some(TestResult::Passed), ..Default::default() };
                harvest::record(self.db, &ctx, job.id, input).await.ctx(|| format!("recording a part of {tag}"))?;
            }
        }
        Ok(())
    }

    async fn register_po(&mut self, plan: &Plan, i: usize) -> anyhow::Result<()> {
        let po = &plan.pos[i];
        let cfg = po.config;
        let made = po.delivered - Duration::days(30);
        let site_id = self.site_id(po.site)?;
        let mut items = Vec::new();
        let mut layouts = Vec::new();
        for k in po.servers.clone() {
            let tag = plan.servers[k].tag.clone();
            let first = items.len();
            let (mut server, _) = self.new_asset(tag.clone(), &cfg.server, None, made, po.delivered)?;
            server.site_id = Some(site_id);
            server.custodian = Some(po.custodian.to_owned());
            server.notes = Some(format!(
                "Delivered with {} ({} × {}).",
                po.number,
                po.servers.len(),
                self.model(&cfg.server)?.label
            ));
            let since = plan.servers[k].in_service_since;
            if let Some(since) = since {
                server.workload_tier = Some(po.tier);
                server.notes = Some(format!(
                    "Delivered with {} ({} × {}) on {}, in service since {}; registered at the inventory intake when recording began.",
                    po.number,
                    po.servers.len(),
                    self.model(&cfg.server)?.label,
                    (po.delivered - self.shift).date_naive(),
                    (since - self.shift).date_naive()
                ));
            }
            items.push(server);
            let board_tag = format!("{tag}-MB");
            let mut parts: Vec<(&str, Part)> = Vec::new();
            let mut add = |me: &mut Self,
                           items: &mut Vec<NewAsset>,
                           role: &'static str,
                           t: String,
                           model: &'static str,
                           parent: &str|
             -> anyhow::Result<()> {
                let (a, p) = me.new_asset(t, model, Some(parent), made, po.delivered)?;
                items.push(a);
                parts.push((role, p));
                Ok(())
            };
            add(self, &mut items, "board", board_tag.clone(), &cfg.board, &tag)?;
            for c in 1..=cfg.cpus {
                add(self, &mut items, "cpu", format!("{tag}-C{c}"), po.cpu, &board_tag)?;
            }
            for d in 1..=cfg.dimms {
                add(self, &mut items, "dimm", format!("{tag}-D{d:02}"), &cfg.dimm, &board_tag)?;
            }
            if let Some(g) = &cfg.gpus {
                let gpu_parent = match &g.baseboard {
                    Some(bb) => {
                        let bb_tag = format!("{tag}-GB");
                        add(self, &mut items, "baseboard", bb_tag.clone(), bb, &tag)?;
                        bb_tag
                    }
                    None => board_tag.clone(),
                };
                for n in 1..=g.count {
                    add(self, &mut items, "gpu", format!("{tag}-G{n}"), &g.gpu, &gpu_parent)?;
                }
            }
            let mut m = 0;
            for (model, count) in &cfg.board_drives {
                for _ in 0..*count {
                    m += 1;
                    add(self, &mut items, "board_drive", format!("{tag}-M{m}"), model, &board_tag)?;
                }
            }
            let mut s = 0;
            for (model, count) in &cfg.drives {
                for _ in 0..*count {
                    s += 1;
                    add(self, &mut items, "drive", format!("{tag}-S{s:02}"), model, &tag)?;
                }
            }
            for p in 1..=cfg.psus {
                add(self, &mut items, "psu", format!("{tag}-P{p}"), &cfg.psu, &tag)?;
            }
            let mut n = 0;
            for (model, count) in &cfg.nics {
                for _ in 0..*count {
                    n += 1;
                    add(self, &mut items, "nic", format!("{tag}-N{n}"), model, &tag)?;
                }
            }
            // Kit already in service: the server and its parts are registered deployed.
            if let Some(since) = since {
                for a in &mut items[first..] {
                    a.state = Some(State::Deployed);
                    a.first_deployed_on = Some((since - self.shift).date_naive());
                }
            }
            layouts.push((k, tag, parts));
        }
        let mut spare_parts = Vec::new();
        for &(model, count) in &po.spares {
            for _ in 0..count {
                self.spare_seq += 1;
                let (mut a, p) =
                    self.new_asset(format!("RL-SP-{:06}", self.spare_seq), model, None, made, po.delivered)?;
                a.site_id = Some(site_id);
                a.custodian = Some(format!("{} spares", self.data.site(po.site).name));
                a.notes = Some(format!("On-site spares kit delivered with {}.", po.number));
                items.push(a);
                spare_parts.push(p);
            }
        }
        let ctx = self.ctx("procurement", po.at);
        let n_items = items.len();
        let rows = assets::register(self.db, &ctx, items, true)
            .await
            .ctx(|| format!("registering {} ({n_items} items)", po.number))?;
        let ids: HashMap<String, AssetId> = rows.into_iter().map(|a| (a.asset_tag, a.id)).collect();
        let id_of = |tag: &str| ids.get(tag).copied().with_context(|| format!("{tag} was not registered"));
        for mut p in spare_parts {
            p.id = id_of(&p.tag)?;
            let model = p.model;
            self.spares.entry(model).or_default().push(Spare {
                part: p,
                site: po.site,
                ready: po.at,
                harvested: false,
            });
        }
        for (k, tag, parts) in layouts {
            let mut rt = Rt {
                id: id_of(&tag)?,
                tag,
                site: po.site,
                cfg,
                board: Part { id: AssetId(uuid::Uuid::nil()), tag: String::new(), model: &cfg.board },
                baseboard: None,
                cpus: Vec::new(),
                dimms: Vec::new(),
                gpus: Vec::new(),
                board_drives: Vec::new(),
                drives: Vec::new(),
                psus: Vec::new(),
                nics: Vec::new(),
                repair: None,
                job: None,
            };
            for (role, mut p) in parts {
                p.id = id_of(&p.tag)?;
                match role {
                    "board" => rt.board = p,
                    "baseboard" => rt.baseboard = Some(p),
                    "cpu" => rt.cpus.push(p),
                    "dimm" => rt.dimms.push(p),
                    "gpu" => rt.gpus.push(p),
                    "board_drive" => rt.board_drives.push(p),
                    "drive" => rt.drives.push(p),
                    "psu" => rt.psus.push(p),
                    _ => rt.nics.push(p),
                }
            }
            self.servers[k] = Some(rt);
        }
        Ok(())
    }

    async fn register_batteries(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        let mut items = Vec::new();
        let data = self.data;
        for s in data.sites.iter().filter(|s| s.key != SiteKey::Wh) {
            for n in 1..=2 {
                let (mut a, _) = self.new_asset(
                    format!("RL-BBU-{}-{n}", s.code.to_uppercase()),
                    "bbu.orv3",
                    None,
                    at - Duration::days(20),
                    at,
                )?;
                a.site_id = Some(self.site_id(s.key)?);
                a.state = Some(State::Deployed);
                a.custodian = Some("Facilities".into());
                a.notes = Some(format!("Rack battery backup for the {} AI racks.", s.name));
                items.push(a);
            }
        }
        let ctx = self.ctx("facilities", at);
        assets::register(self.db, &ctx, items, true).await.ctx(|| "registering the rack batteries".into())?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn transition(
        &self,
        ctx: &Ctx,
        id: AssetId,
        tag: &str,
        to: State,
        tier: Option<WorkloadTier>,
        reason: String,
        payload: Value,
    ) -> anyhow::Result<()> {
        let req = TransitionRequest {
            to: Some(to),
            reason: Some(reason),
            version: None,
            workload_tier: tier,
            payload: Some(payload),
        };
        lifecycle::transition(self.db, ctx, id, req).await.ctx(|| format!("{tag} → {to}"))?;
        Ok(())
    }

    async fn patch(&self, ctx: &Ctx, id: AssetId, tag: &str, f: impl FnOnce(&mut AssetPatch)) -> anyhow::Result<()> {
        let cur = assets::get(self.db.conn(), id).await.ctx(|| format!("reading {tag}"))?;
        let mut patch = AssetPatch { version: cur.version, ..Default::default() };
        f(&mut patch);
        assets::update(self.db, ctx, id, patch).await.ctx(|| format!("updating {tag}"))?;
        Ok(())
    }

    async fn grade(&self, ctx: &Ctx, part: &Part, grade: Grade, why: &str) -> anyhow::Result<()> {
        let why = why.to_owned();
        self.patch(ctx, part.id, &part.tag, |p| {
            p.grade = Some(grade);
            p.notes = Some(why);
        })
        .await
    }

    async fn install(
        &self,
        ctx: &Ctx,
        parent: AssetId,
        parent_tag: &str,
        part: &Part,
        reason: String,
    ) -> anyhow::Result<()> {
        // Harvested spares come from the pool wherever they were harvested: the demo's
        // operators mean the move between sites.
        let req = InstallRequest {
            child_id: Some(part.id),
            reason: Some(reason),
            confirm_site_change: true,
            ..Default::default()
        };
        lifecycle::install(self.db, ctx, parent, req)
            .await
            .ctx(|| format!("installing {} in {parent_tag}", part.tag))?;
        Ok(())
    }

    async fn server_action(&mut self, rt: &mut Rt, at: DateTime<Utc>, a: &ServerAction) -> anyhow::Result<()> {
        let ctx = self.ctx(&self.ops(rt.site), at);
        match a {
            ServerAction::Transition { to, tier, reason, payload } => {
                self.transition(&ctx, rt.id, &rt.tag, *to, *tier, reason.clone(), payload.clone()).await?;
            }
            ServerAction::Move { site, custodian, reason } => {
                let site_id = self.site_id(*site)?;
                let reason = reason.clone();
                self.patch(&ctx, rt.id, &rt.tag, |p| {
                    p.site_id = Some(Some(site_id));
                    p.custodian = custodian.map(str::to_owned);
                    p.reason = Some(reason);
                })
                .await?;
                rt.site = *site;
            }
            ServerAction::Workload { tier, reason } => {
                let reason = reason.clone();
                self.patch(&ctx, rt.id, &rt.tag, |p| {
                    p.workload_tier = Some(*tier);
                    p.reason = Some(reason);
                })
                .await?;
            }
            ServerAction::Grade { grade, reason } => {
                let server = Part { id: rt.id, tag: rt.tag.clone(), model: &rt.cfg.server };
                self.grade(&ctx, &server, *grade, reason).await?;
            }
            ServerAction::OpenRepair { fault, reason } => {
                let input = NewRepair {
                    asset_id: Some(rt.id),
                    fault_category: Some(*fault),
                    description: Some(reason.clone()),
                    technician: Some(ctx.actor.name.clone()),
                    ..Default::default()
                };
                let r = repairs::open(self.db, &ctx, input).await.ctx(|| format!("opening a repair on {}", rt.tag))?;
                rt.repair = Some((r.id, r.version));
            }
            ServerAction::CloseRepair { outcome, note } => {
                let (id, version) = rt.repair.take().with_context(|| format!("{} has no open repair", rt.tag))?;
                let input = CloseRepair { version, outcome: Some(*outcome), note: Some(note.clone()) };
                repairs::close(self.db, &ctx, id, input).await.ctx(|| format!("closing the repair of {}", rt.tag))?;
            }
            ServerAction::OpenDismantle => {
                let input = NewJob {
                    asset_id: Some(rt.id),
                    note: Some("dismantled for parts harvest".into()),
                    ..Default::default()
                };
                let ctx = self.ctx("refurb-utr", at);
                let j = harvest::open(self.db, &ctx, input)
                    .await
                    .ctx(|| format!("opening a dismantle job on {}", rt.tag))?;
                rt.job = Some(j.id);
            }
            ServerAction::Swap { role, reason } => self.swap(rt, at, *role, reason).await?,
            ServerAction::SanitizeDrives => self.sanitize_drives(rt, at).await?,
            ServerAction::Harvest => self.harvest(rt, at).await?,
            ServerAction::Upgrade { dimms } => self.upgrade(rt, at, *dimms).await?,
        }
        Ok(())
    }

    /// A spare of `model` for a repair at `site`: harvested parts first, then the site's
    /// spares kit, then any spare, else a replacement delivered by the vendor.
    async fn take_spare(
        &mut self,
        model: &'static str,
        site: SiteKey,
        at: DateTime<Utc>,
    ) -> anyhow::Result<(Part, bool)> {
        let pool = self.spares.entry(model).or_default();
        let pos = pool
            .iter()
            .position(|s| s.harvested && s.ready <= at)
            .or_else(|| pool.iter().position(|s| s.site == site && s.ready <= at))
            .or_else(|| pool.iter().position(|s| s.ready <= at));
        if let Some(p) = pos {
            let s = pool.remove(p);
            return Ok((s.part, s.harvested));
        }
        self.spare_seq += 1;
        let (mut a, mut p) =
            self.new_asset(format!("RL-SP-{:06}", self.spare_seq), model, None, at - Duration::days(60), at)?;
        a.site_id = Some(self.site_id(site)?);
        a.custodian = Some(format!("{} spares", self.data.site(site).name));
        a.notes = Some("Advance replacement from the vendor under warranty.".into());
        let ctx = self.ctx(&self.ops(site), at);
        let rows =
            assets::register(self.db, &ctx, vec![a], true).await.ctx(|| format!("registering spare {}", p.tag))?;
        p.id = rows.first().map(|r| r.id).context("register returned no row")?;
        Ok((p, false))
    }

    async fn swap(&mut self, rt: &mut Rt, at: DateTime<Utc>, role: Role, reason: &str) -> anyhow::Result<()> {
        let role = match role {
            Role::Drive if rt.drives.is_empty() => Role::Psu,
            Role::Gpu if rt.gpus.is_empty() => Role::Dimm,
            r => r,
        };
        let (parent, parent_tag) = match role {
            Role::Dimm => (rt.board.id, rt.board.tag.clone()),
            Role::Gpu => match &rt.baseboard {
                Some(b) => (b.id, b.tag.clone()),
                None => (rt.board.id, rt.board.tag.clone()),
            },
            Role::Drive | Role::Psu => (rt.id, rt.tag.clone()),
        };
        let len = match role {
            Role::Dimm => rt.dimms.len(),
            Role::Gpu => rt.gpus.len(),
            Role::Drive => rt.drives.len(),
            Role::Psu => rt.psus.len(),
        };
        if len == 0 {
            return Ok(());
        }
        let k = self.rng.random_range(0..len);
        let failed = match role {
            Role::Dimm => rt.dimms[k].clone(),
            Role::Gpu => rt.gpus[k].clone(),
            Role::Drive => rt.drives[k].clone(),
            Role::Psu => rt.psus[k].clone(),
        };
        let ops = self.ops(rt.site);
        let ctx = self.ctx(&ops, at);
        let (rid, version) = rt.repair.with_context(|| format!("{}: a swap outside a repair", rt.tag))?;
        let out = RemovePart {
            version,
            part_id: Some(failed.id),
            destination: Some(Destination::RecyclingBin),
            reason: Some(format!("failed: {reason}")),
            ..Default::default()
        };
        let r = repairs::remove_part(self.db, &ctx, rid, out).await.ctx(|| format!("removing {}", failed.tag))?;
        let (spare, harvested) = self.take_spare(failed.model, rt.site, at).await?;
        let ctx = self.ctx(&ops, at + Duration::minutes(25));
        let why = if harvested {
            format!("replaces failed {} (harvested part from the spare pool)", failed.tag)
        } else {
            format!("replaces failed {}", failed.tag)
        };
        let into = InstallPart {
            version: r.version,
            part_id: Some(spare.id),
            parent_id: Some(parent),
            reason: Some(why),
            ..Default::default()
        };
        let r = repairs::install_part(self.db, &ctx, rid, into)
            .await
            .ctx(|| format!("installing {} in {parent_tag}", spare.tag))?;
        rt.repair = Some((rid, r.version));
        if harvested && role == Role::Dimm {
            self.reused_dimms += 1;
        }
        self.swaps += 1;
        match role {
            Role::Dimm => rt.dimms[k] = spare,
            Role::Gpu => rt.gpus[k] = spare,
            Role::Drive => rt.drives[k] = spare,
            Role::Psu => rt.psus[k] = spare,
        }
        // What happens to the failed part.
        match role {
            Role::Dimm => self.pending.push(Pending { id: failed.id, ready: at }),
            Role::Drive => {
                let t = at + Duration::minutes(50);
                let ctx = self.ctx(&ops, t);
                let shred = NewRecord {
                    asset_id: Some(failed.id),
                    method_class: Some(MethodClass::Destroy),
                    technique: Some(Technique::Shred),
                    tool: Some("on-site shredder, 10 mm particle size".into()),
                    verification: Some(Verification::Full),
                    notes: Some("failed drive destroyed; shreds go out with the next recycling lot".into()),
                    ..Default::default()
                };
                sanitization::add_record(self.db, &ctx, shred).await.ctx(|| format!("destroying {}", failed.tag))?;
                self.pending.push(Pending { id: failed.id, ready: t });
            }
            Role::Psu | Role::Gpu => {
                let t = at + Duration::days(2);
                let ctx = self.ctx(&ops, t);
                let vendor = self.model(failed.model)?.manufacturer.clone();
                let rma = format!("RMA-{}", self.rng.random_range(1_000_000..9_999_999));
                self.transition(
                    &ctx,
                    failed.id,
                    &failed.tag,
                    State::TransferredOut,
                    None,
                    format!("returned to {vendor} under warranty"),
                    json!({"rma": rma, "recipient": vendor}),
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The NIST SP 800-88 method, technique and tool for a drive model.
    fn sanitization_method(model: &str) -> (MethodClass, Technique, &'static str, &'static str) {
        if model.starts_with("nvme.") {
            (MethodClass::Purge, Technique::CryptoErase, "nvme-cli format --ses=2", "2.8")
        } else if model.starts_with("ssd.seagate.pulsar2") {
            // SAS: the SCSI SANITIZE command rather than ATA's.
            (MethodClass::Purge, Technique::BlockErase, "sg_sanitize --block", "1.48")
        } else if model.starts_with("ssd.") {
            (MethodClass::Purge, Technique::BlockErase, "hdparm --sanitize-block-erase", "9.65")
        } else {
            (MethodClass::Purge, Technique::Overwrite, "sg_sanitize --overwrite", "1.48")
        }
    }

    /// Sanitizes every data-bearing drive at the Utrecht station: one batch per method,
    /// each drive scanned in when its wipe and verification end (about 7 minutes apart).
    /// The very first drive the demo sanitizes fails its verification and is wiped again.
    async fn sanitize_drives(&mut self, rt: &mut Rt, at: DateTime<Utc>) -> anyhow::Result<()> {
        let drives: Vec<Part> = rt.board_drives.iter().chain(&rt.drives).cloned().collect();
        let mut batches: Vec<((MethodClass, Technique), uuid::Uuid, i32)> = Vec::new();
        for (j, d) in drives.iter().enumerate() {
            let end = at + Duration::minutes(8 * j as i64 + 7);
            let (class, technique, tool, version) = Self::sanitization_method(d.model);
            let ctx = self.ctx("refurb-utr", end);
            let batch = match batches.iter().find(|b| b.0 == (class, technique)) {
                Some(b) => b.1,
                None => {
                    let open = NewBatch {
                        method_class: Some(class),
                        technique: Some(technique),
                        tool: Some(tool.into()),
                        tool_version: Some(version.into()),
                        operator: Some("refurb-utr".into()),
                        verification: Some(Verification::Full),
                        site_id: Some(self.site_id(SiteKey::Wh)?),
                        ..Default::default()
                    };
                    let ctx = self.ctx("refurb-utr", at);
                    let b = sanitization::open_batch(self.db, &ctx, open)
                        .await
                        .ctx(|| format!("opening a batch for {}", rt.tag))?;
                    batches.push(((class, technique), b.id, b.version));
                    b.id
                }
            };
            let code = d.tag.clone();
            if !self.failed_sanitization {
                self.failed_sanitization = true;
                let scan = BatchScan {
                    code: code.clone(),
                    result: Some(SanitizationResult::Failed),
                    notes: Some("verification found readable sectors after the pass; wiped again".into()),
                };
                let early = self.ctx("refurb-utr", end - Duration::minutes(1));
                sanitization::scan(self.db, &early, batch, scan).await.ctx(|| format!("failing {}", d.tag))?;
                let again = NewRecord {
                    asset_id: Some(d.id),
                    method_class: Some(class),
                    technique: Some(technique),
                    tool: Some(tool.into()),
                    tool_version: Some(version.into()),
                    operator: Some("refurb-utr".into()),
                    verification: Some(Verification::Full),
                    started_at: Some(end - Duration::minutes(1)),
                    ended_at: Some(end),
                    notes: Some("second pass after a failed verification".into()),
                    ..Default::default()
                };
                sanitization::add_record(self.db, &ctx, again).await.ctx(|| format!("sanitizing {} again", d.tag))?;
                continue;
            }
            let scan = BatchScan { code, ..Default::default() };
            sanitization::scan(self.db, &ctx, batch, scan).await.ctx(|| format!("sanitizing {}", d.tag))?;
        }
        for (_, id, _) in batches {
            let b = sanitization::batch(self.db.conn(), id).await.ctx(|| "reading a batch".into())?;
            let ctx = self.ctx("refurb-utr", at + Duration::minutes(8 * drives.len() as i64 + 10));
            sanitization::close_batch(self.db, &ctx, id, b.batch.version).await.ctx(|| "closing a batch".into())?;
        }
        Ok(())
    }

    /// At the harvest bench: every line of the server's dismantle job is recorded (DIMMs,
    /// GPUs, sanitized drives and PSUs tested into the spare pool; CPUs, NICs and two drives
    /// in five to resale; the stripped board, baseboard and anything else to the recycling
    /// bin), then the job closes and the server is dismantled. Drives for resale are sold
    /// with their erasure certificate; every other chassis waits for a recycling lot.
    async fn harvest(&mut self, rt: &mut Rt, at: DateTime<Utc>) -> anyhow::Result<()> {
        let job = rt.job.take().with_context(|| format!("{}: harvest without a dismantle job", rt.tag))?;
        let ops = "refurb-utr";
        let tested = Grade {
            functional: Some(FunctionalGrade::F5),
            cosmetic: Some(CosmeticGrade::C5),
            retail: Some(RetailGrade::B),
        };
        let drive_grade = Grade {
            functional: Some(FunctionalGrade::F5),
            cosmetic: Some(CosmeticGrade::C4),
            retail: Some(RetailGrade::B),
        };
        let mut plan: HashMap<AssetId, (TestResult, Destination, Grade)> = HashMap::new();
        let mut to_pool: Vec<Part> = Vec::new();
        let mut sold: Vec<Part> = Vec::new();
        for d in std::mem::take(&mut rt.dimms) {
            plan.insert(d.id, (TestResult::Passed, Destination::SparePool, tested));
            to_pool.push(d);
        }
        for c in std::mem::take(&mut rt.cpus) {
            plan.insert(c.id, (TestResult::Passed, Destination::Resale, tested));
        }
        for g in std::mem::take(&mut rt.gpus) {
            plan.insert(g.id, (TestResult::Passed, Destination::SparePool, Grade::default()));
        }
        for d in std::mem::take(&mut rt.board_drives) {
            plan.insert(d.id, (TestResult::Passed, Destination::SparePool, drive_grade));
        }
        for (j, d) in std::mem::take(&mut rt.drives).into_iter().enumerate() {
            if j % 5 < 3 {
                plan.insert(d.id, (TestResult::Passed, Destination::SparePool, drive_grade));
                to_pool.push(d);
            } else {
                plan.insert(d.id, (TestResult::Passed, Destination::Resale, drive_grade));
                sold.push(d);
            }
        }
        for p in std::mem::take(&mut rt.psus) {
            plan.insert(p.id, (TestResult::Passed, Destination::SparePool, Grade::default()));
            to_pool.push(p);
        }
        for n in std::mem::take(&mut rt.nics) {
            plan.insert(n.id, (TestResult::Passed, Destination::Resale, Grade::default()));
        }
        let sheet = harvest::detail(self.db.conn(), job).await.ctx(|| format!("reading the job of {}", rt.tag))?;
        let mut t = at;
        for line in &sheet.lines {
            t += Duration::minutes(4);
            let ctx = self.ctx(ops, t);
            let input = match line.asset_id {
                Some(a) => {
                    let (test, dest, grade) = plan.get(&a).copied().unwrap_or((
                        TestResult::Untested,
                        Destination::RecyclingBin,
                        Grade::default(),
                    ));
                    RecordPart {
                        line_id: Some(line.id),
                        test_result: Some(test),
                        grade,
                        destination: Some(dest),
                        ..Default::default()
                    }
                }
                None => RecordPart { line_id: Some(line.id), missing: true, ..Default::default() },
            };
            harvest::record(self.db, &ctx, job, input)
                .await
                .ctx(|| format!("recording {} of {}", line.asset_tag.clone().unwrap_or_default(), rt.tag))?;
        }
        let ctx = self.ctx(ops, t + Duration::minutes(5));
        harvest::close(self.db, &ctx, job, CloseJob { version: sheet.job.version })
            .await
            .ctx(|| format!("closing the dismantle job of {}", rt.tag))?;
        t += Duration::minutes(30);
        for d in sold {
            t += Duration::minutes(2);
            let ctx = self.ctx(ops, t);
            self.transition(
                &ctx,
                d.id,
                &d.tag,
                State::TransferredOut,
                None,
                "sold to a refurbisher with its erasure certificate".into(),
                json!({"recipient": self.data.buyers.drives}),
            )
            .await?;
        }
        for p in to_pool {
            let model = p.model;
            self.spares.entry(model).or_default().push(Spare {
                part: p,
                site: rt.site,
                ready: at + Duration::days(1),
                harvested: true,
            });
        }
        self.pending.push(Pending { id: rt.board.id, ready: at });
        if let Some(bb) = rt.baseboard.take() {
            self.pending.push(Pending { id: bb.id, ready: at });
        }
        // Every other chassis is kept as a donor of rails, fans and backplanes; the rest
        // go out with the next recycling lot.
        self.dismantled += 1;
        if self.dismantled.is_multiple_of(2) {
            self.pending.push(Pending { id: rt.id, ready: at });
        }
        Ok(())
    }

    /// Installs harvested DIMMs before a second life, as many as the pool has (up to `n`).
    async fn upgrade(&mut self, rt: &mut Rt, at: DateTime<Utc>, n: usize) -> anyhow::Result<()> {
        let model = rt.cfg.dimm.as_str();
        let ops = self.ops(rt.site);
        for j in 0..n {
            let pool = self.spares.entry(model).or_default();
            let Some(pos) = pool.iter().position(|s| s.harvested && s.ready <= at) else {
                return Ok(());
            };
            let spare = pool.remove(pos).part;
            let ctx = self.ctx(&ops, at + Duration::minutes(5 * j as i64));
            let board = rt.board.clone();
            self.install(&ctx, board.id, &board.tag, &spare, "memory upgrade for second life (harvested DIMM)".into())
                .await?;
            self.reused_dimms += 1;
            rt.dimms.push(spare);
        }
        Ok(())
    }

    /// The downstream vendor for the lot named `lot` (the vendors are created, with their
    /// certificate dates moved back with the history, the first time one is needed).
    async fn vendor_for(&mut self, lot: &str, at: DateTime<Utc>) -> anyhow::Result<(VendorId, &'static DemoVendor)> {
        let data: &'static Demo = self.data;
        if self.vendors.is_empty() {
            let ctx = self.ctx("refurb-utr", at - Duration::days(30));
            for v in &data.downstream.vendors {
                let certifications = v
                    .certifications
                    .iter()
                    .map(|c| Certification {
                        expires_on: c.expires_on.checked_sub_signed(self.shift).unwrap_or(c.expires_on),
                        ..c.clone()
                    })
                    .collect();
                let input = NewVendor {
                    name: v.name.clone(),
                    country: v.country.clone(),
                    address: Some(v.address.clone()),
                    role: Some(v.role),
                    certifications,
                    notes: Some("Demo downstream vendor.".into()),
                };
                let made = vendors::create(self.db, &ctx, input).await.ctx(|| format!("adding vendor {}", v.name))?;
                self.vendors.insert(v.key.clone(), made.id);
            }
        }
        let v = data.downstream.vendor_for(lot);
        let id = self.vendors.get(&v.key).copied().with_context(|| format!("vendor {} was not created", v.key))?;
        Ok((id, v))
    }

    async fn hand_off(
        &self,
        lot: LotId,
        at: DateTime<Utc>,
        from: &str,
        to: &str,
        org: &str,
        place: &str,
    ) -> anyhow::Result<()> {
        let ctx = self.ctx("refurb-utr", at);
        let input = NewCustody {
            handed_over_by: from.to_owned(),
            received_by: to.to_owned(),
            organisation: org.to_owned(),
            place: place.to_owned(),
            occurred_at: Some(ctx.now),
            note: None,
        };
        recycling::add_custody(self.db, &ctx, lot, input).await.ctx(|| format!("a hand-off of lot {lot}"))?;
        Ok(())
    }

    /// A recycling lot: opened in the morning, filled with what waits for it, weighed and
    /// shipped at `at` to its vendor (manual dismantling, then an integrated smelter), handed
    /// to the haulier and on to the vendor the next day.
    async fn recycling_lot(&mut self, plan: &Plan, i: usize, at: DateTime<Utc>) -> anyhow::Result<()> {
        let lot = &plan.lots[i];
        let (ready, waiting): (Vec<Pending>, Vec<Pending>) =
            std::mem::take(&mut self.pending).into_iter().partition(|p| p.ready < at);
        self.pending = waiting;
        if ready.is_empty() {
            return Ok(());
        }
        let (vendor_id, vendor) = self.vendor_for(&lot.name, at).await?;
        let ops = "refurb-utr";
        let ctx = self.ctx(ops, at - Duration::hours(3));
        let input = NewLot {
            reference: Some(lot.name.clone()),
            vendor_id: Some(vendor_id),
            route: Some(TreatmentRoute::ManualDismantlingThenIntegratedSmelter),
            planned_ship_on: Some(ctx.now.date_naive()),
            note: Some("Half-yearly collection of the recycling bin and stripped chassis.".into()),
            accept_uncertified: false,
        };
        let l = recycling::create(self.db, &ctx, input).await.ctx(|| format!("opening {}", lot.name))?;
        let ctx = self.ctx(ops, at - Duration::hours(2));
        let input =
            AddItems { version: l.version, asset_ids: ready.iter().map(|p| p.id).collect(), ..Default::default() };
        let added = recycling::add_items(self.db, &ctx, l.id, input).await.ctx(|| format!("filling {}", lot.name))?;
        let d = recycling::detail(self.db.conn(), l.id).await.ctx(|| format!("reading {}", lot.name))?;
        let tare = (d.registered_kg / 350.0).ceil().max(1.0) * 25.0;
        let gross = ((d.registered_kg * self.rng.random_range(1.005..1.04) + tare) * 10.0).round() / 10.0;
        let ctx = self.ctx(ops, at);
        let input = ShipLot {
            version: added.lot.version,
            gross_kg: Some(gross),
            tare_kg: Some(tare),
            transport_doc: Some(format!("CMR-{}-{:05}", ctx.now.year(), self.rng.random_range(1..99_999))),
            ..Default::default()
        };
        recycling::ship(self.db, &ctx, l.id, input).await.ctx(|| format!("shipping {}", lot.name))?;
        let data: &'static Demo = self.data;
        let warehouse = &data.site(SiteKey::Wh).name;
        let d = &data.downstream;
        self.hand_off(l.id, at + Duration::minutes(20), "refurb-utr dock team", &d.driver, &d.carrier, warehouse)
            .await?;
        self.hand_off(l.id, at + Duration::hours(30), &d.driver, &vendor.contact, &vendor.name, &vendor.place).await?;
        self.lots.insert(i, l.id);
        Ok(())
    }

    /// The certificate of recycling arrives (about 11 weeks after shipping): the boards went
    /// on to the smelter, and the report's figures are near what the lot was expected to yield.
    async fn recover_lot(&mut self, plan: &Plan, i: usize, at: DateTime<Utc>) -> anyhow::Result<()> {
        let lot = &plan.lots[i];
        let Some(id) = self.lots.remove(&i) else { return Ok(()) };
        let data: &'static Demo = self.data;
        let vendor = data.downstream.vendor_for(&lot.name);
        let d = &data.downstream;
        self.hand_off(id, at - Duration::days(50), &vendor.contact, "smelter intake", &d.smelter, &d.smelter_place)
            .await?;
        let detail = recycling::detail(self.db.conn(), id).await.ctx(|| format!("reading {}", lot.name))?;
        let net = detail.lot.net_kg.unwrap_or(detail.registered_kg);
        let mut materials = Vec::new();
        let mut plastics = 0.0;
        for r in &detail.materials {
            let kg = match (r.expected_recovery_kg, r.expected_content_kg, r.material) {
                (Some(e), _, _) => e * self.rng.random_range(0.88..1.02),
                (None, Some(c), Material::Steel) => c * self.rng.random_range(0.90..0.96),
                (None, Some(c), Material::Aluminium) => c * self.rng.random_range(0.82..0.92),
                (None, Some(c), Material::Plastics) => {
                    plastics = c;
                    c * self.rng.random_range(0.20..0.35)
                }
                // Mass without a profile (shredded drives, PSUs) comes back as mixed scrap.
                (None, None, Material::Other) => detail.unprofiled_kg * self.rng.random_range(0.60..0.80),
                _ => 0.0,
            };
            if kg > 0.0 {
                materials.push(Recovered { material: r.material, kg: (kg * 100_000.0).round() / 100_000.0 });
            }
        }
        let recovered: f64 = materials.iter().map(|m| m.kg).sum();
        let energy = ((plastics * 0.6).min((net - recovered).max(0.0)) * 1000.0).round() / 1000.0;
        let disposal = (((net - recovered - energy) * 0.9).max(0.0) * 1000.0).floor() / 1000.0;
        let ctx = self.ctx("refurb-utr", at);
        let input = NewReport {
            version: detail.lot.version,
            certificate_id: format!("COR-{}-{:04}", ctx.now.year(), self.rng.random_range(1..9_999)),
            certificate_date: Some(ctx.now.date_naive()),
            materials,
            energy_recovery_kg: energy,
            disposal_kg: disposal,
            note: Some(format!("Certificate of recycling from {}.", vendor.name)),
        };
        recycling::enter_report(self.db, &ctx, id, input).await.ctx(|| format!("reporting {}", lot.name))?;
        Ok(())
    }

    /// The lot being filled at the end of the history: opened for the next collection, with
    /// what has waited since the last one added in two scans.
    async fn lot_in_progress(&mut self, end: DateTime<Utc>) -> anyhow::Result<()> {
        let name = "LOT-2027-03";
        let at = end - Duration::days(3);
        let (vendor_id, _) = self.vendor_for(name, at).await?;
        let ctx = self.ctx("refurb-utr", at);
        let input = NewLot {
            reference: Some(name.into()),
            vendor_id: Some(vendor_id),
            route: Some(TreatmentRoute::ManualDismantlingThenIntegratedSmelter),
            planned_ship_on: Some((ctx.now + Duration::days(130)).date_naive()),
            note: Some("Next half-yearly collection; being filled.".into()),
            accept_uncertified: false,
        };
        let l = recycling::create(self.db, &ctx, input).await.ctx(|| format!("opening {name}"))?;
        let ready: Vec<AssetId> = self.pending.iter().filter(|p| p.ready < at).map(|p| p.id).collect();
        let half = ready.len().div_ceil(2);
        let mut version = l.version;
        for (k, chunk) in [&ready[..half], &ready[half..]].into_iter().enumerate() {
            if chunk.is_empty() {
                continue;
            }
            let ctx = self.ctx("refurb-utr", at + Duration::hours(2 + 20 * k as i64));
            let input = AddItems { version, asset_ids: chunk.to_vec(), ..Default::default() };
            version =
                recycling::add_items(self.db, &ctx, l.id, input).await.ctx(|| format!("filling {name}"))?.lot.version;
        }
        Ok(())
    }
}
