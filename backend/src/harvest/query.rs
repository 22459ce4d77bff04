//! Reads of dismantle jobs (the bench sheet), the lists, and the pools.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::model::{Job, JobDetail, JobQuery, Line, LineRow, PoolEntry, PoolGroup, PoolQuery, PoolView};
use crate::assets::repo;
use crate::catalog;
use crate::db::entities::{asset, dismantle_job, harvest_line, pool_stay, site};
use crate::db::short_id;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, JobId, LineId, ModelId, RepairId, SiteId, StayId};
use crate::rules::{AssetKind, Destination, Page, PartOrigin, State, TestResult};
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
#[derive(Clone)]
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

/// A line and what the sheet shows of its part.
type Labelled = (harvest_line::Model, Option<PartLabel>);

/// A line joined with its part's sheet columns (`part_*`, null for a line without a part).
#[derive(FromQueryResult)]
struct SheetRow {
    #[sea_orm(nested)]
    line: harvest_line::Model,
    part_tag: Option<String>,
    part_serial: Option<String>,
    part_kind: Option<String>,
    part_model_id: Option<uuid::Uuid>,
    part_state: Option<String>,
}

/// Job `id`'s lines with their parts, in sheet order, in one query (a hundred rows for a
/// server, rather than a hundred lines and then a hundred parts).
async fn sheet_rows<C: ConnectionTrait>(conn: &C, id: JobId) -> AppResult<Vec<Labelled>> {
    let part = harvest_line::Entity::belongs_to(asset::Entity)
        .from(harvest_line::Column::AssetId)
        .to(asset::Column::Id)
        .into();
    let rows = harvest_line::Entity::find()
        .join(JoinType::LeftJoin, part)
        .column_as(asset::Column::AssetTag, "part_tag")
        .column_as(asset::Column::Serial, "part_serial")
        .column_as(asset::Column::Kind, "part_kind")
        .column_as(asset::Column::ModelId, "part_model_id")
        .column_as(asset::Column::State, "part_state")
        .filter(harvest_line::Column::JobId.eq(id.0))
        .order_by_asc(harvest_line::Column::Ordinal)
        .order_by_asc(harvest_line::Column::Id)
        .into_model::<SheetRow>()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let part = match (r.part_tag, r.part_kind, r.part_state) {
                (Some(asset_tag), Some(kind), Some(state)) => {
                    Some(PartLabel { asset_tag, serial: r.part_serial, kind, model_id: r.part_model_id, state })
                }
                _ => None,
            };
            (r.line, part)
        })
        .collect())
}

/// The labels of the models the lines (and their parts) name, and of `extra`.
async fn model_labels<C: ConnectionTrait>(
    conn: &C,
    rows: &[Labelled],
    extra: Option<uuid::Uuid>,
) -> AppResult<HashMap<ModelId, String>> {
    let mut ids: Vec<ModelId> = rows
        .iter()
        .flat_map(|(l, p)| [l.expected_model_id, p.as_ref().and_then(|p| p.model_id)])
        .chain([extra])
        .flatten()
        .map(ModelId)
        .collect();
    ids.sort();
    ids.dedup();
    Ok(catalog::by_ids(conn, &ids).await?.into_iter().map(|m| (m.id, m.label())).collect())
}

/// Lines as the sheet shows them.
fn to_lines(rows: Vec<Labelled>, labels: &HashMap<ModelId, String>) -> AppResult<Vec<Line>> {
    let mut out = Vec::with_capacity(rows.len());
    for (r, part) in rows {
        let l = LineRow::try_from(&r)?;
        let kind = part.as_ref().and_then(|p| AssetKind::parse(&p.kind)).unwrap_or(l.kind);
        let model_id = part.as_ref().map(|p| p.model_id.map(ModelId)).unwrap_or(l.model_id);
        let state = part.as_ref().and_then(|p| State::parse(&p.state));
        let (asset_tag, serial) = match part {
            Some(p) => (Some(p.asset_tag), p.serial),
            None => (None, None),
        };
        out.push(Line {
            id: l.id,
            ordinal: l.ordinal,
            source: l.source,
            asset_id: l.asset_id,
            asset_tag,
            serial,
            kind,
            model_id,
            model: model_id.and_then(|m| labels.get(&m).cloned()).unwrap_or_default(),
            position: l.position,
            state,
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

/// Lines with their parts and model labels, in the order given.
pub(crate) async fn lines_of<C: ConnectionTrait>(conn: &C, rows: &[harvest_line::Model]) -> AppResult<Vec<Line>> {
    let ids: Vec<uuid::Uuid> = rows.iter().filter_map(|l| l.asset_id).collect();
    let parts = part_labels(conn, &ids).await?;
    let rows: Vec<Labelled> =
        rows.iter().map(|r| (r.clone(), r.asset_id.and_then(|a| parts.get(&a).cloned()))).collect();
    let labels = model_labels(conn, &rows, None).await?;
    to_lines(rows, &labels)
}

/// A job with what its sheet shows of the donor and the site, in one query.
#[derive(FromQueryResult)]
struct JobHead {
    #[sea_orm(nested)]
    job: dismantle_job::Model,
    donor_tag: String,
    donor_kind: String,
    donor_state: String,
    donor_model_id: Option<uuid::Uuid>,
    site_name: Option<String>,
}

/// A job as its bench sheet shows it: the donor and every expected part. Three queries:
/// the job with its donor and site, the lines with their parts, the models' labels.
pub async fn detail<C: ConnectionTrait>(conn: &C, id: JobId) -> AppResult<JobDetail> {
    let donor = dismantle_job::Entity::belongs_to(asset::Entity)
        .from(dismantle_job::Column::AssetId)
        .to(asset::Column::Id)
        .into();
    let site =
        dismantle_job::Entity::belongs_to(site::Entity).from(dismantle_job::Column::SiteId).to(site::Column::Id).into();
    let head = dismantle_job::Entity::find_by_id(id.0)
        .join(JoinType::InnerJoin, donor)
        .join(JoinType::LeftJoin, site)
        .column_as(asset::Column::AssetTag, "donor_tag")
        .column_as(asset::Column::Kind, "donor_kind")
        .column_as(asset::Column::State, "donor_state")
        .column_as(asset::Column::ModelId, "donor_model_id")
        .column_as(site::Column::Name, "site_name")
        .into_model::<JobHead>()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("dismantle job", id))?;
    let unreadable =
        |what: &str, v: &str| AppError::Internal(anyhow::anyhow!("unreadable donor {what} {v:?} of job {id}"));
    let donor_kind = AssetKind::parse(&head.donor_kind).ok_or_else(|| unreadable("kind", &head.donor_kind))?;
    let donor_state = State::parse(&head.donor_state).ok_or_else(|| unreadable("state", &head.donor_state))?;
    let rows = sheet_rows(conn, id).await?;
    let labels = model_labels(conn, &rows, head.donor_model_id).await?;
    let donor_model = head.donor_model_id.and_then(|m| labels.get(&ModelId(m)).cloned()).unwrap_or_default();
    let lines = to_lines(rows, &labels)?;
    Ok(JobDetail {
        job: Job::try_from(head.job)?,
        donor_tag: head.donor_tag,
        donor_kind,
        donor_state,
        donor_model,
        site: head.site_name.unwrap_or_default(),
        recorded: lines.iter().filter(|l| l.is_recorded()).count(),
        lines,
    })
}

/// Jobs, newest first, keyset-paginated by id.
pub async fn list<C: ConnectionTrait>(conn: &C, q: &JobQuery) -> AppResult<Page<Job>> {
    let limit = text::page_limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let mut s = dismantle_job::Entity::find().order_by_desc(dismantle_job::Column::Id).limit(limit + 1);
    if let Some(st) = q.status {
        s = s.filter(dismantle_job::Column::Status.eq(st.as_str()));
    }
    if let Some(c) = text::page_cursor(q.cursor.as_deref())? {
        s = s.filter(dismantle_job::Column::Id.lt(c));
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
