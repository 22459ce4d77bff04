//! The demo fleet as a plan: purchase orders and, for every server, a dated story
//! (deployments, repairs, moves, second life, retirement, sanitization, dismantling,
//! recycling). Planning is pure and seeded, so every run yields the same fleet; the
//! executor (`super::exec`) then plays the plan through the services in time order. The
//! sites, orders and buyers are data (`refdata/demo/`, read by `super::data`); the story
//! told about each server is here.

use std::ops::Range;

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::data::{Demo, PO_FILE, ServerConfig, SiteKey};
use crate::rules::{
    CosmeticGrade, FaultCategory, FunctionalGrade, Grade, RepairOutcome, RetailGrade, State, WorkloadTier,
};
use SiteKey::*;
use WorkloadTier as W;

/// The seed of the demo fleet.
pub const SEED: u64 = 0x2e10_0b5e_ed00_0001;

/// Mixed into the seed for the legacy kit's stream (see [`plan`]).
const LEGACY_STREAM: u64 = 0x1e6a_c700;
/// Mixed into the seed for the failed boards' stream (see [`plan`]).
const BOARD_STREAM: u64 = 0xb0a2_df00;
/// How many servers in service lose their system board.
const FAILED_BOARDS: usize = 4;

/// The demo's history ends here (all times are at most this).
pub fn history_end() -> anyhow::Result<DateTime<Utc>> {
    ymd_hm(2026, 10, 30, 17, 0)
}

/// When the demo organisation starts recording (the sites are created then).
pub fn history_start() -> anyhow::Result<DateTime<Utc>> {
    ymd_hm(2019, 1, 3, 9, 0)
}

/// When the kit already in service as recording began (orders delivered before
/// [`history_start`]) is registered: after the catalog has its models.
pub fn inventory_intake() -> anyhow::Result<DateTime<Utc>> {
    ymd_hm(2019, 1, 14, 10, 0)
}

/// When a model released in `year` enters the catalog: early in that year, and never
/// before the history starts.
pub fn catalog_date(year: i32) -> anyhow::Result<DateTime<Utc>> {
    if year <= 2019 { ymd_hm(2019, 1, 7, 9, 30) } else { ymd_hm(year, 1, 9, 9, 30) }
}

fn ymd_hm(y: i32, m: u32, d: u32, h: u32, min: u32) -> anyhow::Result<DateTime<Utc>> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .with_context(|| format!("{y}-{m:02}-{d:02} {h:02}:{min:02} is not a valid time"))
}

// --- purchase orders --------------------------------------------------------------

/// A purchase order: servers of one configuration delivered together to one site.
#[derive(Clone, Debug)]
pub struct Po {
    pub number: String,
    /// When the demo registers the order: its delivery, or for an order delivered before
    /// the history starts, the inventory intake.
    pub at: DateTime<Utc>,
    /// The delivery (the items' `acquired_on`).
    pub delivered: DateTime<Utc>,
    pub config: &'static ServerConfig,
    pub cpu: &'static str,
    pub site: SiteKey,
    pub tier: WorkloadTier,
    pub custodian: &'static str,
    /// Indexes into [`Plan::servers`].
    pub servers: Range<usize>,
    /// Spare parts delivered with the order: (catalog key, count).
    pub spares: Vec<(&'static str, usize)>,
}

// --- fates and stories ---------------------------------------------------------------

/// Where a server ends up at the end of the demo history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fate {
    Deployed,
    InStock,
    InRepair,
    Redeployed,
    Retired,
    Sanitized,
    Dismantled,
    InRecycling,
    Recovered,
    TransferredOut,
    LostRetired,
    LostInTransit,
    /// Its system board fails three times; the third time it cannot be repaired, and the
    /// server waits at the warehouse, retired, for its working parts to be harvested.
    BoardFailed,
}

/// The part that fails in a repair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Dimm,
    Drive,
    Psu,
    Gpu,
}

impl Role {
    /// The fault category a repair of this part is opened with.
    pub fn fault(self) -> FaultCategory {
        match self {
            Role::Dimm => FaultCategory::MemoryErrors,
            Role::Drive => FaultCategory::DriveFailure,
            Role::Psu => FaultCategory::PsuFailure,
            Role::Gpu => FaultCategory::GpuFault,
        }
    }
}

#[derive(Clone, Debug)]
pub enum ServerAction {
    Transition {
        to: State,
        tier: Option<WorkloadTier>,
        reason: String,
        payload: Value,
    },
    Move {
        site: SiteKey,
        custodian: Option<&'static str>,
        reason: String,
    },
    Workload {
        tier: Option<WorkloadTier>,
        reason: String,
    },
    /// Open a repair order: the server goes to `in_repair` with its parts.
    OpenRepair {
        fault: FaultCategory,
        reason: String,
    },
    /// Close the open repair order: repaired, the server returns to its state before;
    /// not repairable, it is retired.
    CloseRepair {
        outcome: RepairOutcome,
        note: String,
    },
    /// In the open repair: remove the failing part (to the recycling bin) and install a spare.
    Swap {
        role: Role,
        reason: String,
    },
    /// Sanitize every data-bearing drive in the server, one ledger entry each.
    SanitizeDrives,
    Grade {
        grade: Grade,
        reason: String,
    },
    /// Open a dismantle job on the retired (sanitized) server.
    OpenDismantle,
    /// At the harvest bench: record every part of the job (DIMMs, CPUs, GPUs, drives, PSUs
    /// and NICs tested into the spare pool or resale; the rest to the recycling bin) and
    /// close it: the server is dismantled.
    Harvest,
    /// Install up to this many harvested DIMMs (memory upgrade before a second life).
    Upgrade {
        dimms: usize,
    },
}

#[derive(Clone, Debug)]
pub enum Action {
    RegisterPo(usize),
    RegisterBatteries,
    Server(usize, ServerAction),
    /// Ship everything waiting for recycling (failed parts, stripped boards, chassis).
    RecyclingLot(usize),
    /// The lot's certificate of recycling arrives: its items are recovered.
    RecoverLot(usize),
}

#[derive(Clone, Debug)]
pub struct Scheduled {
    pub at: DateTime<Utc>,
    pub seq: usize,
    pub action: Action,
}

#[derive(Clone, Debug)]
pub struct ServerPlan {
    pub tag: String,
    pub po: usize,
    pub fate: Fate,
    /// Legacy kit (an order delivered before the history starts): when it was
    /// commissioned. It is registered deployed at the inventory intake.
    pub in_service_since: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct Lot {
    pub name: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub pos: Vec<Po>,
    pub servers: Vec<ServerPlan>,
    pub lots: Vec<Lot>,
    /// Every action, in the order to play it (by time, then by planning order).
    pub schedule: Vec<Scheduled>,
}

/// A server's dated steps, kept strictly increasing.
struct Story {
    t: DateTime<Utc>,
    steps: Vec<(DateTime<Utc>, ServerAction)>,
}

impl Story {
    /// A working-hours time `lo..hi` days after the last step (always after it).
    fn after(&mut self, rng: &mut StdRng, lo: i64, hi: i64) -> DateTime<Utc> {
        let days = rng.random_range(lo..=hi.max(lo));
        let date = (self.t + Duration::days(days)).date_naive();
        let minutes = rng.random_range(8 * 60..18 * 60);
        let time = NaiveTime::from_num_seconds_from_midnight_opt(minutes * 60, 0).unwrap_or(NaiveTime::MIN);
        let mut t = Utc.from_utc_datetime(&date.and_time(time));
        if t <= self.t {
            t = self.t + Duration::minutes(rng.random_range(20..120));
        }
        self.t = t;
        t
    }

    /// A time minutes to hours after the last step.
    fn soon(&mut self, rng: &mut StdRng, lo_min: i64, hi_min: i64) -> DateTime<Utc> {
        self.t += Duration::minutes(rng.random_range(lo_min..=hi_min));
        self.t
    }

    fn push(&mut self, at: DateTime<Utc>, a: ServerAction) {
        self.steps.push((at, a));
    }
}

fn tr(to: State, reason: impl Into<String>) -> ServerAction {
    ServerAction::Transition { to, tier: None, reason: reason.into(), payload: json!({}) }
}

fn tr_with(to: State, tier: Option<WorkloadTier>, reason: impl Into<String>, payload: Value) -> ServerAction {
    ServerAction::Transition { to, tier, reason: reason.into(), payload }
}

/// A workload's label inside a sentence: "general compute", but "AI training".
fn lower(w: WorkloadTier) -> String {
    let label = w.label();
    let mut chars = label.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_uppercase() => label.to_owned(),
        (Some(a), _) => a.to_lowercase().chain(label.chars().skip(1)).collect(),
        _ => String::new(),
    }
}

fn years(d: Duration) -> f64 {
    d.num_days() as f64 / 365.25
}

const FIRST_LIFE: &[WorkloadTier] = &[W::GeneralCompute, W::WebServices, W::Database];

fn second_life_for(cfg: &ServerConfig, rng: &mut StdRng, current: SiteKey) -> (WorkloadTier, SiteKey) {
    if cfg.drives.iter().any(|(k, n)| k.starts_with("hdd.seagate.exos") && *n >= 12) {
        return (W::ColdStorage, Sto);
    }
    if cfg.key == "dgx-a100" {
        return if rng.random_bool(0.5) { (W::SmallModelInference, current) } else { (W::BatchInference, Sto) };
    }
    match rng.random_range(0..10) {
        0..=2 => (W::CiBuild, Sto),
        3..=4 => (W::DevTest, current),
        5..=6 => (W::EducationLab, Dub),
        _ => (W::BatchInference, Sto),
    }
}

fn failure(role: Role, rng: &mut StdRng) -> String {
    let slot = format!("{}{}", ['A', 'B'][rng.random_range(0..2)], rng.random_range(1..=12));
    match role {
        Role::Dimm => [
            format!("uncorrectable ECC errors on DIMM {slot}"),
            format!("correctable-error storm on DIMM {slot}; BMC disabled the slot"),
            format!("DIMM {slot} failed POST memory training"),
        ]
        .choose(rng)
        .cloned()
        .unwrap_or_default(),
        Role::Drive => [
            "SMART predictive failure (reallocated sectors)",
            "drive dropped out of the RAID set",
            "media errors during scrub",
        ]
        .choose(rng)
        .map(|s| s.to_string())
        .unwrap_or_default(),
        Role::Psu => ["PSU 2 failed: no AC output", "PSU fan failure", "PSU reports over-temperature"]
            .choose(rng)
            .map(|s| s.to_string())
            .unwrap_or_default(),
        Role::Gpu => ["Xid 79: GPU fell off the bus", "row-remapping failure on HBM", "NVLink errors on one GPU"]
            .choose(rng)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

fn pick_role(cfg: &ServerConfig, rng: &mut StdRng) -> Role {
    let x: f64 = rng.random();
    match &cfg.gpus {
        Some(g) if g.baseboard.is_some() && x < 0.3 => Role::Gpu,
        _ if x < 0.55 => Role::Dimm,
        _ if x < 0.85 && !cfg.drives.is_empty() => Role::Drive,
        _ => Role::Psu,
    }
}

/// Repairs while in service: out to `in_repair`, the failing part swapped, back in service.
fn repairs(s: &mut Story, rng: &mut StdRng, cfg: &ServerConfig, until: DateTime<Utc>, rate_per_year: f64) {
    let span = years(until - s.t);
    let mut n = 0;
    let mut left = span * rate_per_year;
    while left > 0.0 {
        if rng.random_bool(left.min(1.0)) {
            n += 1;
        }
        left -= 1.0;
    }
    for _ in 0..n {
        let room = (until - s.t).num_days() - 20;
        if room < 40 {
            return;
        }
        let start = s.after(rng, 20, room.min(400));
        if start + Duration::days(15) > until {
            return;
        }
        let role = pick_role(cfg, rng);
        let why = failure(role, rng);
        s.push(start, ServerAction::OpenRepair { fault: role.fault(), reason: format!("incident: {why}") });
        let t = s.after(rng, 0, 3);
        s.push(t, ServerAction::Swap { role, reason: why });
        let t = s.after(rng, 1, 6);
        s.push(
            t,
            ServerAction::CloseRepair { outcome: RepairOutcome::Repaired, note: "repaired; burn-in passed".into() },
        );
    }
}

/// Retired at `end`, then shipped to the warehouse and graded on intake.
fn retire(s: &mut Story, rng: &mut StdRng, tier: WorkloadTier, life: f64) {
    let t = s.soon(rng, 30, 240);
    s.push(
        t,
        tr(
            State::Retired,
            format!("end of first life after {life:.1} years in {}; replaced by newer capacity", lower(tier)),
        ),
    );
    let t = s.after(rng, 5, 21);
    s.push(
        t,
        ServerAction::Move {
            site: Wh,
            custodian: Some("Refurbishment"),
            reason: "shipped to the refurbishment warehouse".into(),
        },
    );
    let t = s.after(rng, 1, 5);
    let grade = Grade {
        functional: Some([FunctionalGrade::F3, FunctionalGrade::F4, FunctionalGrade::F5][rng.random_range(0..3)]),
        cosmetic: Some([CosmeticGrade::C3, CosmeticGrade::C4, CosmeticGrade::C5][rng.random_range(0..3)]),
        retail: None,
    };
    s.push(t, ServerAction::Grade { grade, reason: "intake grading".into() });
}

fn sanitize(s: &mut Story, rng: &mut StdRng) {
    let t = s.after(rng, 10, 40);
    s.push(t, ServerAction::SanitizeDrives);
    let t = s.soon(rng, 150, 240);
    s.push(t, tr(State::Sanitized, "all data-bearing devices sanitized (NIST SP 800-88)"));
}

/// How many days each fate needs after the end of the first life.
fn tail_days(f: Fate) -> i64 {
    match f {
        Fate::Deployed | Fate::InRepair | Fate::BoardFailed => 0,
        Fate::InStock | Fate::LostInTransit => 40,
        Fate::Redeployed => 120,
        Fate::Retired => 40,
        Fate::LostRetired => 150,
        Fate::Sanitized => 110,
        Fate::Dismantled => 170,
        Fate::InRecycling => 160,
        Fate::TransferredOut => 170,
        Fate::Recovered => 300,
    }
}

/// Change-ticket numbering across the fleet.
struct Counters {
    chg: usize,
}

/// Writes one server's story into `out`.
#[allow(clippy::too_many_arguments)]
fn story(
    d: &'static Demo,
    rng: &mut StdRng,
    idx: usize,
    po: &Po,
    acquired: DateTime<Utc>,
    fate: Fate,
    end: DateTime<Utc>,
    c: &mut Counters,
    out: &mut Vec<(DateTime<Utc>, usize, ServerAction)>,
) -> anyhow::Result<()> {
    if fate == Fate::BoardFailed {
        return board_story(rng, idx, po, acquired, end, c, out);
    }
    let cfg = po.config;
    let site = |k: SiteKey| d.site(k);
    let mut s = Story { t: acquired, steps: Vec::new() };
    if fate == Fate::InStock && acquired >= ymd_hm(2025, 10, 1, 0, 0)? {
        // Just delivered: waiting for the next expansion.
        for (t, a) in s.steps {
            out.push((t, idx, a));
        }
        return Ok(());
    }
    let t = s.after(rng, 7, 40);
    c.chg += 1;
    s.push(
        t,
        tr_with(
            State::Deployed,
            Some(po.tier),
            format!("commissioned into the {} cluster", lower(po.tier)),
            json!({"change": format!("CHG-{:05}", 10_000 + c.chg)}),
        ),
    );
    let deployed_at = t;
    let tail = Duration::days(tail_days(fate));
    // End of the first life.
    let life_years: f64 = match fate {
        Fate::Deployed | Fate::InRepair => 99.0,
        Fate::InStock | Fate::LostInTransit => rng.random_range(1.5..4.5),
        _ if acquired < ymd_hm(2021, 1, 1, 0, 0)? => rng.random_range(3.8..6.2),
        _ => rng.random_range(2.6..3.6),
    };
    let natural = acquired + Duration::days((life_years * 365.25) as i64);
    let first_end = natural.min(end - tail - Duration::days(10));
    if first_end < deployed_at + Duration::days(120) {
        bail!("server {idx} ({fate:?}) has no room for its story");
    }
    let mut tier = po.tier;
    // Life in service: repairs, the odd workload change or relocation.
    let life_until = if matches!(fate, Fate::InRepair) { end - Duration::days(45) } else { first_end };
    if rng.random_bool(0.12) && (life_until - s.t).num_days() > 200 {
        let t = s.after(rng, 60, ((life_until - s.t).num_days() / 2).max(61));
        let new = *FIRST_LIFE
            .iter()
            .filter(|w| **w != tier)
            .collect::<Vec<_>>()
            .choose(rng)
            .copied()
            .unwrap_or(&W::GeneralCompute);
        if !cfg.has_gpus() {
            s.push(
                t,
                ServerAction::Workload {
                    tier: Some(new),
                    reason: format!("cluster re-purposed from {} to {}", lower(tier), lower(new)),
                },
            );
            tier = new;
        }
    }
    if fate == Fate::Deployed && !cfg.has_gpus() && rng.random_bool(0.05) && (life_until - s.t).num_days() > 200 {
        let to = if po.site == Dub { Fra } else { Dub };
        let t = s.after(rng, 30, 120);
        s.push(t, tr(State::InStock, "drained for relocation"));
        let t = s.after(rng, 3, 10);
        s.push(
            t,
            ServerAction::Move {
                site: to,
                custodian: None,
                reason: format!("relocated to {} (site consolidation)", site(to).name),
            },
        );
        let t = s.after(rng, 2, 7);
        s.push(t, tr(State::Deployed, "back in service after relocation"));
    }
    let rate = if cfg.has_gpus() { 0.25 } else { 0.1 };
    repairs(&mut s, rng, cfg, life_until, rate);
    if s.t < first_end && fate != Fate::Deployed && fate != Fate::InRepair {
        s.t = first_end;
    }
    let life = years(s.t - deployed_at);
    match fate {
        Fate::Deployed | Fate::BoardFailed => {}
        Fate::InRepair => {
            let t = s.after(rng, ((end - s.t).num_days() - 40).max(1), ((end - s.t).num_days() - 3).max(1));
            let role = pick_role(cfg, rng);
            let why = failure(role, rng);
            s.push(t, ServerAction::OpenRepair { fault: role.fault(), reason: format!("incident: {why}") });
            if rng.random_bool(0.5) {
                let t = s.after(rng, 0, 2);
                s.push(t, ServerAction::Swap { role, reason: why });
            }
        }
        Fate::InStock | Fate::LostInTransit => {
            let t = s.soon(rng, 30, 240);
            s.push(
                t,
                tr(
                    State::InStock,
                    format!("decommissioned from {} after {life:.1} years; kept as a hot spare", lower(tier)),
                ),
            );
            let t = s.soon(rng, 10, 90);
            s.push(t, ServerAction::Workload { tier: None, reason: "not in service".into() });
            if fate == Fate::LostInTransit {
                let t = s.after(rng, 5, 12);
                s.push(
                    t,
                    tr_with(
                        State::Lost,
                        None,
                        "shipment to the Utrecht warehouse never arrived; written off",
                        json!({"carrier_claim": format!("CLM-{}", rng.random_range(100_000..999_999))}),
                    ),
                );
            } else if rng.random_bool(0.5) {
                let t = s.after(rng, 3, 14);
                s.push(
                    t,
                    ServerAction::Move {
                        site: Wh,
                        custodian: Some("Refurbishment"),
                        reason: "to the central spare pool".into(),
                    },
                );
            }
        }
        Fate::Redeployed => {
            let (to_tier, to_site) = second_life_for(cfg, rng, po.site);
            let t = s.soon(rng, 30, 240);
            s.push(t, tr(State::InStock, format!("decommissioned from {} after {life:.1} years", lower(tier))));
            if to_site != po.site {
                let t = s.after(rng, 5, 20);
                s.push(
                    t,
                    ServerAction::Move {
                        site: to_site,
                        custodian: Some(if to_tier == W::EducationLab {
                            "Education programme"
                        } else {
                            "Second-life pool"
                        }),
                        reason: format!("moved to {} for a second life", site(to_site).name),
                    },
                );
                // Data leaves its first home only wiped: a second life elsewhere starts clean.
                let t = s.after(rng, 1, 3);
                s.push(t, ServerAction::SanitizeDrives);
            }
            if cfg.dimm.contains("ddr4") && rng.random_bool(0.6) {
                let t = s.after(rng, 1, 3);
                s.push(t, ServerAction::Upgrade { dimms: if cfg.dimms <= 8 { 4 } else { 8 } });
            }
            let t = s.after(rng, 2, 10);
            c.chg += 1;
            let payback = if site(to_site).grid_ci < 100.0 { "more than 10 years" } else { "about 4 years" };
            s.push(
                t,
                tr_with(
                    State::Redeployed,
                    Some(to_tier),
                    format!("second life: {}", lower(to_tier)),
                    json!({
                        "change": format!("CHG-{:05}", 10_000 + c.chg),
                        "rationale": format!("replacement payback at {} grid intensity: {payback}", site(to_site).name),
                    }),
                ),
            );
            repairs(&mut s, rng, cfg, end - Duration::days(5), 0.1);
        }
        Fate::Retired
        | Fate::LostRetired
        | Fate::Sanitized
        | Fate::Dismantled
        | Fate::InRecycling
        | Fate::Recovered
        | Fate::TransferredOut => {
            retire(&mut s, rng, tier, life);
            match fate {
                Fate::Retired => {}
                Fate::LostRetired => {
                    let t = s.after(rng, 30, 90);
                    s.push(t, tr(State::Lost, "not found at the annual inventory count; written off"));
                }
                _ => {
                    sanitize(&mut s, rng);
                    match fate {
                        Fate::Dismantled => {
                            let t = s.after(rng, 7, 40);
                            s.push(t, ServerAction::OpenDismantle);
                            let t = s.after(rng, 1, 4);
                            s.push(t, ServerAction::Harvest);
                        }
                        Fate::InRecycling | Fate::Recovered => {
                            let t = s.after(rng, 14, 40);
                            s.push(
                                t,
                                tr(
                                    State::InRecycling,
                                    "whole unit shipped for recycling (no reuse demand for this model)",
                                ),
                            );
                            if fate == Fate::Recovered {
                                let t = s.after(rng, 60, 120);
                                s.push(t, tr(State::Recovered, "certificate of recycling received"));
                            }
                        }
                        Fate::TransferredOut => {
                            let t = s.after(rng, 2, 10);
                            let grade = Grade {
                                functional: Some(FunctionalGrade::F5),
                                cosmetic: Some(CosmeticGrade::C6),
                                retail: Some(RetailGrade::A),
                            };
                            s.push(t, ServerAction::Grade { grade, reason: "tested and graded for resale".into() });
                            let t = s.after(rng, 10, 40);
                            let buyer = d.buyers.servers.choose(rng).map(String::as_str).unwrap_or_default();
                            s.push(
                                t,
                                tr_with(
                                    State::TransferredOut,
                                    None,
                                    buyer,
                                    json!({
                                        "recipient": buyer,
                                        "weee_annex_vi": {"tested_by": "refurb-utr", "test": "functional test, 24 h burn-in", "result": "pass", "transport_document": format!("CMR-{}", rng.random_range(10_000..99_999))},
                                    }),
                                ),
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    for (t, a) in s.steps {
        if t > end {
            bail!("server {idx} ({fate:?}) has a step after the end of the history");
        }
        out.push((t, idx, a));
    }
    Ok(())
}

/// A server whose system board gives out: commissioned like any other, it fails to POST
/// two to three years before the end (the board's BIOS recovered), then reboots on a
/// voltage-regulator fault (firmware reflashed), then fails to POST again: its CPUs,
/// DIMMs and PSUs test good elsewhere, the board is not worth replacing, and the repair
/// closes as not repairable (retired). It is shipped to the warehouse and graded for parts,
/// where it waits: three failures make harvesting its working parts its best next life.
fn board_story(
    rng: &mut StdRng,
    idx: usize,
    po: &Po,
    acquired: DateTime<Utc>,
    end: DateTime<Utc>,
    c: &mut Counters,
    out: &mut Vec<(DateTime<Utc>, usize, ServerAction)>,
) -> anyhow::Result<()> {
    let mut s = Story { t: acquired, steps: Vec::new() };
    let t = s.after(rng, 7, 40);
    c.chg += 1;
    s.push(
        t,
        tr_with(
            State::Deployed,
            Some(po.tier),
            format!("commissioned into the {} cluster", lower(po.tier)),
            json!({"change": format!("CHG-{:05}", 10_000 + c.chg)}),
        ),
    );
    let deployed_at = t;
    let from = (end - Duration::days(3 * 365) - s.t).num_days().max(120);
    let to = (end - Duration::days(2 * 365) - s.t).num_days();
    let t = s.after(rng, from, to);
    let slot = format!("{}{}", ['A', 'B'][rng.random_range(0..2)], rng.random_range(1..=12));
    s.push(
        t,
        ServerAction::OpenRepair {
            fault: FaultCategory::NoPost,
            reason: "incident: no POST after a power cycle; system health LED amber".into(),
        },
    );
    let t = s.after(rng, 1, 3);
    s.push(
        t,
        ServerAction::CloseRepair {
            outcome: RepairOutcome::Repaired,
            note: "CMOS cleared and BIOS recovered from the backup image; burn-in passed".into(),
        },
    );
    let t = s.after(rng, 150, 270);
    s.push(
        t,
        ServerAction::OpenRepair {
            fault: FaultCategory::Other,
            reason: "incident: unexpected reboots; the BMC logs a system board voltage regulator fault on CPU 2".into(),
        },
    );
    let t = s.after(rng, 2, 5);
    s.push(
        t,
        ServerAction::CloseRepair {
            outcome: RepairOutcome::Repaired,
            note: "BIOS and BMC firmware reflashed, CPU 2 reseated; burn-in passed; system board on watch".into(),
        },
    );
    let t = s.after(rng, 90, 200);
    s.push(
        t,
        ServerAction::OpenRepair {
            fault: FaultCategory::NoPost,
            reason: format!(
                "incident: no POST again; memory training fails at CPU 2 (DIMM {slot} and its neighbours, all known good)"
            ),
        },
    );
    let t = s.after(rng, 2, 6);
    s.push(
        t,
        ServerAction::CloseRepair {
            outcome: RepairOutcome::NotRepairable,
            note: format!(
                "system board failed: its CPUs, DIMMs and PSUs test good in another server, and a replacement board is not worth buying after {:.1} years; retired to be harvested for parts",
                years(t - deployed_at)
            ),
        },
    );
    let t = s.after(rng, 5, 21);
    s.push(
        t,
        ServerAction::Move {
            site: Wh,
            custodian: Some("Refurbishment"),
            reason: "shipped to the refurbishment warehouse as a parts donor".into(),
        },
    );
    let t = s.after(rng, 1, 5);
    let grade = Grade { functional: None, cosmetic: Some(CosmeticGrade::C4), retail: Some(RetailGrade::D) };
    s.push(t, ServerAction::Grade { grade, reason: "intake grading: system board failed, for parts".into() });
    for (t, a) in s.steps {
        if t > end {
            bail!("server {idx} (failed board) has a step after the end of the history");
        }
        out.push((t, idx, a));
    }
    Ok(())
}

/// The story of a server already in service when recording began: registered deployed at
/// the inventory intake. Web servers are re-purposed to CI and build a few months on, when
/// newer servers take over the web platform. Most still run at the end of the history; a
/// few were decommissioned and kept as spares, one was retired lately and waits at the
/// warehouse, and the first to go were recycled whole.
fn legacy_story(
    rng: &mut StdRng,
    idx: usize,
    po: &Po,
    since: DateTime<Utc>,
    fate: Fate,
    end: DateTime<Utc>,
    out: &mut Vec<(DateTime<Utc>, usize, ServerAction)>,
) -> anyhow::Result<()> {
    let mut s = Story { t: po.at, steps: Vec::new() };
    let mut tier = po.tier;
    if tier == W::WebServices {
        let t = s.after(rng, 40, 110);
        s.push(
            t,
            ServerAction::Workload {
                tier: Some(W::CiBuild),
                reason: format!(
                    "the web platform moved to newer servers; cluster re-purposed from {} to {}",
                    lower(tier),
                    lower(W::CiBuild)
                ),
            },
        );
        tier = W::CiBuild;
    }
    // Jumps to about `days_before` the end (never back).
    let jump = |s: &mut Story, days_before: i64| s.t = s.t.max(end - Duration::days(days_before));
    match fate {
        Fate::Deployed => {}
        Fate::InStock => {
            jump(&mut s, rng.random_range(400..1100));
            let t = s.soon(rng, 30, 240);
            let life = years(t - since);
            s.push(
                t,
                tr(
                    State::InStock,
                    format!("decommissioned from {} after {life:.1} years; kept as a spare", lower(tier)),
                ),
            );
            let t = s.soon(rng, 10, 90);
            s.push(t, ServerAction::Workload { tier: None, reason: "not in service".into() });
            if rng.random_bool(0.5) {
                let t = s.after(rng, 3, 14);
                s.push(
                    t,
                    ServerAction::Move {
                        site: Wh,
                        custodian: Some("Refurbishment"),
                        reason: "to the central spare pool".into(),
                    },
                );
            }
        }
        Fate::Retired => {
            jump(&mut s, rng.random_range(60..200));
            let life = years(s.t - since);
            retire(&mut s, rng, tier, life);
        }
        Fate::Recovered => {
            jump(&mut s, rng.random_range(1450..1950));
            let life = years(s.t - since);
            retire(&mut s, rng, tier, life);
            sanitize(&mut s, rng);
            let t = s.after(rng, 14, 40);
            s.push(t, tr(State::InRecycling, "whole unit shipped for recycling (too old for another life)"));
            let t = s.after(rng, 60, 120);
            s.push(t, tr(State::Recovered, "certificate of recycling received"));
        }
        other => bail!("server {idx}: the legacy kit has no {other:?} story"),
    }
    for (t, a) in s.steps {
        if t > end {
            bail!("server {idx} (legacy, {fate:?}) has a step after the end of the history");
        }
        out.push((t, idx, a));
    }
    Ok(())
}

/// Takes `n` servers from `pool` (already shuffled) for `fate`.
fn assign(fates: &mut [Option<Fate>], pool: &mut Vec<usize>, n: usize, fate: Fate) {
    let mut taken = 0;
    pool.retain(|&i| {
        if taken < n && fates[i].is_none() {
            fates[i] = Some(fate);
            taken += 1;
            false
        } else {
            true
        }
    });
}

/// The demo plan.
pub fn plan(seed: u64) -> anyhow::Result<Plan> {
    let data = super::data::demo()?;
    let mut rng = StdRng::seed_from_u64(seed);
    // The legacy kit and the failed boards draw from streams of their own, so the other
    // servers' stories are the same with or without them.
    let mut legacy_rng = StdRng::seed_from_u64(seed ^ LEGACY_STREAM);
    let end = history_end()?;
    let start_of_history = history_start()?;
    let mut intake = inventory_intake()?;
    let mut pos = Vec::new();
    let mut servers = Vec::new();
    let mut acquired = Vec::new();
    for (i, (line, row)) in data.purchase_orders.iter().enumerate() {
        let delivered = ymd_hm(row.date.year(), row.date.month(), row.date.day(), 10, 0)?;
        let cfg = data.config(&row.configuration).with_context(|| format!("{PO_FILE} line {line}"))?;
        // Kit in service before the history starts is registered at the inventory intake.
        let legacy = delivered < start_of_history;
        let at = if legacy {
            intake += Duration::minutes(40);
            intake
        } else {
            delivered
        };
        let start = servers.len();
        for _ in 0..row.servers {
            let in_service_since = if legacy {
                let mut s = Story { t: delivered, steps: Vec::new() };
                Some(s.after(&mut legacy_rng, 14, 35))
            } else {
                None
            };
            let tag = format!("RL-{:06}", servers.len() + 1);
            servers.push(ServerPlan { tag, po: i, fate: Fate::Deployed, in_service_since });
            acquired.push(at);
        }
        // The legacy kit's spares kit was used up before recording began.
        let mut spares = Vec::new();
        if !legacy {
            spares = vec![(cfg.dimm.as_str(), row.servers.div_ceil(8)), (cfg.psu.as_str(), 1)];
            if let Some((drive, _)) = cfg.drives.last() {
                spares.push((drive.as_str(), row.servers.div_ceil(10)));
            }
        }
        pos.push(Po {
            number: format!("PO-{}-{:03}", row.date.year(), 100 + i),
            at,
            delivered,
            config: cfg,
            cpu: row.cpu.as_deref().unwrap_or(&cfg.cpu),
            site: row.site,
            tier: row.workload,
            custodian: &row.custodian,
            servers: start..servers.len(),
            spares,
        });
    }

    // Fates: old servers carry the end-of-life stories, newer ones are in service.
    let n = servers.len();
    let legacy: Vec<bool> = servers.iter().map(|s| s.in_service_since.is_some()).collect();
    let mut fates: Vec<Option<Fate>> = vec![None; n];
    let y2021 = ymd_hm(2021, 1, 1, 0, 0)?;
    let y2022q4 = ymd_hm(2022, 10, 1, 0, 0)?;
    let y2025 = ymd_hm(2025, 1, 1, 0, 0)?;
    let latest = ymd_hm(2025, 10, 1, 0, 0)?;
    for (i, s) in servers.iter().enumerate() {
        if acquired[i] >= latest {
            fates[i] = Some(Fate::InStock);
        } else if pos[s.po].config.key == "dgx-a100" && acquired[i] < ymd_hm(2022, 1, 1, 0, 0)? && i % 2 == 0 {
            fates[i] = Some(Fate::Redeployed);
        }
    }
    let mut old: Vec<usize> = (0..n).filter(|&i| acquired[i] < y2021 && !legacy[i]).collect();
    old.shuffle(&mut rng);
    for (fate, k) in [
        (Fate::Redeployed, 32),
        (Fate::Retired, 17),
        (Fate::LostRetired, 1),
        (Fate::Sanitized, 8),
        (Fate::Dismantled, 8),
        (Fate::InRecycling, 3),
        (Fate::Recovered, 3),
        (Fate::TransferredOut, 6),
        (Fate::InStock, 8),
        (Fate::InRepair, 4),
    ] {
        assign(&mut fates, &mut old, k, fate);
    }
    // Nobody keeps a DGX as an idle hot spare.
    let dgx = |i: usize| pos[servers[i].po].config.key.starts_with("dgx");
    let mut mid_old: Vec<usize> = (0..n).filter(|&i| acquired[i] >= y2021 && acquired[i] < y2022q4).collect();
    mid_old.shuffle(&mut rng);
    for (fate, k) in [(Fate::Redeployed, 4), (Fate::Retired, 7), (Fate::Sanitized, 1)] {
        assign(&mut fates, &mut mid_old, k, fate);
    }
    mid_old.retain(|&i| !dgx(i));
    assign(&mut fates, &mut mid_old, 1, Fate::LostInTransit);
    let spare_before = ymd_hm(2024, 4, 1, 0, 0)?;
    let mut mid: Vec<usize> =
        (0..n).filter(|&i| acquired[i] >= y2021 && acquired[i] < y2025 && fates[i].is_none()).collect();
    mid.shuffle(&mut rng);
    // Hot spares only from servers with at least 18 months in service.
    let mut spares: Vec<usize> = mid.iter().copied().filter(|&i| !dgx(i) && acquired[i] < spare_before).collect();
    assign(&mut fates, &mut spares, 13, Fate::InStock);
    assign(&mut fates, &mut mid, 12, Fate::InRepair);
    // The legacy kit: most of each order still runs; about a sixth kept as spares, one
    // retired lately, and about a sixth (the first to go) recycled whole.
    for p in pos.iter().filter(|p| p.delivered < start_of_history) {
        let mut pool: Vec<usize> = p.servers.clone().collect();
        pool.shuffle(&mut legacy_rng);
        let k = (pool.len() / 6).max(1);
        for (fate, count) in [(Fate::InStock, k), (Fate::Retired, 1), (Fate::Recovered, k)] {
            assign(&mut fates, &mut pool, count, fate);
        }
    }
    for (i, f) in fates.iter().enumerate() {
        servers[i].fate = f.unwrap_or(Fate::Deployed);
    }

    // Stories, in server order (one RNG stream, so the plan is reproducible).
    let mut steps: Vec<(DateTime<Utc>, usize, ServerAction)> = Vec::new();
    let mut counters = Counters { chg: 0 };
    for i in 0..n {
        let po = &pos[servers[i].po];
        match servers[i].in_service_since {
            Some(since) => legacy_story(&mut legacy_rng, i, po, since, servers[i].fate, end, &mut steps)?,
            None => story(data, &mut rng, i, po, acquired[i], servers[i].fate, end, &mut counters, &mut steps)?,
        }
    }

    // Failed system boards: a few servers without GPUs, delivered before the last quarter
    // of 2022 and still in service, are chosen once every other story is written; their
    // stories are told again from a stream of their own.
    let mut board_rng = StdRng::seed_from_u64(seed ^ BOARD_STREAM);
    let mut boards: Vec<usize> = (0..n)
        .filter(|&i| {
            servers[i].fate == Fate::Deployed
                && !legacy[i]
                && !pos[servers[i].po].config.has_gpus()
                && acquired[i] < y2022q4
        })
        .collect();
    boards.shuffle(&mut board_rng);
    boards.truncate(FAILED_BOARDS);
    boards.sort_unstable();
    steps.retain(|(_, i, _)| !boards.contains(i));
    for &i in &boards {
        servers[i].fate = Fate::BoardFailed;
        let po = &pos[servers[i].po];
        story(data, &mut board_rng, i, po, acquired[i], Fate::BoardFailed, end, &mut counters, &mut steps)?;
    }

    // Recycling lots twice a year; certificates about 11 weeks later.
    let mut lots = Vec::new();
    for y in 2020..=2026 {
        for (m, d) in [(3, 16), (9, 14)] {
            let at = ymd_hm(y, m, d, 14, 0)?;
            if at < end {
                lots.push(Lot { name: format!("LOT-{y}-{m:02}"), at });
            }
        }
    }

    let batteries_at = ymd_hm(2022, 2, 14, 11, 0)?;
    let mut schedule = Vec::new();
    let mut seq = 0;
    let mut push = |at, action| {
        schedule.push(Scheduled { at, seq, action });
        seq += 1;
    };
    push(batteries_at, Action::RegisterBatteries);
    for (i, p) in pos.iter().enumerate() {
        push(p.at, Action::RegisterPo(i));
    }
    for (t, i, a) in steps {
        push(t, Action::Server(i, a));
    }
    for (i, l) in lots.iter().enumerate() {
        push(l.at, Action::RecyclingLot(i));
        let rec = l.at + Duration::days(77);
        if rec < end {
            push(rec, Action::RecoverLot(i));
        }
    }
    schedule.sort_by_key(|s| (s.at, s.seq));
    Ok(Plan { pos, servers, lots, schedule })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn the_plan_is_deterministic_and_in_time_order() {
        let a = plan(SEED).expect("plan");
        let b = plan(SEED).expect("plan");
        assert_eq!(a.schedule.len(), b.schedule.len());
        for (x, y) in a.schedule.iter().zip(&b.schedule) {
            assert_eq!((x.at, format!("{:?}", x.action)), (y.at, format!("{:?}", y.action)));
        }
        assert!(a.schedule.windows(2).all(|w| w[0].at <= w[1].at));
        let end = history_end().expect("end");
        assert!(a.schedule.iter().all(|s| s.at <= end));
    }

    #[test]
    fn workload_labels_read_well_in_sentences() {
        assert_eq!(lower(W::AiTraining), "AI training");
        assert_eq!(lower(W::GeneralCompute), "general compute / virtualisation");
    }

    #[test]
    fn fates_are_spread_roughly_as_intended() {
        let p = plan(SEED).expect("plan");
        let n = p.servers.len() as f64;
        let mut count: HashMap<Fate, usize> = HashMap::new();
        for s in &p.servers {
            *count.entry(s.fate).or_default() += 1;
        }
        let share = |f: Fate| *count.get(&f).unwrap_or(&0) as f64 / n;
        assert!((320.0..=360.0).contains(&n), "{n} servers");
        assert!((0.5..0.62).contains(&share(Fate::Deployed)), "{count:?}");
        assert!((0.08..0.16).contains(&share(Fate::Redeployed)), "{count:?}");
        assert!(share(Fate::InRepair) > 0.03, "{count:?}");
        assert!(count.get(&Fate::Dismantled).copied().unwrap_or(0) >= 5);
    }

    #[test]
    fn the_legacy_kit_is_ten_years_in_service_and_failed_boards_are_not_repaired() {
        let p = plan(SEED).expect("plan");
        let end = history_end().expect("end");
        let intake = inventory_intake().expect("intake");
        let legacy: Vec<&ServerPlan> = p.servers.iter().filter(|s| s.in_service_since.is_some()).collect();
        assert_eq!(legacy.len(), 20);
        for s in &legacy {
            let since = s.in_service_since.expect("legacy");
            let po = &p.pos[s.po];
            assert!(po.delivered < since && since < history_start().expect("start") && po.at > intake);
            assert!(years(end - since) >= 10.0, "{} in service since {since}", s.tag);
        }
        let live = legacy.iter().filter(|s| matches!(s.fate, Fate::Deployed | Fate::InStock | Fate::Retired));
        assert!(live.count() >= 12, "most of the legacy kit is still there at the end");
        let boards: Vec<usize> = (0..p.servers.len()).filter(|&i| p.servers[i].fate == Fate::BoardFailed).collect();
        assert_eq!(boards.len(), FAILED_BOARDS);
        for &i in &boards {
            let closes: Vec<RepairOutcome> = p
                .schedule
                .iter()
                .filter_map(|s| match &s.action {
                    Action::Server(k, ServerAction::CloseRepair { outcome, .. }) if *k == i => Some(*outcome),
                    _ => None,
                })
                .collect();
            use RepairOutcome::*;
            assert_eq!(closes, [Repaired, Repaired, NotRepairable], "{}", p.servers[i].tag);
        }
    }

    #[test]
    fn each_server_story_starts_after_its_delivery() {
        let p = plan(SEED).expect("plan");
        let mut registered = HashMap::new();
        for s in &p.schedule {
            match &s.action {
                Action::RegisterPo(i) => {
                    for k in p.pos[*i].servers.clone() {
                        registered.insert(k, s.at);
                    }
                }
                Action::Server(i, _) => {
                    let r = registered.get(i).expect("registered before its first step");
                    assert!(*r < s.at);
                }
                _ => {}
            }
        }
    }
}
