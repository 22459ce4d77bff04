//! Reuse figures: the parts harvested in a period (by the day their job closed), followed
//! to where they are now. A pure tally over plain facts ([`tally`]) and the read that
//! gathers those facts ([`figures`]).
//!
//! Every harvested part is counted once, in the first of: reused (installed in another
//! item since its harvest), sold or donated (transferred out), recycled (sent to the
//! recycling bin, or shipped for recycling since), waiting. So the four add up to
//! `harvested`. Missing parts are not harvested.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::embodied::{self, Figure, ModelFigures};
use super::model::{EmbodiedBySource, ReuseFigures, ReuseQuery};
use crate::assets::repo;
use crate::catalog;
use crate::db::entities::{dismantle_job, harvest_line, lifecycle_event, repair_order, repair_part};
use crate::error::{AppError, AppResult};
use crate::ids::{ModelId, SiteId};
use crate::rules::{AssetKind, Destination, EventKind, PartAction, State, TestResult, WorkStatus};

/// What the tally needs to know about one harvested (or missing) part.
#[derive(Clone, Debug, PartialEq)]
pub struct HarvestedPart {
    pub missing: bool,
    pub destination: Option<Destination>,
    pub test_result: Option<TestResult>,
    pub mass_kg: Option<f64>,
    pub embodied: Option<Figure>,
    /// Installed in another item since its job closed.
    pub reinstalled: bool,
    pub state: State,
}

/// Where a harvested part is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Reused,
    SoldOrDonated,
    Recycled,
    Waiting,
}

impl HarvestedPart {
    pub fn fate(&self) -> Fate {
        if self.reinstalled {
            Fate::Reused
        } else if self.state == State::TransferredOut {
            Fate::SoldOrDonated
        } else if self.destination == Some(Destination::RecyclingBin)
            || matches!(self.state, State::InRecycling | State::Recovered)
        {
            Fate::Recycled
        } else {
            Fate::Waiting
        }
    }
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

/// Adds up the figures for `parts`; period, site and repair counts are filled by the caller.
pub fn tally(parts: &[HarvestedPart]) -> ReuseFigures {
    let mut f = ReuseFigures {
        from: NaiveDate::MIN,
        to: NaiveDate::MIN,
        site_id: None,
        jobs_closed: 0,
        harvested: 0,
        missing: 0,
        tested_good: 0,
        to_spare_pool: 0,
        to_resale: 0,
        to_recycling: 0,
        reused: 0,
        sold_or_donated: 0,
        recycled: 0,
        waiting: 0,
        mass_harvested_kg: 0.0,
        mass_reused_kg: 0.0,
        mass_second_life_kg: 0.0,
        parts_without_mass: 0,
        reuse_rate: None,
        reuse_rate_by_mass: None,
        second_life_rate: None,
        embodied_kept_kgco2e: 0.0,
        embodied_sources: Vec::new(),
        parts_without_embodied: 0,
        repairs_closed: 0,
        repair_parts_from_pool: 0,
        repair_parts_new: 0,
    };
    let mut sources: Vec<EmbodiedBySource> = Vec::new();
    for p in parts {
        if p.missing {
            f.missing += 1;
            continue;
        }
        f.harvested += 1;
        if p.test_result == Some(TestResult::Passed) {
            f.tested_good += 1;
        }
        match p.destination {
            Some(Destination::SparePool) => f.to_spare_pool += 1,
            Some(Destination::Resale) => f.to_resale += 1,
            Some(Destination::RecyclingBin) | None => f.to_recycling += 1,
        }
        let fate = p.fate();
        match fate {
            Fate::Reused => f.reused += 1,
            Fate::SoldOrDonated => f.sold_or_donated += 1,
            Fate::Recycled => f.recycled += 1,
            Fate::Waiting => f.waiting += 1,
        }
        match p.mass_kg {
            Some(m) => {
                f.mass_harvested_kg += m;
                if fate == Fate::Reused {
                    f.mass_reused_kg += m;
                }
                if matches!(fate, Fate::Reused | Fate::SoldOrDonated) {
                    f.mass_second_life_kg += m;
                }
            }
            None => f.parts_without_mass += 1,
        }
        if matches!(fate, Fate::Reused | Fate::SoldOrDonated) {
            match &p.embodied {
                Some(e) => {
                    f.embodied_kept_kgco2e += e.kgco2e;
                    match sources.iter_mut().find(|s| s.source == e.source) {
                        Some(s) => {
                            s.parts += 1;
                            s.kgco2e += e.kgco2e;
                        }
                        None => sources.push(EmbodiedBySource { source: e.source.clone(), parts: 1, kgco2e: e.kgco2e }),
                    }
                }
                None => f.parts_without_embodied += 1,
            }
        }
    }
    f.reuse_rate = ratio(f.reused as f64, f.harvested as f64);
    f.second_life_rate = ratio((f.reused + f.sold_or_donated) as f64, f.harvested as f64);
    f.reuse_rate_by_mass = ratio(f.mass_reused_kg, f.mass_harvested_kg);
    sources.sort_by(|a, b| a.source.cmp(&b.source));
    f.embodied_sources = sources;
    f
}

/// The period a query asks for: `from` through `to`, both included.
pub fn period(q: &ReuseQuery, today: NaiveDate) -> AppResult<(NaiveDate, NaiveDate)> {
    let to = q.to.unwrap_or(today);
    let from = q.from.unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if from > to {
        return Err(AppError::invalid("from", "must not be after to"));
    }
    Ok((from, to))
}

/// Reuse figures for the jobs closed in the period (and, with a site, at that site).
pub async fn figures<C: ConnectionTrait>(conn: &C, q: &ReuseQuery) -> AppResult<ReuseFigures> {
    let (from, to) = period(q, Utc::now().date_naive())?;
    let start = from.and_time(NaiveTime::MIN).and_utc();
    let end = to.succ_opt().unwrap_or(to).and_time(NaiveTime::MIN).and_utc();
    let mut jobs = dismantle_job::Entity::find()
        .filter(dismantle_job::Column::Status.eq(WorkStatus::Closed.as_str()))
        .filter(dismantle_job::Column::ClosedAt.gte(start))
        .filter(dismantle_job::Column::ClosedAt.lt(end));
    if let Some(s) = q.site_id {
        jobs = jobs.filter(dismantle_job::Column::SiteId.eq(s.0));
    }
    let jobs = jobs.all(conn).await?;
    let closed: HashMap<uuid::Uuid, chrono::DateTime<Utc>> =
        jobs.iter().filter_map(|j| j.closed_at.map(|c| (j.id, c))).collect();
    let job_ids: Vec<uuid::Uuid> = jobs.iter().map(|j| j.id).collect();
    let mut lines = Vec::new();
    for chunk in job_ids.chunks(500) {
        lines.extend(
            harvest_line::Entity::find().filter(harvest_line::Column::JobId.is_in(chunk.to_vec())).all(conn).await?,
        );
    }
    let part_ids: Vec<uuid::Uuid> = lines.iter().filter_map(|l| l.asset_id).collect();
    let parts: HashMap<uuid::Uuid, _> =
        repo::find_many(conn, &part_ids).await?.into_iter().map(|a| (a.id, a)).collect();
    let mut model_ids: Vec<ModelId> = parts.values().filter_map(|a| a.model_id.map(ModelId)).collect();
    model_ids.sort();
    model_ids.dedup();
    let models: HashMap<uuid::Uuid, catalog::HardwareModel> =
        catalog::by_ids(conn, &model_ids).await?.into_iter().map(|m| (m.id.0, m)).collect();
    // Installs since harvest: a `parent` entry with a new parent, after the job closed.
    let mut installed_at: HashMap<uuid::Uuid, Vec<chrono::DateTime<Utc>>> = HashMap::new();
    for chunk in part_ids.chunks(500) {
        for e in lifecycle_event::Entity::find()
            .filter(lifecycle_event::Column::AssetId.is_in(chunk.to_vec()))
            .filter(lifecycle_event::Column::Kind.eq(EventKind::Parent.as_str()))
            .filter(lifecycle_event::Column::ToValue.is_not_null())
            .all(conn)
            .await?
        {
            installed_at.entry(e.asset_id).or_default().push(e.occurred_at);
        }
    }
    let mut facts = Vec::with_capacity(lines.len());
    for l in &lines {
        if l.asset_id.is_none() && !l.missing {
            continue; // a bill-of-materials gap nobody filled cannot be in a closed job
        }
        let part = l.asset_id.and_then(|a| parts.get(&a));
        let Some(part) = part else {
            facts.push(HarvestedPart {
                missing: true,
                destination: None,
                test_result: None,
                mass_kg: None,
                embodied: None,
                reinstalled: false,
                state: State::Lost,
            });
            continue;
        };
        let kind = AssetKind::parse(&part.kind).unwrap_or(AssetKind::Other);
        let model = part.model_id.and_then(|m| models.get(&m));
        let mass = l.mass_kg.or(part.mass_override_kg).or_else(|| model.and_then(|m| m.mass_kg));
        let closed_at = closed.get(&l.job_id).copied();
        let reinstalled =
            closed_at.is_some_and(|c| installed_at.get(&part.id).is_some_and(|ts| ts.iter().any(|t| *t >= c)));
        facts.push(HarvestedPart {
            missing: l.missing,
            destination: l.destination.as_deref().and_then(Destination::parse),
            test_result: l.test_result.as_deref().and_then(TestResult::parse),
            mass_kg: mass,
            embodied: embodied::for_part(kind, model.map(ModelFigures::from).as_ref(), mass),
            reinstalled,
            state: State::parse(&part.state).unwrap_or(State::InStock),
        });
    }
    let mut f = tally(&facts);
    f.from = from;
    f.to = to;
    f.site_id = q.site_id.map(|s: SiteId| s);
    f.jobs_closed = jobs.len() as u64;

    let mut repairs = repair_order::Entity::find()
        .filter(repair_order::Column::Status.eq(WorkStatus::Closed.as_str()))
        .filter(repair_order::Column::ClosedAt.gte(start))
        .filter(repair_order::Column::ClosedAt.lt(end));
    if let Some(s) = q.site_id {
        repairs = repairs.filter(repair_order::Column::SiteId.eq(s.0));
    }
    let repairs = repairs.all(conn).await?;
    f.repairs_closed = repairs.len() as u64;
    let repair_ids: HashSet<uuid::Uuid> = repairs.iter().map(|r| r.id).collect();
    let ids: Vec<uuid::Uuid> = repair_ids.into_iter().collect();
    for chunk in ids.chunks(500) {
        for p in repair_part::Entity::find()
            .filter(repair_part::Column::RepairId.is_in(chunk.to_vec()))
            .filter(repair_part::Column::Action.eq(PartAction::Installed.as_str()))
            .all(conn)
            .await?
        {
            match p.origin.as_deref() {
                Some("harvested" | "spare") => f.repair_parts_from_pool += 1,
                Some("new") => f.repair_parts_new += 1,
                _ => {}
            }
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(dest: Destination, test: TestResult, mass: Option<f64>, reinstalled: bool, state: State) -> HarvestedPart {
        HarvestedPart {
            missing: false,
            destination: Some(dest),
            test_result: Some(test),
            mass_kg: mass,
            embodied: Some(Figure { kgco2e: 10.0, source: "s".into() }),
            reinstalled,
            state,
        }
    }

    #[test]
    fn fates_add_up_and_rates_follow() {
        let parts = vec![
            part(Destination::SparePool, TestResult::Passed, Some(2.0), true, State::Deployed),
            part(Destination::SparePool, TestResult::Passed, Some(1.0), false, State::InStock),
            part(Destination::Resale, TestResult::Passed, None, false, State::TransferredOut),
            part(Destination::RecyclingBin, TestResult::Failed, Some(3.0), false, State::Retired),
            HarvestedPart {
                missing: true,
                ..part(Destination::SparePool, TestResult::Untested, None, false, State::Lost)
            },
        ];
        let f = tally(&parts);
        assert_eq!((f.harvested, f.missing, f.tested_good), (4, 1, 3));
        assert_eq!((f.to_spare_pool, f.to_resale, f.to_recycling), (2, 1, 1));
        assert_eq!((f.reused, f.sold_or_donated, f.recycled, f.waiting), (1, 1, 1, 1));
        assert_eq!(f.reused + f.sold_or_donated + f.recycled + f.waiting, f.harvested);
        assert_eq!((f.mass_harvested_kg, f.mass_reused_kg, f.parts_without_mass), (6.0, 2.0, 1));
        assert_eq!(f.reuse_rate, Some(0.25));
        assert_eq!(f.second_life_rate, Some(0.5));
        assert_eq!(f.reuse_rate_by_mass, Some(2.0 / 6.0));
        assert_eq!(f.embodied_kept_kgco2e, 20.0, "reused and sold parts keep their embodied carbon in use");
    }
}
