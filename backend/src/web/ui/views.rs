//! View helpers shared by pages: labels for ids, readable ledger entries, formatting.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::assets::{Asset, service};
use crate::catalog::{self, HardwareModel};
use crate::error::AppResult;
use crate::ids::{AssetId, ModelId, SiteId};
use crate::lifecycle::{Event, EventKind, State, WorkloadTier};
use crate::sites::{self, Site};

/// Model labels and site names for a page of assets (two small lookups, no joins).
pub struct Labels {
    pub models: HashMap<ModelId, HardwareModel>,
    pub sites: HashMap<SiteId, Site>,
}

impl Labels {
    pub async fn load<C: ConnectionTrait>(conn: &C, assets: &[Asset]) -> AppResult<Labels> {
        let mut model_ids: Vec<ModelId> = assets.iter().filter_map(|a| a.model_id).collect();
        model_ids.sort();
        model_ids.dedup();
        let mut site_ids: Vec<SiteId> = assets.iter().filter_map(|a| a.site_id).collect();
        site_ids.sort();
        site_ids.dedup();
        Ok(Labels {
            models: catalog::by_ids(conn, &model_ids).await?.into_iter().map(|m| (m.id, m)).collect(),
            sites: sites::by_ids(conn, &site_ids).await?.into_iter().map(|s| (s.id, s)).collect(),
        })
    }

    pub fn model(&self, id: Option<ModelId>) -> String {
        id.and_then(|i| self.models.get(&i)).map(|m| m.label()).unwrap_or_default()
    }

    pub fn site(&self, id: Option<SiteId>) -> String {
        id.and_then(|i| self.sites.get(&i)).map(|s| s.name.clone()).unwrap_or_default()
    }
}

/// One row of an asset table.
pub struct AssetRow {
    pub id: AssetId,
    pub tag: String,
    pub kind: String,
    pub model: String,
    pub serial: String,
    pub state: State,
    pub site: String,
    pub updated: String,
}

impl AssetRow {
    pub fn new(a: &Asset, l: &Labels) -> Self {
        AssetRow {
            id: a.id,
            tag: a.asset_tag.clone(),
            kind: a.kind.label().to_owned(),
            model: l.model(a.model_id),
            serial: a.serial.clone().unwrap_or_default(),
            state: a.state,
            site: l.site(a.site_id),
            updated: short_time(a.updated_at),
        }
    }
}

/// A ledger entry as a sentence, with a link to the other item involved.
pub struct EventView {
    pub when: String,
    pub when_iso: String,
    pub kind: EventKind,
    pub text: String,
    pub link: Option<(AssetId, String)>,
    pub actor: String,
    pub reason: String,
}

/// Turns ledger entries into sentences, resolving the tags and site names they mention.
pub async fn event_views<C: ConnectionTrait>(conn: &C, events: &[Event]) -> AppResult<Vec<EventView>> {
    let mut asset_ids: Vec<AssetId> = Vec::new();
    let mut site_ids: Vec<SiteId> = Vec::new();
    for e in events {
        asset_ids.extend(e.related_asset_id);
        if e.kind == EventKind::Parent {
            for v in [&e.from, &e.to].into_iter().flatten() {
                asset_ids.extend(v.parse::<AssetId>().ok());
            }
        }
        if e.kind == EventKind::Site {
            for v in [&e.from, &e.to].into_iter().flatten() {
                site_ids.extend(v.parse::<SiteId>().ok());
            }
        }
        if e.kind == EventKind::Registered
            && let Some(s) = e.payload.get("site_id").and_then(|v| v.as_str())
        {
            site_ids.extend(s.parse::<SiteId>().ok());
        }
    }
    asset_ids.sort();
    asset_ids.dedup();
    site_ids.sort();
    site_ids.dedup();
    let tags: HashMap<String, String> =
        service::tags(conn, &asset_ids).await?.into_iter().map(|(id, tag)| (id.to_string(), tag)).collect();
    let site_names: HashMap<String, String> =
        sites::by_ids(conn, &site_ids).await?.into_iter().map(|s| (s.id.to_string(), s.name)).collect();
    let tag = |v: &Option<String>| v.as_ref().and_then(|id| tags.get(id)).cloned().unwrap_or_else(|| "?".into());
    let site =
        |v: &Option<String>| v.as_ref().and_then(|id| site_names.get(id)).cloned().unwrap_or_else(|| "no site".into());
    let state = |v: &Option<String>| v.as_deref().and_then(State::parse).map(|s| s.label()).unwrap_or("?");
    let workload = |v: &Option<String>| v.as_deref().and_then(WorkloadTier::parse).map(|w| w.label()).unwrap_or("none");
    Ok(events
        .iter()
        .map(|e| {
            let text = match e.kind {
                EventKind::Registered => {
                    let mut t = format!("Registered as {}", state(&e.to));
                    if let Some(s) = e.payload.get("site_id").and_then(|v| v.as_str()) {
                        t.push_str(&format!(" at {}", site(&Some(s.to_owned()))));
                    }
                    if e.related_asset_id.is_some() {
                        t.push_str(", installed in");
                    }
                    t
                }
                EventKind::State => format!("{} → {}", state(&e.from), state(&e.to)),
                EventKind::Parent => match (&e.from, &e.to) {
                    (None, Some(_)) => "Installed in".to_owned(),
                    (Some(_), None) => "Removed from".to_owned(),
                    (Some(_), Some(_)) => format!("Moved from {} to", tag(&e.from)),
                    (None, None) => "Parent unchanged".to_owned(),
                },
                EventKind::ChildAdded => "Part installed:".to_owned(),
                EventKind::ChildRemoved => "Part removed:".to_owned(),
                EventKind::Site => format!("Moved from {} to {}", site(&e.from), site(&e.to)),
                EventKind::Workload => match (&e.from, &e.to) {
                    (None, _) => format!("Workload set to {}", workload(&e.to)),
                    (_, None) => format!("Workload cleared (was {})", workload(&e.from)),
                    _ => format!("Workload {} → {}", workload(&e.from), workload(&e.to)),
                },
            };
            EventView {
                when: short_time(e.occurred_at),
                when_iso: e.occurred_at.to_rfc3339(),
                kind: e.kind,
                text,
                link: e
                    .related_asset_id
                    .map(|id| (id, tags.get(&id.to_string()).cloned().unwrap_or_else(|| id.to_string()))),
                actor: e.actor.clone(),
                reason: e.reason.clone(),
            }
        })
        .collect())
}

pub fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// "1.2 kg", "26.30 kg", or "—".
pub fn kg(v: Option<f64>) -> String {
    match v {
        Some(x) if x >= 100.0 => format!("{x:.0} kg"),
        Some(x) if x >= 1.0 => format!("{x:.2} kg"),
        Some(x) => format!("{:.0} g", x * 1000.0),
        None => "—".to_owned(),
    }
}

pub fn num(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(x) if x.fract() == 0.0 => format!("{x:.0} {unit}").trim_end().to_owned(),
        Some(x) => format!("{x:.2} {unit}").trim_end().to_owned(),
        None => "—".to_owned(),
    }
}

/// A value for an `<input>`: the number as typed, or "".
pub fn input_num(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}
