//! Reference factors: what an item contains per kg of its material profile, and how much
//! of each material a treatment route recovers. Defaults ship with reloop
//! (`refdata/material_content.csv`, `refdata/recovery_rates.csv`, each row with its source);
//! an admin may set any factor (with a source), and every change is audited. A factor set
//! by an admin replaces the default in every estimate from then on.
//!
//! Reading the shipped content table: its `iron_steel` is reloop's `steel`, and a
//! profile's `circuit_boards` share (g of boards per kg of item) is not a material: it
//! carries the gold, silver and palladium of `circuit_board_datacentre` boards, so a
//! profile gets `share / 1000 × board factor` of each (the boards' copper is taken to be
//! in the profile's own copper figure). Those derived defaults name both rows' sources.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};

use super::model::{Factor, SetFactor};
use crate::audit;
use crate::context::Ctx;
use crate::db::entities::recycling_factor as rf;
use crate::db::{Db, check_version, save_versioned};
use crate::error::{AppError, AppResult, Problems};
use crate::rules::{FactorKind, Material, TreatmentRoute};
use crate::text;

const CONTENT_CSV: &str = include_str!("../../refdata/material_content.csv");
const YIELDS_CSV: &str = include_str!("../../refdata/recovery_rates.csv");

/// The board profile whose precious metals a profile's `circuit_boards` share carries.
pub const BOARD_PROFILE: &str = "circuit_board_datacentre";
/// Largest content factor: a kilogram of item holds at most a kilogram of anything.
pub const CONTENT_MAX_G_PER_KG: f64 = 1000.0;

/// One factor as it applies now.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub value: f64,
    pub source: String,
    /// The shipped default, if there is one.
    pub default: Option<(f64, String)>,
    /// Who set it and when, if an admin did.
    pub edited: Option<(String, DateTime<Utc>)>,
    /// The override row's version (0: the shipped default, never set).
    pub version: i32,
}

type Key = (FactorKind, String, Material);

/// Every factor in force: the defaults with the admin's settings over them.
#[derive(Clone, Debug, Default)]
pub struct FactorTable {
    map: BTreeMap<Key, Entry>,
}

impl FactorTable {
    pub fn get(&self, kind: FactorKind, subject: &str, m: Material) -> Option<&Entry> {
        self.map.get(&(kind, subject.to_owned(), m))
    }

    /// The content factors of a material profile, in g per kg.
    pub fn profile<'a>(&'a self, profile: &'a str) -> impl Iterator<Item = (Material, &'a Entry)> + 'a {
        self.map
            .iter()
            .filter(move |((k, s, _), _)| *k == FactorKind::Content && s == profile)
            .map(|((_, _, m), e)| (*m, e))
    }

    /// The recovery yield of `route` for `m`, as a fraction.
    pub fn yield_of(&self, route: TreatmentRoute, m: Material) -> Option<&Entry> {
        self.get(FactorKind::Yield, route.as_str(), m)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Entry)> {
        self.map.iter()
    }

    fn put(&mut self, key: Key, value: f64, source: String) {
        match self.map.get_mut(&key) {
            // A second row for the same factor adds to it (derived shares of one metal).
            Some(e) => {
                e.value += value;
                e.source = format!("{}; {source}", e.source);
                if let Some(d) = e.default.as_mut() {
                    *d = (e.value, e.source.clone());
                }
            }
            None => {
                self.map.insert(
                    key,
                    Entry { value, default: Some((value, source.clone())), source, edited: None, version: 0 },
                );
            }
        }
    }
}

fn data_lines(csv: &str) -> String {
    csv.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n")
}

/// The shipped content table's material names in reloop's vocabulary (`None` for the
/// `circuit_boards` share, which is expanded).
fn content_material(name: &str) -> Option<Material> {
    match name {
        "iron_steel" => Some(Material::Steel),
        other => Material::parse(other),
    }
}

/// The shipped defaults, read once from the compiled-in tables. Rows that do not parse are
/// left out (a unit test keeps every row parsing).
pub fn defaults() -> &'static FactorTable {
    static TABLE: OnceLock<FactorTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = FactorTable::default();
        let mut boards: Vec<(String, f64, String)> = Vec::new();
        let body = data_lines(CONTENT_CSV);
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(body.as_bytes());
        for rec in rdr.records().flatten() {
            let (Some(profile), Some(material), Some(value)) =
                (rec.get(0), rec.get(1), rec.get(2).and_then(|v| v.trim().parse::<f64>().ok()))
            else {
                continue;
            };
            // The source is the rest of the row (it may hold commas).
            let source = rec.iter().skip(5).collect::<Vec<_>>().join(",").trim().to_owned();
            if material == "circuit_boards" {
                boards.push((profile.to_owned(), value, source));
            } else if let Some(m) = content_material(material) {
                t.put((FactorKind::Content, profile.to_owned(), m), value, source);
            }
        }
        let board_metals: Vec<(Material, f64, String)> = t
            .profile(BOARD_PROFILE)
            .filter(|(m, _)| matches!(m, Material::Gold | Material::Silver | Material::Palladium))
            .map(|(m, e)| (m, e.value, e.source.clone()))
            .collect();
        for (profile, share, source) in boards {
            for (m, per_board, board_source) in &board_metals {
                let value = share / 1000.0 * per_board;
                let why = format!(
                    "derived: {share} g/kg circuit boards ({source}) × {per_board} g/kg {m} in data-centre boards ({board_source})"
                );
                t.put((FactorKind::Content, profile.clone(), *m), value, why);
            }
        }
        let body = data_lines(YIELDS_CSV);
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(body.as_bytes());
        let mut last_source = String::new();
        for rec in rdr.records().flatten() {
            let (Some(route), Some(m), Some(value)) = (
                rec.get(0).and_then(TreatmentRoute::parse),
                rec.get(1).and_then(Material::parse),
                rec.get(2).and_then(|v| v.trim().parse::<f64>().ok()),
            ) else {
                continue;
            };
            let mut source = rec.iter().skip(3).collect::<Vec<_>>().join(",").trim().to_owned();
            if source == "same" {
                source = last_source.clone();
            }
            last_source = source.clone();
            t.put((FactorKind::Yield, route.as_str().to_owned(), m), value, source);
        }
        t
    })
}

/// The factors in force: the defaults, with every factor an admin set over them.
pub async fn effective<C: ConnectionTrait>(conn: &C) -> AppResult<FactorTable> {
    let mut t = defaults().clone();
    for r in rf::Entity::find().all(conn).await? {
        let (Some(kind), Some(m)) = (FactorKind::parse(&r.kind), Material::parse(&r.material)) else {
            return Err(AppError::Internal(anyhow::anyhow!("unreadable factor row {}", r.id)));
        };
        let key = (kind, r.subject.clone(), m);
        let default = t.map.get(&key).and_then(|e| e.default.clone());
        t.map.insert(
            key,
            Entry {
                value: r.value,
                source: r.source,
                default,
                edited: Some((r.edited_by, r.updated_at)),
                version: r.version,
            },
        );
    }
    Ok(t)
}

fn unit(kind: FactorKind) -> &'static str {
    match kind {
        FactorKind::Content => "g/kg",
        FactorKind::Yield => "fraction",
    }
}

/// Every factor in force, by table, subject and material.
pub async fn list<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<Factor>> {
    Ok(effective(conn).await?.iter().map(|((k, s, m), e)| factor(*k, s, *m, e)).collect())
}

fn factor(kind: FactorKind, subject: &str, material: Material, e: &Entry) -> Factor {
    Factor {
        kind,
        subject: subject.to_owned(),
        material,
        value: e.value,
        unit: unit(kind).to_owned(),
        source: e.source.clone(),
        default_value: e.default.as_ref().map(|d| d.0),
        default_source: e.default.as_ref().map(|d| d.1.clone()),
        edited_by: e.edited.as_ref().map(|d| d.0.clone()),
        edited_at: e.edited.as_ref().map(|d| d.1),
        version: e.version,
    }
}

fn valid_profile(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Sets one factor (an admin's decision, audited): `version` is the one shown with it (0
/// for a shipped default never set). A profile's content factors may not add up to more
/// than a kilogram per kilogram.
pub async fn set(db: &Db, ctx: &Ctx, input: SetFactor) -> AppResult<Factor> {
    let mut p = Problems::default();
    let subject = input.subject.trim().to_owned();
    let (kind, material) = (input.kind, input.material);
    match kind {
        FactorKind::Content if !valid_profile(&subject) => {
            p.add("subject", "must be a material profile: lower-case letters, digits and _ (such as server_whole)")
        }
        FactorKind::Yield if TreatmentRoute::parse(&subject).is_none() => {
            p.add("subject", format!("must be a treatment route: one of {}", TreatmentRoute::expected()))
        }
        _ => {}
    }
    let max = if kind == FactorKind::Content { CONTENT_MAX_G_PER_KG } else { 1.0 };
    if !input.value.is_finite() || input.value < 0.0 || input.value > max {
        p.add("value", format!("must be between 0 and {max} ({})", unit(kind)));
    }
    let source = text::required_line(&mut p, "source", &input.source, 500);
    p.into_result()?;
    let txn = db.write().await?;
    let current = effective(&*txn).await?;
    if kind == FactorKind::Content {
        let others: f64 = current.profile(&subject).filter(|(m, _)| *m != material).map(|(_, e)| e.value).sum();
        if others + input.value > CONTENT_MAX_G_PER_KG {
            return Err(AppError::invalid(
                "value",
                format!(
                    "{subject}'s content factors would add up to {:.3} g/kg, more than {CONTENT_MAX_G_PER_KG}",
                    others + input.value
                ),
            ));
        }
    }
    let before = current.get(kind, &subject, material).map(|e| factor(kind, &subject, material, e));
    let row = rf::Entity::find()
        .filter(rf::Column::Kind.eq(kind.as_str()))
        .filter(rf::Column::Subject.eq(subject.as_str()))
        .filter(rf::Column::Material.eq(material.as_str()))
        .one(&*txn)
        .await?;
    let saved = match row {
        Some(r) => {
            check_version::<rf::Entity>(&r, Some(input.version))?;
            save_versioned::<rf::Entity, _>(&*txn, ctx.now, &r, None, |am| {
                am.value = Set(input.value);
                am.source = Set(source.clone());
                am.edited_by = Set(ctx.actor.name.clone());
            })
            .await?
        }
        None => {
            if input.version != 0 {
                return Err(AppError::stale_version("reference factor", 0, input.version));
            }
            let r = rf::Model {
                id: uuid::Uuid::now_v7(),
                kind: kind.as_str().to_owned(),
                subject: subject.clone(),
                material: material.as_str().to_owned(),
                value: input.value,
                source: source.clone(),
                edited_by: ctx.actor.name.clone(),
                version: 1,
                created_at: ctx.now,
                updated_at: ctx.now,
            };
            rf::Entity::insert(r.clone().into_active_model()).exec_without_returning(&*txn).await?;
            r
        }
    };
    let entry = Entry {
        value: saved.value,
        source: saved.source,
        default: before.as_ref().and_then(|b| b.default_value.zip(b.default_source.clone())),
        edited: Some((saved.edited_by, saved.updated_at)),
        version: saved.version,
    };
    let after = factor(kind, &subject, material, &entry);
    let target = format!("{kind}/{subject}/{material}");
    audit::record(
        &txn,
        ctx,
        "recycling_factor.set",
        "recycling_factor",
        target,
        audit::snapshot(&before),
        audit::snapshot(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Distinct content subjects (material profiles) with factors, for forms.
pub fn profiles(t: &FactorTable) -> Vec<String> {
    let mut seen: HashMap<&str, ()> = HashMap::new();
    let mut out = Vec::new();
    for ((k, s, _), _) in t.iter() {
        if *k == FactorKind::Content && seen.insert(s.as_str(), ()).is_none() {
            out.push(s.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_row_is_read_and_boards_carry_their_metals() {
        let t = defaults();
        let rows = |csv: &str| data_lines(csv).lines().skip(1).filter(|l| !l.trim().is_empty()).count();
        let content = t.iter().filter(|((k, _, _), _)| *k == FactorKind::Content).count();
        let yields = t.iter().filter(|((k, _, _), _)| *k == FactorKind::Yield).count();
        // 12 content rows, one of which (server_whole circuit_boards) becomes three derived
        // rows (gold, silver, palladium): 11 + 3.
        assert_eq!(rows(CONTENT_CSV), 12);
        assert_eq!(content, 14);
        assert_eq!((rows(YIELDS_CSV), yields), (10, 10));
        let steel = t.get(FactorKind::Content, "server_whole", Material::Steel).unwrap();
        assert_eq!(steel.value, 529.0);
        assert!(steel.source.contains("Fichter"), "{}", steel.source);
        let gold = t.get(FactorKind::Content, "server_whole", Material::Gold).unwrap();
        assert!((gold.value - 105.0 / 1000.0 * 0.155).abs() < 1e-12, "{}", gold.value);
        assert!(gold.source.starts_with("derived: 105 g/kg circuit boards"), "{}", gold.source);
        let ag = t.yield_of(TreatmentRoute::ManualDismantlingThenIntegratedSmelter, Material::Silver).unwrap();
        assert_eq!(ag.value, 0.95);
        assert!(ag.source.contains("Umicore"), "'same' takes the row above's source: {}", ag.source);
        assert!(t.yield_of(TreatmentRoute::ShreddingFirst, Material::Steel).is_none(), "no invented yields");
        assert_eq!(
            profiles(t),
            vec!["circuit_board_computer", "circuit_board_datacentre", "hdd_3_5in", "memory_module", "server_whole"]
        );
    }
}
