//! Circular levers: what a scenario changes against its baseline. Pure.
//!
//! - **Lifetime extension** (years d, share s): a share s of items stays in use d years
//!   longer: their lifespan T becomes T + d.
//! - **Redeployment** (share r, years d): a share r of items leaving use gets a second life
//!   of d years before it becomes waste (also T + d, for another reason; both together
//!   add up). Items are extended and redeployed independently, so an item's lifespan is
//!   T + 0, T + d₁, T + d₂ or T + d₁ + d₂ with weights (1−s)(1−r), s(1−r), (1−s)r, sr: a
//!   mixture that keeps each item a single Bernoulli per year.
//! - **Harvest and reuse** (share by component kind): that share of the mass of parts of
//!   each kind is taken out for reuse before the rest becomes waste. A fleet forecast
//!   knows each item's parts; the others use a `composition` (mass share by kind).
//! - **Efficiency gains** (yearly g, from a year): new hardware does (1 + g) times the
//!   work of the year before, so purchases after `from_year` shrink by (1 + g)^−(t − from)
//!   (procurement) and a server's capacity grows by the same factor (demand). A fleet
//!   forecast covers what is installed today and buys nothing, so it takes no efficiency
//!   lever.

use super::input::{Problem, Problems};
use crate::rules::AssetKind;

/// A longer life for a share of the items.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shift {
    pub years: f64,
    pub share: f64,
}

/// Yearly efficiency gains of new hardware from a year on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Efficiency {
    pub yearly: f64,
    pub from_year: i32,
}

/// A scenario's levers; the default is the baseline (none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Levers {
    pub extension: Option<Shift>,
    pub redeployment: Option<Shift>,
    /// Share of each component kind's mass harvested for reuse.
    pub harvest: Vec<(AssetKind, f64)>,
    /// Mass share of each component kind in an item, for forecasts that know no parts.
    pub composition: Option<Vec<(AssetKind, f64)>>,
    pub efficiency: Option<Efficiency>,
}

/// Largest life extension or second life, in years.
pub const SHIFT_MAX_YEARS: f64 = 20.0;
/// Largest yearly efficiency gain.
pub const EFFICIENCY_MAX: f64 = 1.0;

impl Levers {
    pub fn is_empty(&self) -> bool {
        self.extension.is_none() && self.redeployment.is_none() && self.harvest.is_empty() && self.efficiency.is_none()
    }

    /// Every problem with the levers, fields named under `prefix` (`levers.`).
    pub fn check(&self, prefix: &str) -> Vec<Problem> {
        let mut p = Problems::default();
        for (name, shift) in [("extension", self.extension), ("redeployment", self.redeployment)] {
            if let Some(s) = shift {
                if !(s.years.is_finite() && s.years > 0.0 && s.years <= SHIFT_MAX_YEARS) {
                    p.add(
                        format!("{prefix}{name}.years"),
                        format!("must be more than 0 and at most {SHIFT_MAX_YEARS} years (got {})", s.years),
                    );
                }
                if !(s.share.is_finite() && s.share > 0.0 && s.share <= 1.0) {
                    p.add(
                        format!("{prefix}{name}.share"),
                        format!("must be a share more than 0 and at most 1 (got {})", s.share),
                    );
                }
            }
        }
        shares(&mut p, &format!("{prefix}harvest"), &self.harvest);
        if let Some(c) = &self.composition {
            shares(&mut p, &format!("{prefix}composition"), c);
            let total: f64 = c.iter().map(|(_, s)| s).sum();
            if total > 1.0 + 1e-9 {
                p.add(
                    format!("{prefix}composition"),
                    format!("mass shares must add up to at most 1 (they add up to {total})"),
                );
            }
        }
        if let Some(e) = self.efficiency {
            if !(e.yearly.is_finite() && e.yearly > 0.0 && e.yearly <= EFFICIENCY_MAX) {
                p.add(
                    format!("{prefix}efficiency_gain"),
                    format!("must be a yearly gain more than 0 and at most {EFFICIENCY_MAX} (got {})", e.yearly),
                );
            }
            if !(1990..=2100).contains(&e.from_year) {
                p.add(format!("{prefix}efficiency_from"), "must be a year from 1990 to 2100");
            }
        }
        p.0
    }

    /// The lifespan mixture: (weight, shift in years), weights adding up to 1.
    pub fn mixture(&self) -> Vec<(f64, f64)> {
        let mut out = vec![(1.0, 0.0)];
        for s in [self.extension, self.redeployment].into_iter().flatten() {
            let mut next = Vec::with_capacity(out.len() * 2);
            for (w, d) in &out {
                next.push((w * (1.0 - s.share), *d));
                next.push((w * s.share, d + s.years));
            }
            out = next;
        }
        out.retain(|(w, _)| *w > 0.0);
        out
    }

    /// The share of a component kind's mass harvested.
    pub fn harvest_share(&self, kind: AssetKind) -> f64 {
        self.harvest.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s).unwrap_or(0.0)
    }

    /// The share of an item's mass harvested, given its composition.
    pub fn harvested_fraction(&self, composition: &[(AssetKind, f64)]) -> f64 {
        composition.iter().map(|(k, share)| share * self.harvest_share(*k)).sum()
    }

    /// One line per lever, for outputs.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(s) = self.extension {
            out.push(format!("lifetime extension: {} of items used {} years longer", pct(s.share), s.years));
        }
        if let Some(s) = self.redeployment {
            out.push(format!(
                "redeployment: {} of items leaving use get a second life of {} years",
                pct(s.share),
                s.years
            ));
        }
        if !self.harvest.is_empty() {
            let parts: Vec<String> =
                self.harvest.iter().map(|(k, s)| format!("{} of {} mass", pct(*s), k.as_str())).collect();
            out.push(format!("harvest and reuse: {}", parts.join(", ")));
        }
        if let Some(e) = self.efficiency {
            out.push(format!("efficiency gains: {} a year from {}", pct(e.yearly), e.from_year));
        }
        out
    }
}

fn shares(p: &mut Problems, field: &str, list: &[(AssetKind, f64)]) {
    for (i, (k, s)) in list.iter().enumerate() {
        if !(s.is_finite() && (0.0..=1.0).contains(s)) {
            p.add(format!("{field}[{i}].share"), format!("must be a share from 0 to 1 (got {s})"));
        }
        if list[..i].iter().any(|(other, _)| other == k) {
            p.add(format!("{field}[{i}].kind"), format!("{} is listed twice", k.as_str()));
        }
    }
}

/// A share as a percentage: "25 %".
pub fn pct(share: f64) -> String {
    let v = share * 100.0;
    if (v - v.round()).abs() < 1e-9 { format!("{v:.0} %") } else { format!("{v:.1} %") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mixture_weights_every_combination() {
        let l = Levers {
            extension: Some(Shift { years: 2.0, share: 0.5 }),
            redeployment: Some(Shift { years: 3.0, share: 0.2 }),
            ..Levers::default()
        };
        // (1−0.5)(1−0.2) = 0.4 at 0; 0.5·0.8 = 0.4 at 2; 0.5·0.2 = 0.1 at 3; 0.5·0.2 = 0.1 at 5.
        let mut m = l.mixture();
        m.sort_by(|a, b| a.1.total_cmp(&b.1));
        let want = [(0.4, 0.0), (0.4, 2.0), (0.1, 3.0), (0.1, 5.0)];
        assert_eq!(m.len(), 4);
        for ((w, d), (ww, wd)) in m.iter().zip(want) {
            assert!((w - ww).abs() < 1e-12 && (d - wd).abs() < 1e-12, "{m:?}");
        }
        // Everyone extended: one component.
        let all = Levers { extension: Some(Shift { years: 1.0, share: 1.0 }), ..Levers::default() };
        assert_eq!(all.mixture(), vec![(1.0, 1.0)]);
        assert_eq!(Levers::default().mixture(), vec![(1.0, 0.0)]);
    }

    #[test]
    fn harvest_takes_each_kind_s_share_of_its_mass() {
        let l = Levers { harvest: vec![(AssetKind::Dimm, 0.5), (AssetKind::Ssd, 1.0)], ..Levers::default() };
        // 2 % DIMMs at half, 3 % SSD in full, 10 % PSU not harvested: 0.01 + 0.03 = 0.04.
        let comp = [(AssetKind::Dimm, 0.02), (AssetKind::Ssd, 0.03), (AssetKind::Psu, 0.10)];
        assert!((l.harvested_fraction(&comp) - 0.04).abs() < 1e-12);
    }

    #[test]
    fn bad_levers_are_named() {
        let l = Levers {
            extension: Some(Shift { years: 0.0, share: 1.5 }),
            harvest: vec![(AssetKind::Dimm, 0.5), (AssetKind::Dimm, -0.1)],
            composition: Some(vec![(AssetKind::Gpu, 0.7), (AssetKind::Psu, 0.6)]),
            efficiency: Some(Efficiency { yearly: 2.0, from_year: 2026 }),
            ..Levers::default()
        };
        let fields: Vec<String> = l.check("levers.").into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "levers.extension.years",
                "levers.extension.share",
                "levers.harvest[1].share",
                "levers.harvest[1].kind",
                "levers.composition",
                "levers.efficiency_gain"
            ]
        );
    }
}
