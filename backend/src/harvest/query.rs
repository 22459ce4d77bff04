//! Reads of dismantle jobs (the bench sheet), the lists, and the pools.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::model::{Job, JobDetail, JobQuery, Line, LineRow, PoolEntry, PoolGroup, PoolQuery, PoolView};
use crate::assets::repo;
use crate::catalog;
use crate::db::entities::{asset, dismantle_job, harvest_line, pool_stay};
use crate::db::short_id;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, JobId, LineId, ModelId, RepairId, SiteId, StayId};
use crate::rules::{AssetKind, Destination, Grade, Page, PartOrigin, State, TestResult};
use crate::sites;
use crate::text;

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 500;

pub(crate) async fn job_row<C: ConnectionTrait>(conn: &C, id: JobId) -> AppResult<dismantle_job::Model> {
    dismantle_job::Entity::find_by_id(id.0).one(conn).await?.ok_or_else(|| AppError::not_found("dismantle job", id))
}

pub(crate) async fn line_rows<C: ConnectionTrait>(conn: &C, id: JobId) -> AppResult<Vec<harvest_line::Model>> {
    Ok(harvest_line::Entity::find()
        .filter(harvest_line::Column::JobId.eq(id.0))
        .order_by_asc(harvest_line::Column::Ordinal)
        .order_by_asc(harvest_line::Column::Id)
        .all(conn)
        .await?)
}

/// What a sheet shows of a part: its tag, serial, kind, model and state.
struct PartLabel {
    asset_tag: String,
    serial: Option<String>,
    kind: String,
    model_id: Option<uuid::Uuid>,
    state: String,
}

/// Most ids bound in one `IN` list.
const IN_CHUNK: usize = 500;

/// The sheet's columns of the parts `ids` (not whole rows: a sheet lists a hundred parts).
async fn part_labels<C: ConnectionTrait>(conn: &C, ids: &[uuid::Uuid]) -> AppResult<HashMap<uuid::Uuid, PartLabel>> {
    type Cols = (uuid::Uuid, String, Option<String>, String, Option<uuid::Uuid>, String);
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IN_CHUNK) {
        let rows: Vec<Cols> = asset::Entity::find()
            .select_only()
            .columns([
                asset::Column::Id,
                asset::Column::AssetTag,
                asset::Column::Serial,
                asset::Column::Kind,
                asset::Column::ModelId,
                asset::Column::State,
            ])
            .filter(asset::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(rows.into_iter().map(|(id, asset_tag, serial, kind, model_id, state)| {
            (id, PartLabel { asset_tag, serial, kind, model_id, state })
        }));
    }
    Ok(out)
}

/// The line of job `id` for the part whose tag or serial is `code` (a scan), with that part:
/// found through the tag, serial and line indexes, without reading the sheet. A tag beats a
/// serial (tags are unique; serials only per manufacturer).
pub(crate) async fn scanned_line<C: ConnectionTrait>(
    conn: &C,
    id: JobId,
    code: &str,
) -> AppResult<Option<(harvest_line::Model, asset::Model)>> {
    let key = text::key(code);
    let in_job = Query::select()
        .column(harvest_line::Column::AssetId)
        .from(harvest_line::Entity)
        .and_where(harvest_line::Column::JobId.eq(id.0))
        .to_owned();
    let hits = asset::Entity::find()
        .filter(
            Condition::any().add(asset::Column::TagKey.eq(key.as_str())).add(asset::Column::SerialKey.eq(key.as_str())),
        )
        .filter(asset::Column::Id.in_subquery(in_job))
        .order_by_asc(asset::Column::Id)
        .limit(8)
        .all(conn)
        .await?;
    let Some(part) = hits.iter().find(|a| a.tag_key == key).or_else(|| hits.first()).cloned() else {
        return Ok(None);
    };
    let line = harvest_line::Entity::find()
        .filter(harvest_line::Column::JobId.eq(id.0))
        .filter(harvest_line::Column::AssetId.eq(part.id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("part {} of job {id} has no line", part.id)))?;
    Ok(Some((line, part)))
}

/// Line `line` of job `id`, if it is one of that job's.
pub(crate) async fn line_of_job<C: ConnectionTrait>(
    conn: &C,
    id: JobId,
    line: LineId,
) -> AppResult<Option<harvest_line::Model>> {
    Ok(harvest_line::Entity::find_by_id(line.0).filter(harvest_line::Column::JobId.eq(id.0)).one(conn).await?)
}

/// Lines of job `id` with neither a destination nor marked missing.
pub(crate) async fn unrecorded<C: ConnectionTrait>(conn: &C, id: JobId) -> AppResult<u64> {
    Ok(harvest_line::Entity::find()
        .filter(harvest_line::Column::JobId.eq(id.0))
        .filter(harvest_line::Column::Missing.eq(false))
        .filter(harvest_line::Column::Destination.is_null())
        .count(conn)
        .await?)
}

/// Lines with their parts and model labels, in sheet order.
pub(crate) async fn lines_of<C: ConnectionTrait>(conn: &C, rows: &[harvest_line::Model]) -> AppResult<Vec<Line>> {
    let ids: Vec<uuid::Uuid> = rows.iter().filter_map(|l| l.asset_id).collect();
    let parts = part_labels(conn, &ids).await?;
    let mut model_ids: Vec<ModelId> = rows
        .iter()
        .filter_map(|l| l.expected_model_id)
        .chain(parts.values().filter_map(|a| a.model_id))
        .map(ModelId)
        .collect();
    model_ids.sort();
    model_ids.dedup();
    let labels: HashMap<ModelId, String> =
        catalog::by_ids(conn, &model_ids).await?.into_iter().map(|m| (m.id, m.label())).collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let l = LineRow::try_from(r)?;
        let part = l.asset_id.and_then(|a| parts.get(&a.0));
        let kind = part.and_then(|p| AssetKind::parse(&p.kind)).unwrap_or(l.kind);
        let model_id = part.map(|p| p.model_id.map(ModelId)).unwrap_or(l.model_id);
        out.push(Line {
            id: l.id,
            ordinal: l.ordinal,
            source: l.source,
            asset_id: l.asset_id,
            asset_tag: part.map(|p| p.asset_tag.clone()),
            serial: part.and_then(|p| p.serial.clone()),
            kind,
            model_id,
            model: model_id.and_then(|m| labels.get(&m).cloned()).unwrap_or_default(),
            position: l.position,
            state: part.and_then(|p| State::parse(&p.state)),
            data_bearing: kind.is_data_bearing(),
            test_result: l.test_result,
            grade: l.grade,
            mass_kg: l.mass_kg,
            destination: l.destination,
            missing: l.missing,
            recorded_by: l.recorded_by,
            recorded_at: l.recorded_at,
            version: l.version,
        });
    }
    Ok(out)
}

/// A job as its bench sheet shows it: the donor and every expected part.
pub async fn detail<C: ConnectionTrait>(conn: &C, id: JobId) -> AppResult<JobDetail> {
    let job = job_row(conn, id).await?;
    let donor = repo::find(conn, AssetId(job.asset_id)).await?;
    let (donor_kind, donor_state) = repo::kind_state(&donor)?;
    let rows = line_rows(conn, id).await?;
    let lines = lines_of(conn, &rows).await?;
    let donor_model = match donor.model_id {
        Some(m) => catalog::by_ids(conn, &[ModelId(m)]).await?.pop().map(|m| m.label()).unwrap_or_default(),
        None => String::new(),
    };
    let site = match job.site_id {
        Some(s) => sites::by_ids(conn, &[SiteId(s)]).await?.pop().map(|s| s.name).unwrap_or_default(),
        None => String::new(),
    };
    Ok(JobDetail {
        job: Job::try_from(job)?,
        donor_tag: donor.asset_tag,
        donor_kind,
        donor_state,
        donor_model,
        site,
        recorded: lines.iter().filter(|l| l.is_recorded()).count(),
        lines,
    })
}

/// Jobs, newest first, keyset-paginated by id.
pub async fn list<C: ConnectionTrait>(conn: &C, q: &JobQuery) -> AppResult<Page<Job>> {
    let limit = match q.limit {
        None => DEFAULT_LIMIT,
        Some(l) if (1..=MAX_LIMIT).contains(&l) => l,
        Some(_) => return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}"))),
    };
    let mut s = dismantle_job::Entity::find().order_by_desc(dismantle_job::Column::Id).limit(limit + 1);
    if let Some(st) = q.status {
        s = s.filter(dismantle_job::Column::Status.eq(st.as_str()));
    }
    if let Some(c) = q.cursor.as_deref().filter(|c| !c.is_empty()) {
        let c: JobId = c.parse().map_err(|_| AppError::invalid("cursor", "is not a valid page cursor"))?;
        s = s.filter(dismantle_job::Column::Id.lt(c.0));
    }
    let rows: Vec<Job> = s.all(conn).await?.into_iter().map(Job::try_from).collect::<AppResult<_>>()?;
    Ok(Page::from_rows(rows, limit as usize, |j| j.id.to_string()))
}

/// An item's dismantle jobs, newest first.
pub async fn for_asset<C: ConnectionTrait>(conn: &C, asset: AssetId) -> AppResult<Vec<Job>> {
    dismantle_job::Entity::find()
        .filter(dismantle_job::Column::AssetId.eq(asset.0))
        .order_by_desc(dismantle_job::Column::Id)
        .limit(20)
        .all(conn)
        .await?
        .into_iter()
        .map(Job::try_from)
        .collect()
}

/// Most parts one pool page lists (the groups count them all).
const POOL_ENTRIES: usize = 500;

/// A pool: groups by kind, model, grade and test result, with counts and the longest
/// wait, and its parts, longest-waiting first.
pub async fn pool<C: ConnectionTrait>(conn: &C, q: &PoolQuery) -> AppResult<PoolView> {
    let which = q.pool.unwrap_or(Destination::SparePool);
    let stays = pool_stay::Entity::find()
        .filter(pool_stay::Column::ActiveAssetId.is_not_null())
        .filter(pool_stay::Column::Pool.eq(which.as_str()))
        .order_by_asc(pool_stay::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<uuid::Uuid> = stays.iter().map(|s| s.asset_id).collect();
    let parts: HashMap<uuid::Uuid, asset::Model> =
        repo::find_many(conn, &ids).await?.into_iter().map(|a| (a.id, a)).collect();
    let donors: Vec<AssetId> = stays.iter().filter_map(|s| s.donor_id.map(AssetId)).collect();
    let donor_tags = crate::assets::read::tags(conn, &donors).await?;
    let mut model_ids: Vec<ModelId> = parts.values().filter_map(|a| a.model_id.map(ModelId)).collect();
    model_ids.sort();
    model_ids.dedup();
    let labels: HashMap<ModelId, String> =
        catalog::by_ids(conn, &model_ids).await?.into_iter().map(|m| (m.id, m.label())).collect();
    let mut site_ids: Vec<SiteId> = parts.values().filter_map(|a| a.site_id.map(SiteId)).collect();
    site_ids.sort();
    site_ids.dedup();
    let site_names: HashMap<SiteId, String> =
        sites::by_ids(conn, &site_ids).await?.into_iter().map(|s| (s.id, s.name)).collect();
    let now = Utc::now();
    let mut entries = Vec::new();
    for s in stays {
        let Some(a) = parts.get(&s.asset_id) else { continue };
        let Some(kind) = AssetKind::parse(&a.kind) else { continue };
        if q.kind.is_some_and(|k| k != kind) || q.model_id.is_some_and(|m| Some(m.0) != a.model_id) {
            continue;
        }
        let asset = crate::assets::Asset::try_from(a.clone())?;
        entries.push(PoolEntry {
            stay_id: StayId(s.id),
            asset_id: asset.id,
            asset_tag: asset.asset_tag,
            serial: asset.serial,
            kind,
            model_id: asset.model_id,
            model: asset.model_id.and_then(|m| labels.get(&m).cloned()).unwrap_or_default(),
            grade: asset.grade,
            test_result: TestResult::parse(&s.test_result).unwrap_or(TestResult::Untested),
            origin: PartOrigin::parse(&s.origin).unwrap_or(PartOrigin::Harvest),
            donor_id: s.donor_id.map(AssetId),
            donor_tag: s.donor_id.and_then(|d| donor_tags.get(&AssetId(d)).cloned()),
            job_id: s.job_id.map(JobId),
            job_number: s.job_id.map(|j| format!("J-{}", short_id(&j))),
            repair_id: s.repair_id.map(RepairId),
            site: asset.site_id.and_then(|x| site_names.get(&x).cloned()).unwrap_or_default(),
            entered_at: s.entered_at,
            waiting_days: (now - s.entered_at).num_days(),
            reserved_for: s.reserved_for.map(RepairId),
            version: s.version,
        });
    }
    let mut groups: Vec<PoolGroup> = Vec::new();
    for e in &entries {
        let key = (e.kind, e.model_id, e.grade.retail, e.test_result);
        match groups.iter_mut().find(|g| (g.kind, g.model_id, g.retail_grade, g.test_result) == key) {
            Some(g) => {
                g.count += 1;
                g.reserved += usize::from(e.reserved_for.is_some());
                g.oldest_days = g.oldest_days.max(e.waiting_days);
            }
            None => groups.push(PoolGroup {
                kind: e.kind,
                model_id: e.model_id,
                model: e.model.clone(),
                retail_grade: e.grade.retail,
                test_result: e.test_result,
                count: 1,
                reserved: usize::from(e.reserved_for.is_some()),
                oldest_days: e.waiting_days,
            }),
        }
    }
    groups.sort_by(|a, b| (a.kind, &a.model, a.retail_grade).cmp(&(b.kind, &b.model, b.retail_grade)));
    let total = entries.len();
    entries.truncate(POOL_ENTRIES);
    Ok(PoolView { pool: which, total, groups, entries })
}

/// The grade shown for a pool entry (a helper for pages).
pub fn grade_text(g: &Grade) -> String {
    [g.functional.map(|x| x.as_str()), g.cosmetic.map(|x| x.as_str()), g.retail.map(|x| x.as_str())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}
