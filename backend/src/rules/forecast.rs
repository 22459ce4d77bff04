//! The forecast's vocabulary: which items a fleet forecast follows, what counts as the end
//! of an item's life for a lifespan fit, the lifespan kernels a forecast may use, and the
//! scenario columns of the demand-driven model.
//!
//! Invariants (pure; `forecast` applies them):
//! - An item is forecast while it is in use ([`Stage::InUse`]: in stock, deployed, in
//!   repair, redeployed); once retired and until it leaves the building it is waste
//!   awaiting disposal ([`Stage::AwaitingDisposal`]), counted apart and never forecast
//!   again; shipped, recovered, sold or lost items are gone.
//! - A lifespan ends when an item is moved to one of [`END_OF_LIFE`] and never comes back
//!   into use: the fit counts an item as an event only while its state is past use.

use super::state::State;

text_enum! {
    /// Which lifespan kernel a fleet forecast uses.
    pub enum KernelChoice {
        Auto = "auto" / "Fitted from the registry where it has enough history, else the shipped default",
        Default = "default" / "The shipped default of each item's UNU key",
        Weibull = "weibull" / "A Weibull kernel you give (shape and scale)",
        Genai = "genai" / "The generative-AI server kernel (quarterly, Wang et al. 2024)",
    }
}

text_enum! {
    /// Where the kernel of a forecast's items comes from.
    pub enum KernelSource {
        Fitted = "fitted" / "Fitted from the registry's ledger",
        Default = "default" / "Shipped default (UNU key)",
        Given = "given" / "Given with the request",
        Tabulated = "tabulated" / "Tabulated kernel",
    }
}

text_enum! {
    /// Users and model counts in the demand-driven model (Wang et al. 2024).
    pub enum DemandScenario {
        Aggressive = "aggressive" / "Aggressive growth of users and models (the paper's base)",
        Moderate = "moderate" / "Moderate growth",
        Conservative = "conservative" / "Conservative growth",
    }
}

text_enum! {
    /// The chip-supply columns of the demand-driven model.
    pub enum ChipSupply {
        Base = "base" / "Chips as they were released",
        Lag1Year = "lag_1_year" / "Chip supply one year behind",
        CatchUp = "catch_up" / "Chip supply catching up",
        ImmediateUpgrade = "immediate_upgrade" / "Immediate upgrade to the newest chips",
    }
}

text_enum! {
    /// The efficiency columns of the demand-driven model.
    pub enum EfficiencyPath {
        Base = "base" / "Utilisation as it was",
        Increase = "increase" / "Utilisation increasing",
    }
}

text_enum! {
    /// What a procurement series counts.
    pub enum PomUnit {
        MassT = "mass_t" / "Mass placed on the market (tonnes)",
        Units = "units" / "Units placed on the market",
    }
}

/// Where an item stands for the forecast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// In stock or in use: it will become waste some day, and the forecast says when.
    InUse,
    /// Retired and still here (sanitized, dismantled donors, the recycling bin): waste
    /// already, awaiting a recycling lot.
    AwaitingDisposal,
    /// Shipped, recovered, sold or lost: no longer the organisation's to forecast.
    Gone,
}

/// The moves that end an item's life in the organisation (the fit's events).
pub const END_OF_LIFE: &[State] = &[State::Retired, State::TransferredOut, State::Lost];

impl State {
    /// Where an item in this state stands for the forecast.
    pub fn stage(self) -> Stage {
        use State::*;
        match self {
            InStock | Deployed | InRepair | Redeployed => Stage::InUse,
            Retired | Sanitized | Dismantled => Stage::AwaitingDisposal,
            InRecycling | Recovered | TransferredOut | Lost => Stage::Gone,
        }
    }

    /// Whether an item in this state has ended its life (a lifespan fit's event).
    pub fn life_ended(self) -> bool {
        self.stage() != Stage::InUse
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_stage_and_use_is_what_can_be_retired() {
        for s in State::ALL {
            // Anything in use can still be retired; nothing past use can be deployed.
            assert_eq!(s.stage() == Stage::InUse, s.next_states().contains(&State::Retired), "{s}");
            assert_eq!(s.life_ended(), s.stage() != Stage::InUse);
        }
        for s in END_OF_LIFE {
            assert!(s.life_ended());
        }
    }
}
