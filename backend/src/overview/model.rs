//! The overview's figures, added up from counter rows by a pure function.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use crate::ids::{ModelId, SiteId};
use crate::rules::{AssetKind, State};

/// One counter row, typed.
#[derive(Clone, Debug, PartialEq)]
pub struct Counter {
    pub kind: AssetKind,
    pub state: State,
    pub site: Option<SiteId>,
    pub model: Option<ModelId>,
    pub top_level: bool,
    pub items: i64,
    /// Items of this row that carry their own mass.
    pub mass_overridden: i64,
    /// The sum of those items' own masses, in grams.
    pub override_g: i64,
}

/// A mass figure: the known part and how many items have no known mass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Mass {
    pub items: i64,
    pub kg: f64,
    /// Items with neither their own mass nor a model mass: left out of `kg`.
    pub unknown_mass_items: i64,
}

/// A count under a label, with the key the asset list filters by.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Bucket {
    /// The filter value (`state`, `kind` or `site_id` of the asset list); empty for "no site".
    pub key: String,
    pub label: String,
    pub items: i64,
}

/// The fleet overview.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Overview {
    /// Every registered item, parts included.
    pub items: i64,
    /// Items not installed in another.
    pub top_level_items: i64,
    /// Every state, in the state machine's order, with its count (zeros included).
    pub by_state: Vec<Bucket>,
    /// Kinds that have items, most first.
    pub by_kind: Vec<Bucket>,
    /// Sites that have items, most first; items without a site last.
    pub by_site: Vec<Bucket>,
    /// Items (parts included) by kind and state: `[kind][state]` in the orders of
    /// `by_kind` and `by_state`.
    pub kind_by_state: Vec<Vec<i64>>,
    /// Items in service (deployed, redeployed, in repair) and their mass.
    pub in_service: Mass,
    /// Items in stock and their mass.
    pub in_stock: Mass,
    /// The calendar year (UTC) of `retired_this_year`.
    pub year: i32,
    /// Ledger entries this year that retired an item.
    pub retired_this_year: i64,
}

/// Adds up counter rows. `model_mass` holds the mass of every model that has one,
/// `site_name` the name of every site.
pub fn summarise(
    rows: &[Counter],
    model_mass: &HashMap<ModelId, f64>,
    site_name: &HashMap<SiteId, String>,
    year: i32,
    retired_this_year: i64,
) -> Overview {
    let mut by_state: BTreeMap<usize, i64> = BTreeMap::new();
    let mut by_kind: HashMap<AssetKind, i64> = HashMap::new();
    let mut by_site: HashMap<Option<SiteId>, i64> = HashMap::new();
    let mut cross: HashMap<(AssetKind, State), i64> = HashMap::new();
    let (mut items, mut top_level_items) = (0, 0);
    let mut service = MassSum::default();
    let mut stock = MassSum::default();
    for r in rows.iter().filter(|r| r.items != 0) {
        items += r.items;
        if r.top_level {
            top_level_items += r.items;
        }
        let at = State::ALL.iter().position(|s| *s == r.state).unwrap_or(0);
        *by_state.entry(at).or_default() += r.items;
        *by_kind.entry(r.kind).or_default() += r.items;
        *by_site.entry(r.site).or_default() += r.items;
        *cross.entry((r.kind, r.state)).or_default() += r.items;
        let mass = if r.state.is_in_service() {
            Some(&mut service)
        } else if r.state == State::InStock {
            Some(&mut stock)
        } else {
            None
        };
        if let Some(m) = mass {
            m.add(r, r.model.and_then(|id| model_mass.get(&id)).copied());
        }
    }
    let by_state: Vec<Bucket> = State::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| Bucket {
            key: s.as_str().to_owned(),
            label: s.label().to_owned(),
            items: by_state.get(&i).copied().unwrap_or(0),
        })
        .collect();
    let mut kinds: Vec<(AssetKind, i64)> = by_kind.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
    let kind_by_state = kinds
        .iter()
        .map(|(k, _)| State::ALL.iter().map(|s| cross.get(&(*k, *s)).copied().unwrap_or(0)).collect())
        .collect();
    let by_kind = kinds
        .iter()
        .map(|(k, n)| Bucket { key: k.as_str().to_owned(), label: k.label().to_owned(), items: *n })
        .collect();
    let mut sites: Vec<(Option<SiteId>, i64)> = by_site.into_iter().collect();
    let name = |s: &Option<SiteId>| match s {
        Some(id) => site_name.get(id).cloned().unwrap_or_else(|| id.to_string()),
        None => "No site".to_owned(),
    };
    sites.sort_by(|a, b| a.0.is_none().cmp(&b.0.is_none()).then(b.1.cmp(&a.1)).then(name(&a.0).cmp(&name(&b.0))));
    let by_site = sites
        .iter()
        .map(|(s, n)| Bucket { key: s.map(|id| id.to_string()).unwrap_or_default(), label: name(s), items: *n })
        .collect();
    Overview {
        items,
        top_level_items,
        by_state,
        by_kind,
        by_site,
        kind_by_state,
        in_service: service.mass(),
        in_stock: stock.mass(),
        year,
        retired_this_year,
    }
}

/// Mass in exact integer grams while adding up.
#[derive(Default)]
struct MassSum {
    items: i64,
    grams: i64,
    /// Model mass × items, in kg (model masses are not whole grams in general).
    model_kg: f64,
    unknown: i64,
}

impl MassSum {
    fn add(&mut self, r: &Counter, model_mass: Option<f64>) {
        self.items += r.items;
        self.grams += r.override_g;
        let without_own = r.items - r.mass_overridden;
        match model_mass {
            Some(kg) => self.model_kg += kg * without_own as f64,
            None => self.unknown += without_own,
        }
    }

    fn mass(&self) -> Mass {
        let kg = self.grams as f64 / 1000.0 + self.model_kg;
        // Rounded to the gram: sums of binary fractions otherwise show as 20.130000000000003.
        Mass { items: self.items, kg: (kg * 1000.0).round() / 1000.0, unknown_mass_items: self.unknown }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn row(kind: AssetKind, state: State, site: Option<SiteId>, model: Option<ModelId>, top: bool, n: i64) -> Counter {
        Counter { kind, state, site, model, top_level: top, items: n, mass_overridden: 0, override_g: 0 }
    }

    #[test]
    fn counts_and_masses_add_up_by_hand() {
        let (a, b) = (SiteId(Uuid::now_v7()), SiteId(Uuid::now_v7()));
        let (r740, dimm) = (ModelId(Uuid::now_v7()), ModelId(Uuid::now_v7()));
        let mut heavy = row(AssetKind::Server, State::Deployed, Some(a), Some(r740), true, 3);
        // One of the three servers was weighed at 25.5 kg.
        heavy.mass_overridden = 1;
        heavy.override_g = 25_500;
        let rows = vec![
            heavy,
            row(AssetKind::Dimm, State::Deployed, Some(a), Some(dimm), false, 24),
            row(AssetKind::Server, State::InStock, Some(b), None, true, 2),
            row(AssetKind::Server, State::Retired, None, Some(r740), true, 1),
            // A row that went to zero is ignored.
            row(AssetKind::Gpu, State::Lost, None, None, true, 0),
        ];
        let masses = HashMap::from([(r740, 28.0), (dimm, 0.05)]);
        let names = HashMap::from([(a, "Alpha".to_owned()), (b, "Beta".to_owned())]);
        let o = summarise(&rows, &masses, &names, 2026, 7);
        assert_eq!((o.items, o.top_level_items), (30, 6));
        // In service: 2 × 28 kg + 25.5 kg + 24 × 0.05 kg = 82.7 kg over 27 items.
        assert_eq!(o.in_service, Mass { items: 27, kg: 82.7, unknown_mass_items: 0 });
        // In stock: two servers of no model and no mass of their own.
        assert_eq!(o.in_stock, Mass { items: 2, kg: 0.0, unknown_mass_items: 2 });
        let state = |s: State| o.by_state.iter().find(|b| b.key == s.as_str()).map(|b| b.items);
        assert_eq!((state(State::Deployed), state(State::InStock), state(State::Lost)), (Some(27), Some(2), Some(0)));
        assert_eq!(o.by_state.len(), State::ALL.len(), "every state, zeros included");
        let kinds: Vec<(&str, i64)> = o.by_kind.iter().map(|b| (b.key.as_str(), b.items)).collect();
        assert_eq!(kinds, vec![("dimm", 24), ("server", 6)]);
        let sites: Vec<(&str, i64)> = o.by_site.iter().map(|b| (b.label.as_str(), b.items)).collect();
        assert_eq!(sites, vec![("Alpha", 27), ("Beta", 2), ("No site", 1)]);
        let deployed = State::ALL.iter().position(|s| *s == State::Deployed).unwrap();
        assert_eq!((o.kind_by_state[0][deployed], o.kind_by_state[1][deployed]), (24, 3));
        assert_eq!((o.year, o.retired_this_year), (2026, 7));
    }
}
