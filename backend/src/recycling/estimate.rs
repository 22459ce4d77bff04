//! The estimate a recovery report is set against, and the lot's rates: pure functions of
//! the lot's registered contents, the reference factors and the report, tested here
//! without a database.
//!
//! - Expected content of material `m`: Σ over every item and part of its own mass × its
//!   model's profile factor for `m` (g/kg ÷ 1000). Catalog masses exclude separately
//!   registered parts, so nothing is counted twice. Mass without a profile (or whose
//!   profile has no factors) is not estimated, and is shown as such.
//! - Expected recovery: expected content × the route's yield for `m`, where there is one.
//! - Rates are by weight of what entered treatment, the lot's net weight (Annex V):
//!   recovery = (recycled + energy recovery) ÷ input; prepared for re-use and recycling =
//!   recycled ÷ input (a recycling lot prepares nothing for re-use).

use std::collections::BTreeMap;

use super::factors::FactorTable;
use super::model::{CategoryMass, MaterialRow, Rates, RecoveryReport};
use crate::rules::{Material, TreatmentRoute, WeeeCategory};

/// One item or part: its own mass and its model's material profile.
#[derive(Clone, Copy, Debug)]
pub struct Node<'a> {
    pub own_kg: Option<f64>,
    pub profile: &'a str,
}

/// What the contents are expected to hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Content {
    /// Material → (kg, the sources of the factors used).
    pub by_material: BTreeMap<Material, (f64, Vec<String>)>,
    /// Known mass whose profile has no content factors.
    pub unprofiled_kg: f64,
}

pub fn content<'a>(nodes: impl IntoIterator<Item = Node<'a>>, t: &FactorTable) -> Content {
    let mut c = Content::default();
    for n in nodes {
        let Some(kg) = n.own_kg else { continue };
        let mut any = false;
        for (m, e) in t.profile(n.profile) {
            any = true;
            let slot = c.by_material.entry(m).or_insert_with(|| (0.0, Vec::new()));
            slot.0 += kg * e.value / 1000.0;
            let src = format!("{}: {}", n.profile, e.source);
            if !slot.1.contains(&src) {
                slot.1.push(src);
            }
        }
        if !any {
            c.unprofiled_kg += kg;
        }
    }
    c
}

/// Per material: expected content, the route's yield and expected recovery (the reported
/// figure and the gap come with [`against`]). Every material of the vocabulary has a row.
pub fn table(c: &Content, route: Option<TreatmentRoute>, t: &FactorTable) -> Vec<MaterialRow> {
    Material::ALL
        .iter()
        .map(|&m| {
            let (content, mut sources) = match c.by_material.get(&m) {
                Some((kg, s)) => (Some(*kg), s.clone()),
                None => (None, Vec::new()),
            };
            let y = route.and_then(|r| t.yield_of(r, m));
            if let (Some(y), Some(r)) = (y, route) {
                sources.push(format!("yield, {}: {}", r.as_str(), y.source));
            }
            let yield_fraction = y.map(|y| y.value);
            let expected = content.zip(yield_fraction).map(|(c, y)| c * y);
            MaterialRow {
                material: m,
                expected_content_kg: content,
                yield_fraction,
                expected_recovery_kg: expected,
                reported_kg: None,
                gap_kg: None,
                sources,
            }
        })
        .collect()
}

/// The expected rows with the recycler's figures and the gaps (reported less expected
/// recovery); without a report, as they are.
pub fn against(mut rows: Vec<MaterialRow>, report: Option<&RecoveryReport>) -> Vec<MaterialRow> {
    let Some(r) = report else { return rows };
    for row in &mut rows {
        // `+ 0.0`: an empty float sum is -0.0.
        let reported = r.materials.iter().filter(|x| x.material == row.material).map(|x| x.kg).sum::<f64>() + 0.0;
        row.reported_kg = Some(reported);
        row.gap_kg = row.expected_recovery_kg.map(|e| reported - e);
    }
    rows
}

/// The lot's category: the one holding the most registered mass (ties: the stricter
/// targets), with the mass of each.
pub fn category(items: &[(Option<WeeeCategory>, f64)]) -> (Option<WeeeCategory>, Vec<CategoryMass>) {
    let mut by: Vec<CategoryMass> = Vec::new();
    for (cat, kg) in items {
        match by.iter_mut().find(|c| c.category == *cat) {
            Some(c) => {
                c.kg += kg;
                c.items += 1;
            }
            None => by.push(CategoryMass { category: *cat, kg: *kg, items: 1 }),
        }
    }
    by.sort_by(|a, b| b.kg.total_cmp(&a.kg));
    let lead = by
        .iter()
        .filter_map(|c| c.category.map(|k| (k, c.kg)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(a.0.targets().recovery.total_cmp(&b.0.targets().recovery)))
        .map(|(k, _)| k);
    (lead, by)
}

/// The lot's rates from its net weight and the recycler's report, against `category`'s
/// Annex V targets.
pub fn rates(net_kg: f64, r: &RecoveryReport, category: Option<WeeeCategory>) -> Rates {
    let recycled: f64 = r.materials.iter().map(|m| m.kg).sum::<f64>() + 0.0;
    let recovery = if net_kg > 0.0 { (recycled + r.energy_recovery_kg) / net_kg } else { 0.0 };
    let rr = if net_kg > 0.0 { recycled / net_kg } else { 0.0 };
    let targets = category.map(WeeeCategory::targets);
    Rates {
        input_kg: net_kg,
        recycled_kg: recycled,
        energy_recovery_kg: r.energy_recovery_kg,
        disposal_kg: r.disposal_kg,
        unaccounted_kg: net_kg - recycled - r.energy_recovery_kg - r.disposal_kg,
        recovery_rate: recovery,
        reuse_and_recycling_rate: rr,
        category,
        recovery_target: targets.map(|t| t.recovery),
        reuse_and_recycling_target: targets.map(|t| t.reuse_and_recycling),
        meets_recovery: targets.map(|t| recovery >= t.recovery),
        meets_reuse_and_recycling: targets.map(|t| rr >= t.reuse_and_recycling),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recycling::factors::defaults;
    use crate::recycling::model::Recovered;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn content_follows_masses_and_profiles_and_leaves_unknowns_out() {
        let t = defaults();
        let nodes = [
            Node { own_kg: Some(10.0), profile: "server_whole" },
            Node { own_kg: Some(0.5), profile: "memory_module" },
            Node { own_kg: Some(2.0), profile: "" },
            Node { own_kg: None, profile: "server_whole" },
        ];
        let c = content(nodes, t);
        // Steel: 10 kg × 529 g/kg = 5.29 kg. Gold: 10 × 0.105 × 0.155 g + 0.5 × 0.855 g.
        assert!(close(c.by_material[&Material::Steel].0, 5.29));
        assert!(close(c.by_material[&Material::Gold].0, (10.0 * 0.105 * 0.155 + 0.5 * 0.855) / 1000.0));
        assert!(close(c.unprofiled_kg, 2.0));
        let route = TreatmentRoute::ManualDismantlingThenIntegratedSmelter;
        let report = RecoveryReport {
            certificate_id: "C".into(),
            certificate_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            materials: vec![Recovered { material: Material::Copper, kg: 1.5 }],
            energy_recovery_kg: 1.0,
            disposal_kg: 0.5,
            note: String::new(),
            entered_by: "x".into(),
            entered_at: chrono::Utc::now(),
        };
        let rows = against(table(&c, Some(route), t), Some(&report));
        assert_eq!(rows.len(), Material::ALL.len());
        let cu = rows.iter().find(|r| r.material == Material::Copper).unwrap();
        assert!(close(cu.expected_content_kg.unwrap(), 1.69));
        assert!(close(cu.expected_recovery_kg.unwrap(), 1.69 * 0.95));
        assert!(close(cu.gap_kg.unwrap(), 1.5 - 1.69 * 0.95));
        let steel = rows.iter().find(|r| r.material == Material::Steel).unwrap();
        assert_eq!((steel.yield_fraction, steel.expected_recovery_kg, steel.reported_kg), (None, None, Some(0.0)));
        let r = rates(4.0, &report, Some(WeeeCategory::LargeEquipment));
        assert!(close(r.recovery_rate, 2.5 / 4.0) && close(r.reuse_and_recycling_rate, 1.5 / 4.0));
        assert!(close(r.unaccounted_kg, 1.0));
        assert_eq!((r.meets_recovery, r.meets_reuse_and_recycling), (Some(false), Some(false)));
    }

    #[test]
    fn the_category_with_most_mass_leads() {
        let (lead, by) = category(&[
            (Some(WeeeCategory::SmallIt), 5.0),
            (Some(WeeeCategory::LargeEquipment), 20.0),
            (None, 30.0),
            (Some(WeeeCategory::SmallIt), 10.0),
        ]);
        assert_eq!(lead, Some(WeeeCategory::LargeEquipment), "unknown mass does not lead");
        assert_eq!(by[0].category, None);
        assert_eq!(
            by.iter().find(|c| c.category == Some(WeeeCategory::SmallIt)).map(|c| (c.kg, c.items)),
            Some((15.0, 2))
        );
        assert_eq!(category(&[]).0, None);
    }
}
