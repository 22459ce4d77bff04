//! The end-of-life speed target: a recycling lot of `--lot` whole servers (by default
//! 10,000: 100,000 items with their parts) built and shipped on the benchmark fleet, after
//! the page loads. The servers are registered retired with the fleet's trees, each NVMe
//! drive gets a passing purge record through the sanitization service (the gate lets
//! nothing data-bearing out without one), a certified recycler takes the lot, and then two
//! calls are timed: adding every server in one request (`recycling::add_items`: the gate
//! and the plan over every tree) and shipping (`recycling::ship`: one transaction moving
//! every item and everything in it to `in_recycling`, with a ledger entry each).

use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use reloop::context::Ctx;
use reloop::db::Db;
use reloop::ids::AssetId;
use reloop::recycling::{AddItems, NewLot, ShipLot};
use reloop::rules::{AssetKind, CertScheme, MethodClass, State, Technique, TreatmentRoute, VendorRole, Verification};
use reloop::sanitization::NewRecord;
use reloop::vendors::{Certification, NewVendor};

use crate::fleet::{Fleet, PARTS, server_tree};

/// Servers per registration transaction, as the fleet's.
const BATCH_SERVERS: usize = 1000;
/// The lot servers' numbers start here, so their serials differ from the fleet's.
const FIRST: usize = 0x1000_0000;

/// What the lot phase measured, in seconds.
pub struct LotResult {
    pub servers: usize,
    /// Every item the shipment moved.
    pub moved: usize,
    pub register_s: f64,
    pub sanitize_s: f64,
    pub add_s: f64,
    pub ship_s: f64,
}

/// Registers the lot's servers, sanitizes their drives, builds the lot and ships it.
pub async fn run(db: &Db, fleet: &Fleet, servers: usize) -> anyhow::Result<LotResult> {
    let ctx = Ctx::new("bench");
    let started = Instant::now();
    let mut roots = Vec::with_capacity(servers);
    let mut drives = Vec::with_capacity(servers);
    for first in (0..servers).step_by(BATCH_SERVERS) {
        let mut batch = Vec::with_capacity(BATCH_SERVERS * (PARTS + 1));
        for i in first..(first + BATCH_SERVERS).min(servers) {
            let tag = format!("BL-{i:05}");
            let site = fleet.sites[i % fleet.sites.len()];
            batch.extend(server_tree(&tag, FIRST + i, &fleet.models, site, State::Retired, None));
        }
        let made = reloop::assets::register(db, &ctx, batch, true)
            .await
            .with_context(|| format!("registering lot servers {first}.."))?;
        for a in made {
            match a.kind {
                AssetKind::Server => roots.push(a.id),
                k if k.is_data_bearing() => drives.push(a.id),
                _ => {}
            }
        }
    }
    let register_s = started.elapsed().as_secs_f64();
    eprintln!("  lot: {servers} servers registered in {register_s:.1} s; sanitizing their drives");

    // Four stations at once, each recording its share of the drives in turn.
    let started = Instant::now();
    let mut stations = tokio::task::JoinSet::new();
    for share in drives.chunks(drives.len().div_ceil(4).max(1)).map(<[AssetId]>::to_vec) {
        let db = db.clone();
        stations.spawn(async move {
            let ctx = Ctx::new("bench");
            for drive in share {
                let record = NewRecord {
                    asset_id: Some(drive),
                    method_class: Some(MethodClass::Purge),
                    technique: Some(Technique::CryptoErase),
                    tool: Some("nvme-cli format --ses=2".into()),
                    tool_version: Some("2.8".into()),
                    verification: Some(Verification::Full),
                    ..Default::default()
                };
                reloop::sanitization::add_record(&db, &ctx, record)
                    .await
                    .with_context(|| format!("sanitizing the drive {drive}"))?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = stations.join_next().await {
        done.context("a sanitization station stopped")??;
    }
    let sanitize_s = started.elapsed().as_secs_f64();
    eprintln!("  lot: drives sanitized in {sanitize_s:.1} s; adding the servers");

    let vendor = reloop::vendors::create(
        db,
        &ctx,
        NewVendor {
            name: "Bench Metals".into(),
            country: "DE".into(),
            address: Some("Hafenstraße 1, Hamburg".into()),
            role: Some(VendorRole::Recycler),
            certifications: vec![Certification {
                scheme: CertScheme::R2v3,
                number: "R2-BENCH-1".into(),
                expires_on: NaiveDate::from_ymd_opt(2099, 12, 31).context("a date")?,
            }],
            notes: None,
        },
    )
    .await
    .context("creating the lot's vendor")?;
    let lot = reloop::recycling::create(
        db,
        &ctx,
        NewLot {
            reference: Some("BENCH-LOT".into()),
            vendor_id: Some(vendor.id),
            route: Some(TreatmentRoute::ManualDismantlingThenIntegratedSmelter),
            ..Default::default()
        },
    )
    .await
    .context("creating the lot")?;

    let started = Instant::now();
    let added = reloop::recycling::add_items(
        db,
        &ctx,
        lot.id,
        AddItems { version: lot.version, asset_ids: roots, ..Default::default() },
    )
    .await
    .context("adding the servers to the lot")?;
    let add_s = started.elapsed().as_secs_f64();
    eprintln!("  lot: {servers} servers added in {add_s:.2} s; shipping");

    let started = Instant::now();
    let shipped = reloop::recycling::ship(
        db,
        &ctx,
        lot.id,
        ShipLot {
            version: added.lot.version,
            // The fleet's registered masses plus pallets; the gap is not what is measured.
            gross_kg: Some(servers as f64 * 25.0 + 500.0),
            tare_kg: Some(500.0),
            transport_doc: Some("CMR-BENCH-1".into()),
            ..Default::default()
        },
    )
    .await
    .context("shipping the lot")?;
    let ship_s = started.elapsed().as_secs_f64();
    let moved = shipped.contents_count.unwrap_or_default().try_into().unwrap_or_default();
    Ok(LotResult { servers, moved, register_s, sanitize_s, add_s, ship_s })
}
