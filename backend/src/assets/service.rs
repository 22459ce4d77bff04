//! Registering and editing assets.
//!
//! One path registers items, whether one from a form or a hundred thousand from the bench
//! or an import: [`register`] validates every row against the catalog, the sites, the
//! tree rules and the uniqueness of tags and serials, then writes all rows and their
//! ledger entries in one transaction. Nothing is half-written: one bad row refuses the
//! whole batch, naming the row and field.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect, SqlErr, TransactionTrait,
};
use uuid::Uuid;

use super::model::{Asset, AssetPatch, NewAsset};
use super::repo;
use crate::audit::{self, snapshot};
use crate::catalog::{self, HardwareModel};
use crate::context::Ctx;
use crate::db::entities::asset;
use crate::db::{Db, WriteTxn, check_version};
use crate::error::{AppError, AppResult, FieldError, Problems};
use crate::ids::{AssetId, ModelId, SiteId};
use crate::ledger::{self, NewEvent};
use crate::rules::{AssetKind, EventKind, State};
use crate::text;

/// Rows per multi-row INSERT (assets have 25 columns; SQLite allows 32,766 parameters).
const INSERT_CHUNK: usize = 500;
/// Keys per uniqueness probe.
const PROBE_CHUNK: usize = 500;

/// Registers one item.
pub async fn create(db: &Db, ctx: &Ctx, input: NewAsset) -> AppResult<Asset> {
    let mut rows = register(db, ctx, vec![input], false).await?;
    rows.pop().ok_or_else(|| AppError::Internal(anyhow::anyhow!("register returned no row")))
}

/// Registers items in one transaction. With `numbered`, field errors name the row
/// (`rows[3].asset_tag`); a single form leaves the field bare.
pub async fn register(db: &Db, ctx: &Ctx, items: Vec<NewAsset>, numbered: bool) -> AppResult<Vec<Asset>> {
    let txn = db.write().await?;
    let rows = register_in(&txn, ctx, items, numbered).await?;
    txn.commit().await?;
    rows.into_iter().map(Asset::try_from).collect()
}

/// The problems registering `item` would be refused for, found without writing (a form
/// shows them together with its own, so every error of a submission shows at once).
pub async fn problems<C: ConnectionTrait>(conn: &C, ctx: &Ctx, item: NewAsset) -> AppResult<Vec<FieldError>> {
    let refs = load_refs(conn, std::slice::from_ref(&item)).await?;
    let mut p = Problems::default();
    prepare(&mut p, ctx, item, &refs, &[], &HashMap::new());
    Ok(p.0)
}

/// What registration needs to know about rows outside the batch.
struct Refs {
    models: HashMap<Uuid, HardwareModel>,
    sites: HashSet<SiteId>,
    /// Existing parents, by id and by tag key.
    parents: HashMap<Uuid, asset::Model>,
    parents_by_tag: HashMap<String, Uuid>,
}

async fn load_refs<C: ConnectionTrait>(conn: &C, items: &[NewAsset]) -> AppResult<Refs> {
    let model_ids: Vec<ModelId> = unique(items.iter().filter_map(|i| i.model_id));
    let models = catalog::by_ids(conn, &model_ids).await?.into_iter().map(|m| (m.id.0, m)).collect();
    let site_ids: Vec<SiteId> = unique(items.iter().filter_map(|i| i.site_id));
    let sites = crate::sites::repo::existing(conn, &site_ids).await?;
    let batch_tags: HashSet<String> = items.iter().map(|i| text::key(&i.asset_tag)).collect();
    let parent_ids: Vec<Uuid> = unique(items.iter().filter_map(|i| i.parent_id.map(|p| p.0)));
    let parent_tags: Vec<String> = unique(
        items
            .iter()
            .filter_map(|i| i.parent_tag.as_deref().map(text::key))
            .filter(|k| !k.is_empty() && !batch_tags.contains(k)),
    );
    let mut parents: HashMap<Uuid, asset::Model> =
        repo::find_many(conn, &parent_ids).await?.into_iter().map(|m| (m.id, m)).collect();
    let mut parents_by_tag = HashMap::new();
    for chunk in parent_tags.chunks(PROBE_CHUNK) {
        for m in asset::Entity::find().filter(asset::Column::TagKey.is_in(chunk.to_vec())).all(conn).await? {
            parents_by_tag.insert(m.tag_key.clone(), m.id);
            parents.insert(m.id, m);
        }
    }
    Ok(Refs { models, sites, parents, parents_by_tag })
}

fn unique<T: Eq + std::hash::Hash + Clone>(it: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    it.filter(|x| seen.insert(x.clone())).collect()
}

/// Registers in the caller's transaction (the demo and imports compose it).
pub async fn register_in(
    txn: &WriteTxn,
    ctx: &Ctx,
    items: Vec<NewAsset>,
    numbered: bool,
) -> AppResult<Vec<asset::Model>> {
    let conn: &DatabaseTransaction = txn;
    let refs = load_refs(conn, &items).await?;
    let mut problems: Vec<FieldError> = Vec::new();
    let mut rows: Vec<asset::Model> = Vec::with_capacity(items.len());
    // In-batch lookups: tag key → row index; (manufacturer, serial) keys → row index.
    let mut by_tag: HashMap<String, usize> = HashMap::with_capacity(items.len());
    let mut by_serial: HashMap<(String, String), usize> = HashMap::new();
    let mut events: Vec<NewEvent> = Vec::with_capacity(items.len() * 2);

    for (i, item) in items.into_iter().enumerate() {
        let prefix = if numbered { format!("rows[{i}].") } else { String::new() };
        let mut p = Problems::default();
        let row = prepare(&mut p, ctx, item, &refs, &rows, &by_tag);
        if let Some(row) = row.filter(|_| p.is_empty()) {
            if let Some(j) = by_tag.get(&row.tag_key) {
                p.add("asset_tag", format!("{} appears twice in this batch (also row {j})", row.asset_tag));
            }
            if let Some(s) = &row.serial_key
                && let Some(j) = by_serial.get(&(row.mfr_key.clone(), s.clone()))
            {
                p.add("serial", format!("serial {} appears twice in this batch (also row {j})", s));
            }
            if p.is_empty() {
                by_tag.insert(row.tag_key.clone(), rows.len());
                if let Some(s) = &row.serial_key {
                    by_serial.insert((row.mfr_key.clone(), s.clone()), rows.len());
                }
                events.extend(registration_events(&row));
                rows.push(row);
            }
        }
        problems.extend(p.0.into_iter().map(|f| FieldError::new(format!("{prefix}{}", f.field), f.message)));
        if problems.len() >= 100 {
            break; // enough to fix before trying again
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    // Insert optimistically inside a savepoint: the unique indexes catch clashes with
    // existing items, so a batch costs no lookups. On a clash, roll back to the savepoint
    // and look the batch up to name the row (probing every batch made PostgreSQL bulk
    // loads crawl whenever its statistics were stale).
    let savepoint = conn.begin().await?;
    match insert_rows(&savepoint, &rows).await {
        Ok(()) => savepoint.commit().await?,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            savepoint.rollback().await?;
            check_unique_in_db(conn, &rows, numbered).await?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    }
    ledger::append(txn, ctx, events).await?;
    match rows.as_slice() {
        [one] if !numbered => {
            let created = Asset::try_from(one.clone())?;
            audit::record(txn, ctx, "asset.create", "asset", created.id, None, snapshot(&created)).await?;
        }
        [first, .., last] | [first @ last] => {
            // A batch (import, demo, bench) is one entry; each item's own registration is
            // in its ledger, which is chained too.
            let summary = serde_json::json!({"count": rows.len(), "first_tag": first.asset_tag, "last_tag": last.asset_tag, "first_id": first.id});
            audit::record(txn, ctx, "asset.import", "asset", first.id, None, Some(summary)).await?;
        }
        [] => {}
    }
    Ok(rows)
}

async fn insert_rows<C: ConnectionTrait>(conn: &C, rows: &[asset::Model]) -> Result<(), DbErr> {
    let mut chunk = Vec::with_capacity(INSERT_CHUNK.min(rows.len()));
    for row in rows {
        chunk.push(row.clone().into_active_model());
        if chunk.len() == INSERT_CHUNK {
            asset::Entity::insert_many(std::mem::take(&mut chunk)).exec_without_returning(conn).await?;
        }
    }
    if !chunk.is_empty() {
        asset::Entity::insert_many(chunk).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// The ledger entries that open an item's history: its registration (with its initial
/// state, site, parent and workload) and, for an item registered inside another, the
/// parent's record of the part it received.
fn registration_events(row: &asset::Model) -> Vec<NewEvent> {
    let id = AssetId(row.id);
    let mut reg = NewEvent::new(id, EventKind::Registered, None, Some(row.state.clone())).payload(serde_json::json!({
        "site_id": row.site_id,
        "parent_id": row.parent_id,
        "workload_tier": row.workload_tier,
    }));
    let mut out = Vec::with_capacity(2);
    if let Some(pid) = row.parent_id {
        reg = reg.related(AssetId(pid));
        out.push(reg);
        out.push(
            NewEvent::new(AssetId(pid), EventKind::ChildAdded, None, Some(row.asset_tag.clone()))
                .related(id)
                .reason("registered inside"),
        );
    } else {
        out.push(reg);
    }
    out
}

/// Validates one item into a row ready to insert, adding problems to `p`.
fn prepare(
    p: &mut Problems,
    ctx: &Ctx,
    item: NewAsset,
    refs: &Refs,
    batch: &[asset::Model],
    batch_by_tag: &HashMap<String, usize>,
) -> Option<asset::Model> {
    let asset_tag = text::required_line(p, "asset_tag", &item.asset_tag, text::TAG_MAX);
    let serial = text::optional_line(p, "serial", item.serial.as_deref(), text::SERIAL_MAX);

    let model = match item.model_id {
        Some(mid) => match refs.models.get(&mid.0) {
            Some(m) => Some(m),
            None => {
                p.add("model_id", format!("no hardware model has id {mid}"));
                None
            }
        },
        None => None,
    };
    let kind = match (item.kind, model) {
        (Some(k), Some(m)) if k != m.kind => {
            p.add("kind", format!("is {k} but the model {} is a {}", m.label(), m.kind));
            k
        }
        (Some(k), _) => k,
        (None, Some(m)) => m.kind,
        (None, None) => {
            p.add("kind", format!("is required without a model; one of {}", AssetKind::expected()));
            AssetKind::Other
        }
    };
    let manufacturer =
        match (text::optional_line(p, "manufacturer", item.manufacturer.as_deref(), text::NAME_MAX), model) {
            (Some(given), Some(m)) if text::key(&given) != text::key(&m.manufacturer) => {
                p.add("manufacturer", format!("is {given} but the model is made by {}", m.manufacturer));
                given
            }
            (Some(given), _) => given,
            (None, Some(m)) => m.manufacturer.clone(),
            (None, None) => String::new(),
        };
    if serial.is_some() && manufacturer.is_empty() {
        p.add("manufacturer", "is required with a serial number (serials are unique per manufacturer)");
    }

    // The parent: an existing item, or one earlier in this batch.
    let parent: Option<(&asset::Model, &'static str)> =
        match (item.parent_id, item.parent_tag.as_deref().map(str::trim)) {
            (Some(_), Some(t)) if !t.is_empty() => {
                p.add("parent_tag", "give parent_id or parent_tag, not both");
                None
            }
            // Only existing items: rows of this batch get their ids here, so none can be named.
            (Some(pid), _) => match refs.parents.get(&pid.0) {
                Some(m) => Some((m, "parent_id")),
                None => {
                    p.add("parent_id", format!("no asset has id {pid}"));
                    None
                }
            },
            (None, Some(t)) if !t.is_empty() => {
                let k = text::key(t);
                let found = batch_by_tag
                    .get(&k)
                    .map(|&j| &batch[j])
                    .or_else(|| refs.parents_by_tag.get(&k).and_then(|id| refs.parents.get(id)));
                match found {
                    Some(m) => Some((m, "parent_tag")),
                    None => {
                        p.add("parent_tag", format!("no asset has the tag {t}"));
                        None
                    }
                }
            }
            _ => None,
        };
    let mut parent_state = None;
    if let Some((par, field)) = parent {
        match repo::kind_state(par) {
            Ok((pk, ps)) => {
                if !kind.fits_in(pk) {
                    p.add(field, format!("a {} cannot be installed in a {} ({})", kind, pk, par.asset_tag));
                }
                if !ps.accepts_parts() {
                    p.add(field, format!("{} is {}; it cannot receive parts", par.asset_tag, ps));
                }
                parent_state = Some(ps);
            }
            Err(_) => p.add(field, "the parent row is unreadable"),
        }
    }

    let site_id = match (item.site_id, parent) {
        (Some(s), Some((par, _))) if par.site_id != Some(s.0) => {
            p.add("site_id", format!("an installed item is at its parent's site; {} is elsewhere", par.asset_tag));
            Some(s.0)
        }
        (Some(s), _) => {
            if !refs.sites.contains(&s) {
                p.add("site_id", format!("no site has id {s}"));
            }
            Some(s.0)
        }
        (None, Some((par, _))) => par.site_id,
        (None, None) => None,
    };

    let state = match item.state {
        Some(s) if !s.registrable() => {
            p.add(
                "state",
                format!(
                    "items are registered in_stock, deployed, in_repair, redeployed or retired; {s} is reached through transitions"
                ),
            );
            s
        }
        Some(s) => s,
        None => parent_state.filter(|s| s.is_in_service()).unwrap_or(State::InStock),
    };
    let today = ctx.now.date_naive();
    check_date(p, "acquired_on", item.acquired_on, today);
    check_date(p, "first_deployed_on", item.first_deployed_on, today);
    if let (Some(a), Some(d)) = (item.acquired_on, item.first_deployed_on)
        && d < a
    {
        p.add("first_deployed_on", "must not be before acquired_on");
    }
    let first_deployed_on = item.first_deployed_on.or_else(|| (state == State::Deployed).then_some(today));
    let mass = text::number_in(p, "mass_override_kg", item.mass_override_kg, 0.0, 10_000.0);
    let custodian = text::optional_line(p, "custodian", item.custodian.as_deref(), text::NAME_MAX).unwrap_or_default();
    let notes = text::free_text(p, "notes", item.notes.as_deref().unwrap_or(""), text::NOTES_MAX);

    if !p.is_empty() {
        return None;
    }
    Some(asset::Model {
        id: AssetId::new().0,
        tag_key: text::key(&asset_tag),
        asset_tag,
        mfr_key: text::key(&manufacturer),
        manufacturer,
        serial_key: serial.as_deref().map(text::key),
        serial,
        kind: kind.as_str().to_owned(),
        model_id: model.map(|m| m.id.0),
        parent_id: parent.map(|(m, _)| m.id),
        site_id,
        state: state.as_str().to_owned(),
        grade_functional: item.grade.functional.map(|g| g.as_str().to_owned()),
        grade_cosmetic: item.grade.cosmetic.map(|g| g.as_str().to_owned()),
        grade_retail: item.grade.retail.map(|g| g.as_str().to_owned()),
        custodian,
        acquired_on: item.acquired_on,
        first_deployed_on,
        workload_tier: item.workload_tier.map(|w| w.as_str().to_owned()),
        mass_override_kg: mass,
        notes,
        holds_data: item.holds_data,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    })
}

fn check_date(p: &mut Problems, field: &str, d: Option<NaiveDate>, today: NaiveDate) {
    if let Some(d) = d {
        if d > today {
            p.add(field, "must not be in the future");
        } else if d < NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN) {
            p.add(field, "must not be before 1970");
        }
    }
}

/// Refuses tags and serials that other items already use, naming the row.
async fn check_unique_in_db<C: ConnectionTrait>(conn: &C, rows: &[asset::Model], numbered: bool) -> AppResult<()> {
    let at = |i: usize| if numbered { format!("rows[{i}].") } else { String::new() };
    let index: HashMap<&str, usize> = rows.iter().enumerate().map(|(i, r)| (r.tag_key.as_str(), i)).collect();
    // (manufacturer, serial) keys → the first row with them (a batch has no repeats).
    let mut serial_index: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(s) = &r.serial_key {
            serial_index.entry((r.mfr_key.as_str(), s.as_str())).or_insert(i);
        }
    }
    for chunk in rows.chunks(PROBE_CHUNK) {
        let keys: Vec<String> = chunk.iter().map(|r| r.tag_key.clone()).collect();
        let taken: Vec<String> = asset::Entity::find()
            .select_only()
            .column(asset::Column::TagKey)
            .filter(asset::Column::TagKey.is_in(keys))
            .limit(1)
            .into_tuple()
            .all(conn)
            .await?;
        if let Some(k) = taken.first() {
            let i = index.get(k.as_str()).copied().unwrap_or(0);
            return Err(AppError::Conflict {
                code: "duplicate",
                field: Some(format!("{}asset_tag", at(i))),
                message: format!("asset tag {} is already in use", rows[i].asset_tag),
            });
        }
        let serials: Vec<String> = chunk.iter().filter_map(|r| r.serial_key.clone()).collect();
        if serials.is_empty() {
            continue;
        }
        let found: Vec<(String, Option<String>)> = asset::Entity::find()
            .select_only()
            .column(asset::Column::MfrKey)
            .column(asset::Column::SerialKey)
            .filter(asset::Column::SerialKey.is_in(serials))
            .into_tuple()
            .all(conn)
            .await?;
        // The first row of the batch whose manufacturer and serial are taken.
        let first =
            found.iter().filter_map(|(m, s)| s.as_deref().and_then(|s| serial_index.get(&(m.as_str(), s)))).min();
        if let Some(&i) = first {
            let r = &rows[i];
            return Err(AppError::Conflict {
                code: "duplicate",
                field: Some(format!("{}serial", at(i))),
                message: format!(
                    "serial {} from {} is already registered",
                    r.serial.as_deref().unwrap_or(""),
                    r.manufacturer
                ),
            });
        }
    }
    Ok(())
}

/// Edits an item. Site and workload changes are recorded in the ledger (a site change
/// moves everything installed in the item along, each with its own entry).
pub async fn update(db: &Db, ctx: &Ctx, id: AssetId, patch: AssetPatch) -> AppResult<Asset> {
    let txn = db.write().await?;
    let after = update_in(&txn, ctx, id, patch).await?;
    txn.commit().await?;
    Ok(after)
}

/// [`update`] in the caller's transaction, with its ledger and audit entries.
pub async fn update_in(txn: &WriteTxn, ctx: &Ctx, id: AssetId, patch: AssetPatch) -> AppResult<Asset> {
    let current = repo::find(&**txn, id).await?;
    check_version::<asset::Entity>(&current, Some(patch.version))?;
    let cur = Asset::try_from(current.clone())?;
    let mut p = Problems::default();
    let reason = text::optional_line(&mut p, "reason", patch.reason.as_deref(), text::REASON_MAX).unwrap_or_default();

    let asset_tag = match &patch.asset_tag {
        Some(t) => text::required_line(&mut p, "asset_tag", t, text::TAG_MAX),
        None => cur.asset_tag.clone(),
    };
    let serial = match &patch.serial {
        Some(s) => text::optional_line(&mut p, "serial", s.as_deref(), text::SERIAL_MAX),
        None => cur.serial.clone(),
    };
    let model_id = patch.model_id.unwrap_or(cur.model_id);
    let model = match model_id {
        Some(mid) => match catalog::get(&**txn, mid).await {
            Ok(m) => Some(m),
            Err(AppError::NotFound { .. }) => {
                p.add("model_id", format!("no hardware model has id {mid}"));
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let kind = patch.kind.or_else(|| patch.model_id.flatten().and(model.as_ref().map(|m| m.kind))).unwrap_or(cur.kind);
    if let Some(m) = &model
        && m.kind != kind
    {
        p.add("kind", format!("is {kind} but the model {} is a {}", m.label(), m.kind));
    }
    let manufacturer = match &patch.manufacturer {
        Some(m) => text::optional_line(&mut p, "manufacturer", Some(m), text::NAME_MAX).unwrap_or_default(),
        None if patch.model_id.flatten().is_some() => {
            model.as_ref().map(|m| m.manufacturer.clone()).unwrap_or_default()
        }
        None => cur.manufacturer.clone(),
    };
    if let Some(m) = &model
        && text::key(&m.manufacturer) != text::key(&manufacturer)
    {
        p.add("manufacturer", format!("is {manufacturer} but the model is made by {}", m.manufacturer));
    }
    if serial.is_some() && manufacturer.is_empty() {
        p.add("manufacturer", "is required with a serial number (serials are unique per manufacturer)");
    }
    if kind != cur.kind {
        check_kind_change(&**txn, &mut p, &current, kind).await?;
    }
    let today = ctx.now.date_naive();
    let acquired_on = patch.acquired_on.unwrap_or(cur.acquired_on);
    let first_deployed_on = patch.first_deployed_on.unwrap_or(cur.first_deployed_on);
    check_date(&mut p, "acquired_on", acquired_on, today);
    check_date(&mut p, "first_deployed_on", first_deployed_on, today);
    if let (Some(a), Some(d)) = (acquired_on, first_deployed_on)
        && d < a
    {
        p.add("first_deployed_on", "must not be before acquired_on");
    }
    let mass = text::number_in(
        &mut p,
        "mass_override_kg",
        patch.mass_override_kg.unwrap_or(cur.mass_override_kg),
        0.0,
        10_000.0,
    );
    let custodian = match &patch.custodian {
        Some(c) => text::optional_line(&mut p, "custodian", Some(c), text::NAME_MAX).unwrap_or_default(),
        None => cur.custodian.clone(),
    };
    let notes = match &patch.notes {
        Some(n) => text::free_text(&mut p, "notes", n, text::NOTES_MAX),
        None => cur.notes.clone(),
    };
    let site_id = patch.site_id.unwrap_or(cur.site_id);
    if site_id != cur.site_id {
        if let Some(pid) = cur.parent_id {
            let parent = repo::find(&**txn, pid).await?;
            p.add(
                "site_id",
                format!("this item is installed in {}; move that, or remove this item first", parent.asset_tag),
            );
        } else if let Some(s) = site_id
            && crate::sites::repo::existing(&**txn, &[s]).await?.is_empty()
        {
            p.add("site_id", format!("no site has id {s}"));
        }
    }
    let workload = patch.workload_tier.unwrap_or(cur.workload_tier);
    p.into_result()?;

    // Uniqueness of a changed tag or serial.
    let tag_key = text::key(&asset_tag);
    if tag_key != current.tag_key && repo::find_by_tag(&**txn, &asset_tag).await?.is_some() {
        return Err(AppError::conflict(
            "duplicate",
            Some("asset_tag"),
            format!("asset tag {asset_tag} is already in use"),
        ));
    }
    let serial_key = serial.as_deref().map(text::key);
    let mfr_key = text::key(&manufacturer);
    if let Some(sk) = &serial_key
        && (Some(sk) != current.serial_key.as_ref() || mfr_key != current.mfr_key)
    {
        let clash = asset::Entity::find()
            .filter(asset::Column::MfrKey.eq(mfr_key.clone()))
            .filter(asset::Column::SerialKey.eq(sk.clone()))
            .filter(asset::Column::Id.ne(id.0))
            .one(&**txn)
            .await?;
        if clash.is_some() {
            return Err(AppError::conflict(
                "duplicate",
                Some("serial"),
                format!("serial {} from {manufacturer} is already registered", serial.as_deref().unwrap_or("")),
            ));
        }
    }

    let mut events = Vec::new();
    if workload != cur.workload_tier {
        events.push(
            NewEvent::new(
                id,
                EventKind::Workload,
                cur.workload_tier.map(|w| w.to_string()),
                workload.map(|w| w.to_string()),
            )
            .reason(reason.clone()),
        );
    }
    let updated = repo::save(&**txn, ctx, &current, |am| {
        am.asset_tag = Set(asset_tag);
        am.tag_key = Set(tag_key);
        am.serial = Set(serial);
        am.serial_key = Set(serial_key);
        am.manufacturer = Set(manufacturer);
        am.mfr_key = Set(mfr_key);
        am.kind = Set(kind.as_str().to_owned());
        am.model_id = Set(model_id.map(|m| m.0));
        am.grade_functional = Set(patch.grade.unwrap_or(cur.grade).functional.map(|g| g.as_str().to_owned()));
        am.grade_cosmetic = Set(patch.grade.unwrap_or(cur.grade).cosmetic.map(|g| g.as_str().to_owned()));
        am.grade_retail = Set(patch.grade.unwrap_or(cur.grade).retail.map(|g| g.as_str().to_owned()));
        am.custodian = Set(custodian);
        am.acquired_on = Set(acquired_on);
        am.first_deployed_on = Set(first_deployed_on);
        am.workload_tier = Set(workload.map(|w| w.as_str().to_owned()));
        am.mass_override_kg = Set(mass);
        am.notes = Set(notes);
        if let Some(h) = patch.holds_data {
            am.holds_data = Set(h);
        }
        am.site_id = Set(site_id.map(|s| s.0));
    })
    .await?;
    if site_id != cur.site_id {
        let parts = repo::descendants(&**txn, id).await?;
        move_site(&**txn, ctx, &current, parts, site_id, &reason, &mut events).await?;
    }
    ledger::append(txn, ctx, events).await?;
    let after = Asset::try_from(updated)?;
    audit::record(txn, ctx, "asset.update", "asset", id, snapshot(&cur), snapshot(&after)).await?;
    Ok(after)
}

/// Records `root` moving to `site` and moves everything installed in it along, each with
/// its own ledger entry. `root` is the row as it was before the move; the caller writes
/// the root's own new site in the same save as its other changes. `descendants` are the
/// rows installed in `root` at any depth ([`repo::descendants`]), read in this
/// transaction and not written since.
pub async fn move_site<C: ConnectionTrait>(
    conn: &C,
    ctx: &Ctx,
    root: &asset::Model,
    descendants: Vec<asset::Model>,
    site: Option<SiteId>,
    reason: &str,
    events: &mut Vec<NewEvent>,
) -> AppResult<()> {
    let to = site.map(|s| s.0);
    let site_event = |item: &asset::Model| {
        NewEvent::new(AssetId(item.id), EventKind::Site, item.site_id.map(|s| s.to_string()), to.map(|s| s.to_string()))
            .reason(reason.to_owned())
    };
    if root.site_id != to {
        events.push(site_event(root));
    }
    for item in descendants {
        if item.site_id == to {
            continue;
        }
        events.push(site_event(&item).related(AssetId(root.id)).payload(serde_json::json!({"moved_with": root.id})));
        repo::save(conn, ctx, &item, |am| am.site_id = Set(to)).await?;
    }
    Ok(())
}

/// A kind change must keep the item fitting in its parent and its parts fitting in it.
async fn check_kind_change<C: ConnectionTrait>(
    conn: &C,
    p: &mut Problems,
    row: &asset::Model,
    kind: AssetKind,
) -> AppResult<()> {
    if let Some(pid) = row.parent_id {
        let parent = repo::find(conn, AssetId(pid)).await?;
        if let Some(pk) = AssetKind::parse(&parent.kind)
            && !kind.fits_in(pk)
        {
            p.add("kind", format!("a {kind} cannot sit in {} (a {pk})", parent.asset_tag));
        }
    }
    for child in repo::children(conn, AssetId(row.id)).await? {
        if let Some(ck) = AssetKind::parse(&child.kind)
            && !ck.fits_in(kind)
        {
            p.add("kind", format!("{} (a {ck}) is installed in this item and cannot sit in a {kind}", child.asset_tag));
            break;
        }
    }
    Ok(())
}
