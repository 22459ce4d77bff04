//! The policy engine's vocabulary: what may become of an item next, why an item is due
//! for a decision, and which spare parts a repair's fault calls for.
//!
//! Invariants (pure; `policy::engine` applies them):
//! - Every suggestion is one of [`Disposition`]; a redeployment also names its
//!   second-life [`WorkloadTier`](super::WorkloadTier).
//! - Which states a disposition can start from is decided here ([`Disposition::starts_from`]),
//!   so the engine never suggests what the transition table cannot do.

use super::bench::FaultCategory;
use super::kind::AssetKind;
use super::state::State;

text_enum! {
    /// The next life of an item, as the policy engine suggests it.
    pub enum Disposition {
        KeepInPlace = "keep_in_place" / "Keep in place",
        Redeploy = "redeploy" / "Redeploy to a second-life tier",
        PartsDonor = "parts_donor" / "Parts donor",
        Resale = "resale" / "Resale or donation",
        Recycle = "recycle" / "Recycle",
    }
}

text_enum! {
    /// Why an item is on the fleet page's list of items due for a decision.
    pub enum DueReason {
        Age = "age" / "Past the policy's age",
        Failures = "failures" / "Repeated failures",
        SupportEnding = "support_ending" / "Updates ending",
        Retired = "retired" / "Retired, next life not chosen",
    }
}

impl Disposition {
    /// Whether an item in `state` can take this next life (through the transition table:
    /// keeping in place needs an item in stock, in service or in repair; the others any item that is
    /// not yet dismantled, shipped or gone).
    pub fn starts_from(self, state: State) -> bool {
        use State::*;
        match self {
            Disposition::KeepInPlace => matches!(state, InStock | Deployed | Redeployed | InRepair),
            Disposition::Redeploy | Disposition::Resale | Disposition::PartsDonor => {
                matches!(state, InStock | Deployed | Redeployed | InRepair | Retired | Sanitized)
            }
            Disposition::Recycle => {
                matches!(state, InStock | Deployed | Redeployed | InRepair | Retired | Sanitized | Dismantled)
            }
        }
    }

    /// Whether this disposition puts the item back to work (and so defers its waste).
    pub fn is_reuse(self) -> bool {
        !matches!(self, Disposition::Recycle)
    }
}

impl FaultCategory {
    /// The kind of spare part a repair for this fault usually needs, if one.
    pub fn part_kind(self) -> Option<AssetKind> {
        match self {
            FaultCategory::MemoryErrors => Some(AssetKind::Dimm),
            FaultCategory::DriveFailure => Some(AssetKind::Ssd),
            FaultCategory::PsuFailure => Some(AssetKind::Psu),
            FaultCategory::GpuFault => Some(AssetKind::Gpu),
            FaultCategory::NicFault => Some(AssetKind::Nic),
            FaultCategory::Overheating => Some(AssetKind::Fan),
            FaultCategory::NoPost | FaultCategory::Firmware | FaultCategory::PhysicalDamage | FaultCategory::Other => {
                None
            }
        }
    }
}

/// Reuse-or-replace payback (DOMAIN §7): the years a replacement's embodied carbon
/// `c_new_kg` takes to pay back through the energy it saves, `c_new / ((p_old − p_new_eq)
/// · 8760 · u · PUE · CI)`, with powers in W and `ci` in kgCO2e/kWh. `None` when the
/// replacement saves nothing (it never pays back).
pub fn payback_years(
    c_new_kg: f64,
    p_old_w: f64,
    p_new_eq_w: f64,
    utilisation: f64,
    pue: f64,
    ci_kg_per_kwh: f64,
) -> Option<f64> {
    payback_years_energy(
        c_new_kg,
        yearly_kwh(p_old_w, utilisation),
        yearly_kwh(p_new_eq_w, utilisation),
        pue,
        ci_kg_per_kwh,
    )
}

/// The same payback from yearly IT energy (kWh): `c_new / ((e_old − e_new_eq) · PUE · CI)`.
/// [`payback_years`] is this with `e = p · 8760 · u / 1000`.
pub fn payback_years_energy(
    c_new_kg: f64,
    e_old_kwh: f64,
    e_new_eq_kwh: f64,
    pue: f64,
    ci_kg_per_kwh: f64,
) -> Option<f64> {
    let saved_kg_per_year = (e_old_kwh - e_new_eq_kwh) * pue * ci_kg_per_kwh;
    (saved_kg_per_year > 0.0).then(|| c_new_kg / saved_kg_per_year)
}

/// A year's IT energy at `p_w` for a share `utilisation` of the year, kWh.
pub fn yearly_kwh(p_w: f64, utilisation: f64) -> f64 {
    p_w / 1000.0 * 8760.0 * utilisation
}

/// Operational emissions of a year's work: IT energy · PUE · CI, in kgCO2e.
pub fn operational_kg_per_year(e_kwh: f64, pue: f64, ci_kg_per_kwh: f64) -> f64 {
    e_kwh * pue * ci_kg_per_kwh
}

/// The GPU memory a model of `params_b` billion parameters needs at `bits` per weight,
/// with `overhead` for activations and cache (e.g. 1.2): `params_b · bits / 8 · overhead` GB.
pub fn model_footprint_gb(params_b: f64, bits: u32, overhead: f64) -> f64 {
    params_b * f64::from(bits) / 8.0 * overhead
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DOMAIN.md §7's worked example: old 400 W, new does the same work at 200 W, PUE 1.2,
    /// C_new 1,300 kg, utilisation 1: 2.5 years at 0.25 kg/kWh, 12 at 0.05, 31 at 0.02.
    #[test]
    fn payback_matches_the_worked_example() {
        // Hand computation: saved per year = 0.2 kW · 8760 h · 1.2 · CI.
        for (ci, expected, hand) in [
            // (grid kgCO2e/kWh, the example's rounded figure, the formula by hand)
            (0.25, 2.5, 1300.0 / (0.2 * 8760.0 * 1.2 * 0.25)),
            (0.05, 12.0, 1300.0 / (0.2 * 8760.0 * 1.2 * 0.05)),
            (0.02, 31.0, 1300.0 / (0.2 * 8760.0 * 1.2 * 0.02)),
        ] {
            let got = payback_years(1300.0, 400.0, 200.0, 1.0, 1.2, ci).unwrap();
            assert!((got - hand).abs() < 1e-9, "{ci}: {got} vs {hand}");
            let expected: f64 = expected;
            assert!((got - expected).abs() <= 0.05 * expected, "{ci}: {got} is not the example's {expected}");
        }
        assert_eq!(payback_years(1300.0, 200.0, 200.0, 1.0, 1.2, 0.25), None);
        assert_eq!(payback_years(1300.0, 150.0, 200.0, 1.0, 1.2, 0.25), None);
        // From yearly energy: 1,752 kWh saved a year (0.2 kW · 8760 h) is the same payback.
        let e = payback_years_energy(1300.0, 3504.0, 1752.0, 1.2, 0.25).unwrap();
        assert!((e - 1300.0 / (1752.0 * 1.2 * 0.25)).abs() < 1e-9);
    }

    #[test]
    fn footprint_of_an_8b_model_at_4_bits() {
        assert!((model_footprint_gb(8.0, 4, 1.2) - 4.8).abs() < 1e-12);
    }

    #[test]
    fn dispositions_start_only_where_the_table_allows() {
        for d in Disposition::ALL {
            for s in State::ALL {
                if s.is_terminal() {
                    assert!(!d.starts_from(*s), "{d} from terminal {s}");
                }
            }
        }
        assert!(!Disposition::KeepInPlace.starts_from(State::Retired));
        assert!(Disposition::KeepInPlace.starts_from(State::InStock));
        assert!(Disposition::Recycle.starts_from(State::Dismantled));
    }
}
