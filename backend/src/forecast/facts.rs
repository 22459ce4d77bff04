//! The one read model of the forecast's facts: the items in use today with their whole
//! trees (kind, material profile and mass of every part), what awaits disposal, and each
//! kind's lifespan history for the fit. Read in one consistent snapshot.
//!
//! - A fleet item is a top-level item in use (`rules::Stage::InUse`); its parts leave with
//!   it, so its pieces are its own mass and every installed part's, each with its model's
//!   material profile. A part whose parent is past use counts as its own top-level item.
//! - Its life started on its first deployment, else its acquisition, else its
//!   registration.
//! - Its UNU key is its model's when the shipped table knows it, else 0307 (data-centre
//!   equipment), counted as a fallback.
//! - A lifespan observation is any item with a start: ended (state past use) at the last
//!   move into retired, sold or lost, or still in use at its age today.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, StreamTrait};
use uuid::Uuid;

use super::fit::Obs;
use super::fleet::{MATERIALS, Piece};
use super::kernel::DAYS_PER_YEAR;
use super::refdata;
use crate::db::entities::{asset, hardware_model, lifecycle_event};
use crate::error::{AppError, AppResult};
use crate::recycling::factors;
use crate::rules::forecast::END_OF_LIFE;
use crate::rules::{AssetKind, EventKind, Material, Stage, State};

/// Which top-level items a fleet forecast covers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Filter {
    pub site: Option<Uuid>,
    pub kind: Option<AssetKind>,
}

/// A top-level item in use, before a kernel is chosen for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawItem {
    pub kind: AssetKind,
    /// Index into [`FleetFacts::unu_keys`].
    pub unu: u16,
    pub start_day: i32,
    pub pieces: (u32, u32),
}

/// The fleet as the forecast reads it.
#[derive(Clone, Debug, Default)]
pub struct FleetFacts {
    pub items: Vec<RawItem>,
    pub pieces: std::sync::Arc<[Piece]>,
    /// g/kg of each material by profile, and each profile's name.
    pub profiles: Vec<[f64; MATERIALS]>,
    pub profile_names: Vec<String>,
    /// The sources of the material factors used.
    pub factor_sources: Vec<String>,
    /// UNU keys the items carry (each known to the shipped table).
    pub unu_keys: Vec<String>,
    /// Top-level items using 0307 because their model names no known UNU key.
    pub unu_fallbacks: u64,
    /// Items and parts without a known mass (no override, no model mass).
    pub unknown_mass: u64,
    /// Mass whose model has no material profile with factors.
    pub unprofiled_kg: f64,
    /// Retired items still here (top-level), and their mass with their parts.
    pub awaiting_items: u64,
    pub awaiting_kg: f64,
}

impl FleetFacts {
    /// Mass share of each component kind over the fleet's pieces (the composition a
    /// procurement or demand forecast's harvest lever uses by default).
    pub fn composition(&self) -> Vec<(AssetKind, f64)> {
        let total: f64 = self.pieces.iter().map(|p| p.kg).sum();
        if total <= 0.0 {
            return Vec::new();
        }
        let mut by: Vec<(AssetKind, f64)> = Vec::new();
        for p in self.pieces.iter() {
            match by.iter_mut().find(|(k, _)| *k == p.kind) {
                Some((_, kg)) => *kg += p.kg,
                None => by.push((p.kind, p.kg)),
            }
        }
        by.iter_mut().for_each(|(_, kg)| *kg /= total);
        by.sort_by(|a, b| b.1.total_cmp(&a.1));
        by
    }
}

/// One asset row as the forecast needs it.
struct Row {
    id: Uuid,
    parent: Option<Uuid>,
    kind: AssetKind,
    model: Option<Uuid>,
    site: Option<Uuid>,
    stage: Stage,
    start_day: i32,
    own_kg: Option<f64>,
}

type RowTuple = (
    Uuid,
    Option<Uuid>,
    String,
    Option<Uuid>,
    Option<Uuid>,
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    DateTime<Utc>,
    Option<f64>,
);

fn start_day(first_deployed: Option<NaiveDate>, acquired: Option<NaiveDate>, created: DateTime<Utc>) -> i32 {
    use chrono::Datelike;
    first_deployed.or(acquired).unwrap_or_else(|| created.date_naive()).num_days_from_ce()
}

fn parse_kind_state(kind: &str, state: &str) -> AppResult<(AssetKind, State)> {
    match (AssetKind::parse(kind), State::parse(state)) {
        (Some(k), Some(s)) => Ok((k, s)),
        _ => Err(AppError::Internal(anyhow::anyhow!("unreadable asset kind or state: {kind}, {state}"))),
    }
}

/// A model's figures the forecast reads.
struct ModelFacts {
    mass_kg: Option<f64>,
    profile: String,
    unu_key: String,
}

async fn models<C: ConnectionTrait>(conn: &C) -> AppResult<HashMap<Uuid, ModelFacts>> {
    let rows: Vec<(Uuid, Option<f64>, String, String)> = hardware_model::Entity::find()
        .select_only()
        .columns([
            hardware_model::Column::Id,
            hardware_model::Column::MassKg,
            hardware_model::Column::MaterialProfile,
            hardware_model::Column::UnuKey,
        ])
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, mass_kg, profile, unu_key)| (id, ModelFacts { mass_kg, profile, unu_key })).collect())
}

/// The registry's history, read in the same pass as the fleet when asked for (see
/// [`read`]): every kind's lifespans so far, and the mass acquired per year.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Each kind's lifespans: ended (at the last move into retired, sold or lost) or still
    /// in use (censored at its age today).
    pub lives: HashMap<AssetKind, Vec<Obs>>,
    /// Every item's and part's own mass (counted once each) by the year it was acquired,
    /// else registered; items of unknown mass left out. The series a procurement forecast
    /// of the registry's own purchases starts from.
    pub acquired: Vec<(i32, f64)>,
}

/// The fleet in use under `filter` and, with `history`, the registry's history (every
/// kind's lifespans as of `today`, the mass acquired per year), from one pass over the
/// assets: items past use are read for the history only, and the dates their lives ended
/// come from the ledger of those items alone.
pub async fn read<C: ConnectionTrait + StreamTrait>(
    conn: &C,
    filter: Filter,
    today: NaiveDate,
    history: bool,
) -> AppResult<(FleetFacts, Option<History>)> {
    let models = models(conn).await?;
    let table = factors::effective(conn).await?;
    let ended_at = if history { ended_at(conn).await? } else { HashMap::new() };
    let today_day = {
        use chrono::Datelike;
        today.num_days_from_ce()
    };
    let mut select = asset::Entity::find().select_only().columns([
        asset::Column::Id,
        asset::Column::ParentId,
        asset::Column::Kind,
        asset::Column::ModelId,
        asset::Column::SiteId,
        asset::Column::State,
        asset::Column::FirstDeployedOn,
        asset::Column::AcquiredOn,
        asset::Column::CreatedAt,
        asset::Column::MassOverrideKg,
    ]);
    if !history {
        let live: Vec<&str> = State::ALL.iter().filter(|s| s.stage() != Stage::Gone).map(|s| s.as_str()).collect();
        select = select.filter(asset::Column::State.is_in(live));
    }
    let mut stream = select.into_tuple::<RowTuple>().stream(conn).await?;
    let mut rows: Vec<Row> = Vec::new();
    let mut obs: HashMap<AssetKind, Vec<Obs>> = HashMap::new();
    let mut acquired_by_year: std::collections::BTreeMap<i32, f64> = std::collections::BTreeMap::new();
    while let Some((id, parent, kind, model, site, state, first, acquired, created, mass)) = stream.try_next().await? {
        let (kind, state) = parse_kind_state(&kind, &state)?;
        let start = start_day(first, acquired, created);
        let own_kg = mass.or_else(|| model.and_then(|m| models.get(&m)).and_then(|m| m.mass_kg));
        if history {
            if let Some(kg) = own_kg {
                use chrono::Datelike;
                *acquired_by_year.entry(acquired.map_or_else(|| created.year(), |d| d.year())).or_default() += kg;
            }
            let o = if state.life_ended() {
                ended_at.get(&id).map(|end| Obs { years: f64::from(end - start) / DAYS_PER_YEAR, ended: true })
            } else {
                Some(Obs { years: f64::from(today_day - start) / DAYS_PER_YEAR, ended: false })
            };
            if let Some(o) = o {
                obs.entry(kind).or_default().push(o);
            }
        }
        if state.stage() == Stage::Gone {
            continue;
        }
        rows.push(Row { id, parent, kind, model, site, stage: state.stage(), start_day: start, own_kg });
    }
    drop(stream);
    let history = history.then(|| History { lives: obs, acquired: acquired_by_year.into_iter().collect() });
    Ok((assemble(&rows, &models, &table, filter), history))
}

/// The day each item past use ended its life: its last move into retired, sold or lost,
/// read for the items whose state is past use only (through the ledger's asset index).
async fn ended_at<C: ConnectionTrait + StreamTrait>(conn: &C) -> AppResult<HashMap<Uuid, i32>> {
    use sea_orm::sea_query::Query;
    let ends: Vec<&str> = END_OF_LIFE.iter().map(|s| s.as_str()).collect();
    let past: Vec<&str> = State::ALL.iter().filter(|s| s.life_ended()).map(|s| s.as_str()).collect();
    let ended_items = Query::select()
        .column(asset::Column::Id)
        .from(asset::Entity)
        .and_where(asset::Column::State.is_in(past))
        .to_owned();
    let mut out = HashMap::new();
    let mut stream = lifecycle_event::Entity::find()
        .select_only()
        .column(lifecycle_event::Column::AssetId)
        .column_as(lifecycle_event::Column::OccurredAt.max(), "ended_at")
        .filter(lifecycle_event::Column::AssetId.in_subquery(ended_items))
        .filter(lifecycle_event::Column::Kind.eq(EventKind::State.as_str()))
        .filter(lifecycle_event::Column::ToValue.is_in(ends))
        .group_by(lifecycle_event::Column::AssetId)
        .into_tuple::<(Uuid, DateTime<Utc>)>()
        .stream(conn)
        .await?;
    while let Some((id, at)) = stream.try_next().await? {
        use chrono::Datelike;
        out.insert(id, at.date_naive().num_days_from_ce());
    }
    Ok(out)
}

fn assemble(
    rows: &[Row],
    models: &HashMap<Uuid, ModelFacts>,
    table: &factors::FactorTable,
    filter: Filter,
) -> FleetFacts {
    let index: HashMap<Uuid, u32> = rows.iter().enumerate().map(|(i, r)| (r.id, i as u32)).collect();
    // The top of each row's tree among the rows read (parts of gone items stand alone).
    let root_of: Vec<u32> = (0..rows.len())
        .map(|i| {
            let mut j = i as u32;
            for _ in 0..64 {
                match rows[j as usize].parent.and_then(|p| index.get(&p)) {
                    Some(&up) => j = up,
                    None => break,
                }
            }
            j
        })
        .collect();
    let mut out = FleetFacts::default();
    let mut profile_index: HashMap<String, Option<u16>> = HashMap::new();
    let mut sources: Vec<String> = Vec::new();
    let mut profile_of = |name: &str, out: &mut FleetFacts| -> Option<u16> {
        if name.is_empty() {
            return None;
        }
        *profile_index.entry(name.to_owned()).or_insert_with(|| {
            let mut g = [0.0; MATERIALS];
            let mut any = false;
            for (m, e) in table.profile(name) {
                if let Some(i) = Material::ALL.iter().position(|x| *x == m) {
                    g[i] = e.value;
                    any = true;
                    let src = format!("{name}: {}", e.source);
                    if !sources.contains(&src) {
                        sources.push(src);
                    }
                }
            }
            any.then(|| {
                out.profiles.push(g);
                out.profile_names.push(name.to_owned());
                (out.profiles.len() - 1) as u16
            })
        })
    };
    let wanted = |r: &Row| filter.site.is_none_or(|s| r.site == Some(s)) && filter.kind.is_none_or(|k| r.kind == k);
    // Rows by root, roots in row order: a counting sort.
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); rows.len()];
    for (i, root) in root_of.iter().enumerate() {
        members[*root as usize].push(i as u32);
    }
    let mut unu_index: HashMap<String, u16> = HashMap::new();
    let mut pieces: Vec<Piece> = Vec::new();
    for (root, nodes) in members.iter().enumerate() {
        if nodes.is_empty() || root_of[root] as usize != root {
            continue;
        }
        let top = &rows[root];
        if !wanted(top) {
            continue;
        }
        match top.stage {
            Stage::InUse => {
                let from = pieces.len() as u32;
                for n in nodes {
                    let r = &rows[*n as usize];
                    let model = r.model.and_then(|m| models.get(&m));
                    let profile = profile_of(model.map(|m| m.profile.as_str()).unwrap_or(""), &mut out);
                    let kg = match r.own_kg {
                        Some(kg) => kg,
                        None => {
                            out.unknown_mass += 1;
                            0.0
                        }
                    };
                    if profile.is_none() {
                        out.unprofiled_kg += kg;
                    }
                    pieces.push(Piece { kind: r.kind, profile, kg });
                }
                let key = top.model.and_then(|m| models.get(&m)).map(|m| m.unu_key.trim()).unwrap_or("");
                let key = if refdata::unu(key).is_some() {
                    key
                } else {
                    out.unu_fallbacks += 1;
                    refdata::FALLBACK_UNU_KEY
                };
                let unu = *unu_index.entry(key.to_owned()).or_insert_with(|| {
                    out.unu_keys.push(key.to_owned());
                    (out.unu_keys.len() - 1) as u16
                });
                out.items.push(RawItem {
                    kind: top.kind,
                    unu,
                    start_day: top.start_day,
                    pieces: (from, pieces.len() as u32),
                });
            }
            Stage::AwaitingDisposal => {
                out.awaiting_items += 1;
                out.awaiting_kg += nodes.iter().filter_map(|n| rows[*n as usize].own_kg).sum::<f64>();
            }
            Stage::Gone => {}
        }
    }
    sources.sort();
    out.factor_sources = sources;
    out.pieces = pieces.into();
    out
}
