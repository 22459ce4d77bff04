//! Donors for the harvest bench: retired servers with 100 registered parts each (a board
//! with CPUs, DIMMs, GPUs, NICs and a battery on it; drives, power supplies and fans in the
//! chassis), every part with a serial of its own, and an open dismantle job on each,
//! registered and opened through reloop's own services after the fleet.
//!
//! Each part can be recorded once, so the saving load hands every donor's parts out exactly
//! once (see `load::Saves`): every save is a real first-time recording.

use std::time::Instant;

use anyhow::Context;
use reloop::assets::NewAsset;
use reloop::catalog::{self, NewModel};
use reloop::context::Ctx;
use reloop::db::Db;
use reloop::harvest::{self, NewJob};
use reloop::ids::{JobId, ModelId, SiteId};
use reloop::rules::{AssetKind, Destination, State};

use crate::fleet::Fleet;

/// Registered parts per donor (every item in its tree besides the server itself).
pub const DONOR_PARTS: usize = 100;
/// Donors per registration transaction.
const BATCH_DONORS: usize = 10;

/// One part to record: its serial (what the bench scans) and where it goes: drives are
/// data-bearing and not sanitized, so they may only go to the recycling bin; everything
/// else passes its test and goes to the spare pool.
#[derive(Clone, Debug)]
pub struct DonorPart {
    pub serial: String,
    pub destination: Destination,
}

/// A donor's open dismantle job and its parts.
#[derive(Clone, Debug)]
pub struct Donor {
    pub job: JobId,
    pub parts: Vec<DonorPart>,
}

/// The parts of a donor: (kind, serial suffix, count, on the board?). 1 board + 59 parts on
/// it + 40 in the chassis = 100.
const LAYOUT: [(AssetKind, &str, usize, bool); 8] = [
    (AssetKind::Cpu, "C", 2, true),
    (AssetKind::Dimm, "M", 48, true),
    (AssetKind::Gpu, "G", 4, true),
    (AssetKind::Nic, "X", 4, true),
    (AssetKind::Battery, "Y", 1, true),
    (AssetKind::Hdd, "H", 24, false),
    (AssetKind::Psu, "P", 4, false),
    (AssetKind::Fan, "F", 12, false),
];

/// Registers `count` retired donors with their parts and opens a dismantle job on each.
pub async fn generate(db: &Db, fleet: &Fleet, count: usize) -> anyhow::Result<Vec<Donor>> {
    let ctx = Ctx::new("bench");
    let model = |n: &str, k: AssetKind, kg: f64| NewModel {
        mass_kg: Some(kg),
        notes: Some("synthetic bench donor model".into()),
        ..NewModel::new("BenchCo", n, k)
    };
    let mut models: Vec<(AssetKind, ModelId)> = Vec::new();
    for m in [
        model("D-4U storage server", AssetKind::Server, 30.0),
        model("D-GX board", AssetKind::Board, 3.0),
        model("D-48 CPU", AssetKind::Cpu, 0.1),
        model("D-32 DIMM", AssetKind::Dimm, 0.03),
        model("D-80 GPU", AssetKind::Gpu, 1.5),
        model("D-25 NIC", AssetKind::Nic, 0.2),
        model("D-BBU battery", AssetKind::Battery, 0.3),
        model("D-18 HDD", AssetKind::Hdd, 0.7),
        model("D-1600 PSU", AssetKind::Psu, 2.5),
        model("D-80 fan", AssetKind::Fan, 0.2),
    ] {
        let kind = m.kind;
        let label = catalog::label(&m.manufacturer, &m.model_number);
        let id = catalog::create(db, &ctx, m).await.with_context(|| format!("creating the model {label}"))?.id;
        models.push((kind, id));
    }
    let model_of = |k: AssetKind| models.iter().find(|(kind, _)| *kind == k).map(|(_, id)| *id);
    let sites: &[SiteId] = &fleet.sites;
    let started = Instant::now();
    let mut donors = Vec::with_capacity(count);
    let mut items = 0usize;
    for first in (0..count).step_by(BATCH_DONORS) {
        let mut batch = Vec::with_capacity(BATCH_DONORS * (DONOR_PARTS + 1));
        let mut parts_of = Vec::new();
        for n in first..(first + BATCH_DONORS).min(count) {
            let tag = format!("BD-{n:05}");
            batch.push(NewAsset {
                asset_tag: tag.clone(),
                serial: Some(format!("DS{n:05}")),
                model_id: model_of(AssetKind::Server),
                site_id: Some(sites[n % sites.len()]),
                state: Some(State::Retired),
                ..Default::default()
            });
            let board = format!("{tag}-B");
            batch.push(NewAsset {
                asset_tag: board.clone(),
                serial: Some(format!("DN{n:05}B")),
                model_id: model_of(AssetKind::Board),
                parent_tag: Some(tag.clone()),
                state: Some(State::Retired),
                ..Default::default()
            });
            let mut parts = vec![DonorPart { serial: format!("DN{n:05}B"), destination: Destination::SparePool }];
            for (kind, suffix, many, on_board) in LAYOUT {
                for i in 0..many {
                    let serial = format!("DN{n:05}{suffix}{i:02}");
                    batch.push(NewAsset {
                        asset_tag: format!("{tag}-{suffix}{i:02}"),
                        serial: Some(serial.clone()),
                        model_id: model_of(kind),
                        parent_tag: Some(if on_board { board.clone() } else { tag.clone() }),
                        state: Some(State::Retired),
                        ..Default::default()
                    });
                    let destination =
                        if kind.is_data_bearing() { Destination::RecyclingBin } else { Destination::SparePool };
                    parts.push(DonorPart { serial, destination });
                }
            }
            debug_assert_eq!(parts.len(), DONOR_PARTS);
            parts_of.push(parts);
        }
        items += batch.len();
        let made = reloop::assets::register(db, &ctx, batch, true)
            .await
            .with_context(|| format!("registering donors {first}.."))?;
        for (n, parts) in (first..).zip(parts_of) {
            let tag = format!("BD-{n:05}");
            let server =
                made.iter().find(|a| a.asset_tag == tag).with_context(|| format!("{tag} was not registered"))?;
            let job = harvest::open(db, &ctx, NewJob { asset_id: Some(server.id), ..Default::default() })
                .await
                .with_context(|| format!("opening a dismantle job on {tag}"))?;
            donors.push(Donor { job: job.id, parts });
        }
    }
    println!(
        "registered {count} bench donors ({items} items) and opened a dismantle job on each in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(donors)
}
