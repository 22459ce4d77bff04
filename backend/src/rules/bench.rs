//! The refurbisher's bench: what a repair is about and how it ends, how a harvested part
//! tested, where it goes, and which states each of those allows.
//!
//! Invariants (pure; the `repairs` and `harvest` services apply them):
//! - A repair opens only on an item in stock or in service, one at a time per item, and
//!   closing returns the item to the state it had before (or retires it when it cannot be
//!   repaired).
//! - A dismantle job opens only on a retired or sanitized item.
//! - A part that failed its test, and a data-bearing part that is not sanitized, can only
//!   go to the recycling bin (destruction): never back into use.

use super::kind::AssetKind;
use super::state::State;

text_enum! {
    /// Why an item came to the bench (a closed list, so failure statistics add up).
    pub enum FaultCategory {
        NoPost = "no_post" / "No POST",
        MemoryErrors = "memory_errors" / "Memory errors",
        DriveFailure = "drive_failure" / "Drive failure",
        PsuFailure = "psu_failure" / "PSU failure",
        Overheating = "overheating" / "Overheating",
        GpuFault = "gpu_fault" / "GPU fault",
        NicFault = "nic_fault" / "NIC fault",
        Firmware = "firmware" / "Firmware",
        PhysicalDamage = "physical_damage" / "Physical damage",
        Other = "other" / "Other",
    }
}

text_enum! {
    /// How a repair ended.
    pub enum RepairOutcome {
        Repaired = "repaired" / "Repaired",
        NoFaultFound = "no_fault_found" / "No fault found",
        NotRepairable = "not_repairable" / "Not repairable",
    }
}

text_enum! {
    /// Whether a repair order or a dismantle job is still being worked on.
    pub enum WorkStatus {
        Open = "open" / "Open",
        Closed = "closed" / "Closed",
    }
}

text_enum! {
    /// A part's functional test at the bench.
    pub enum TestResult {
        Passed = "passed" / "Passed",
        Failed = "failed" / "Failed",
        Untested = "untested" / "Untested",
    }
}

text_enum! {
    /// Where a harvested or removed part goes.
    pub enum Destination {
        SparePool = "spare_pool" / "Spare pool",
        Resale = "resale" / "Resale or donation",
        RecyclingBin = "recycling_bin" / "Recycling bin",
    }
}

text_enum! {
    /// How a part came to wait in a pool.
    pub enum PartOrigin {
        Harvest = "harvest" / "Harvested in a dismantle job",
        RepairRemoval = "repair_removal" / "Removed in a repair",
        Suggestion = "suggestion" / "Put there by an accepted next-life suggestion",
    }
}

text_enum! {
    /// What a repair did with a part.
    pub enum PartAction {
        Removed = "removed" / "Removed",
        Installed = "installed" / "Installed",
    }
}

text_enum! {
    /// Why a dismantle job expects a part.
    pub enum LineSource {
        Tree = "tree" / "Registered in the item",
        Bom = "bom" / "Expected by the model's bill of materials",
        Found = "found" / "Found at the bench",
    }
}

impl State {
    /// Whether a repair may be opened on an item in this state.
    pub fn can_open_repair(self) -> bool {
        matches!(self, State::InStock | State::Deployed | State::Redeployed)
    }

    /// Whether a dismantle job may be opened on an item in this state.
    pub fn can_dismantle(self) -> bool {
        matches!(self, State::Retired | State::Sanitized)
    }
}

impl RepairOutcome {
    /// The state a repaired item returns to: the one it had before the repair, or retired.
    pub fn closing_state(self, before: State) -> State {
        match self {
            RepairOutcome::Repaired | RepairOutcome::NoFaultFound => before,
            RepairOutcome::NotRepairable => State::Retired,
        }
    }
}

impl Destination {
    /// The state a `kind` part takes on in this destination, from `current`: the spare pool
    /// holds parts in stock; resale stock holds them in stock too, except data-bearing parts,
    /// which stay `sanitized` (the state they may leave the organisation from); the
    /// recycling bin keeps a retired, sanitized or dismantled part as it is and retires
    /// anything else.
    pub fn state_for(self, kind: AssetKind, current: State) -> State {
        match self {
            Destination::SparePool => State::InStock,
            Destination::Resale if kind.is_data_bearing() && current == State::Sanitized => State::Sanitized,
            Destination::Resale => State::InStock,
            Destination::RecyclingBin if self.holds(current) => current,
            Destination::RecyclingBin => State::Retired,
        }
    }

    /// Whether a part in `state` is still waiting in this destination (a part that leaves
    /// these states, or is installed anywhere, has left the pool).
    pub fn holds(self, state: State) -> bool {
        match self {
            Destination::SparePool => state == State::InStock,
            Destination::Resale => matches!(state, State::InStock | State::Sanitized),
            Destination::RecyclingBin => matches!(state, State::Retired | State::Sanitized | State::Dismantled),
        }
    }

    /// Why a part may not go here, or `None`. `sanitized`: the part's sanitization record
    /// allows this destination (reuse for the spare pool, a transfer out for resale), which
    /// a data-bearing part needs.
    pub fn refusal(self, kind: AssetKind, test: TestResult, sanitized: bool) -> Option<String> {
        if self == Destination::RecyclingBin {
            return None;
        }
        if test == TestResult::Failed {
            return Some(format!(
                "a part that failed its test goes to the recycling bin, not to the {}",
                self.label().to_lowercase()
            ));
        }
        if kind.is_data_bearing() && !sanitized {
            return Some(format!(
                "a {} must be sanitized before reuse; sanitize it first, or route it to the recycling bin for destruction",
                kind.label().to_lowercase()
            ));
        }
        None
    }
}

/// What a bill of materials expects beyond the parts registered in a tree: for each BOM
/// line `(kind, model, count)`, the parts of that kind (and model, when the line names one)
/// that the tree lacks. Lines naming a model are matched first, so a line without a model
/// counts only the parts left over. `M` is whatever identifies a model.
pub fn bom_gaps<M: PartialEq + Copy>(
    bom: &[(AssetKind, Option<M>, u32)],
    tree: &[(AssetKind, Option<M>)],
) -> Vec<(AssetKind, Option<M>)> {
    let mut unused: Vec<bool> = vec![true; tree.len()];
    let mut gaps = Vec::new();
    let specific = bom.iter().filter(|l| l.1.is_some());
    let generic = bom.iter().filter(|l| l.1.is_none());
    for (kind, model, count) in specific.chain(generic) {
        let mut need = *count;
        for (i, (k, m)) in tree.iter().enumerate() {
            if need == 0 {
                break;
            }
            if unused[i] && k == kind && (model.is_none() || m == model) {
                unused[i] = false;
                need -= 1;
            }
        }
        gaps.extend(std::iter::repeat_n((*kind, *model), need as usize));
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_gaps_count_what_the_tree_lacks() {
        use AssetKind::*;
        let bom = [(Dimm, Some(1), 4), (Psu, None, 2), (Dimm, None, 2)];
        // Three model-1 DIMMs, one other DIMM, one PSU registered.
        let tree = [(Dimm, Some(1)), (Dimm, Some(1)), (Dimm, Some(2)), (Dimm, Some(1)), (Psu, Some(9))];
        let gaps = bom_gaps(&bom, &tree);
        // One model-1 DIMM missing; one generic DIMM missing (model 2 fills one of two);
        // one PSU missing.
        assert_eq!(gaps, vec![(Dimm, Some(1)), (Psu, None), (Dimm, None)]);
        assert!(bom_gaps::<u8>(&[], &[(Cpu, None)]).is_empty());
    }

    #[test]
    fn repairs_open_on_items_in_stock_or_service_and_close_where_they_were() {
        assert!(State::Deployed.can_open_repair() && State::Redeployed.can_open_repair());
        assert!(State::InStock.can_open_repair());
        assert!(!State::InRepair.can_open_repair() && !State::Retired.can_open_repair());
        assert_eq!(RepairOutcome::Repaired.closing_state(State::Redeployed), State::Redeployed);
        assert_eq!(RepairOutcome::NoFaultFound.closing_state(State::Deployed), State::Deployed);
        assert_eq!(RepairOutcome::NotRepairable.closing_state(State::Deployed), State::Retired);
        // Every closing state is a legal move out of in_repair.
        for o in RepairOutcome::ALL {
            for s in State::ALL.iter().filter(|s| s.can_open_repair()) {
                assert!(State::InRepair.next_states().contains(&o.closing_state(*s)), "{o} from {s}");
            }
        }
    }

    #[test]
    fn failed_and_unsanitized_data_parts_only_go_to_recycling() {
        use AssetKind::*;
        assert!(Destination::SparePool.refusal(Dimm, TestResult::Passed, false).is_none());
        assert!(Destination::SparePool.refusal(Dimm, TestResult::Untested, false).is_none());
        assert!(Destination::SparePool.refusal(Dimm, TestResult::Failed, false).is_some());
        let msg = Destination::Resale.refusal(Ssd, TestResult::Passed, false).unwrap_or_default();
        assert!(msg.contains("sanitized"), "{msg}");
        assert!(Destination::SparePool.refusal(Nvme, TestResult::Passed, true).is_none());
        assert!(Destination::RecyclingBin.refusal(Hdd, TestResult::Failed, false).is_none());
    }

    #[test]
    fn destinations_name_a_reachable_state() {
        use AssetKind::*;
        assert_eq!(Destination::SparePool.state_for(Dimm, State::Retired), State::InStock);
        assert_eq!(Destination::SparePool.state_for(Ssd, State::Sanitized), State::InStock);
        assert_eq!(Destination::Resale.state_for(Ssd, State::Sanitized), State::Sanitized, "sold from sanitized");
        assert_eq!(Destination::Resale.state_for(Nic, State::Retired), State::InStock);
        assert_eq!(Destination::RecyclingBin.state_for(Dimm, State::Retired), State::Retired);
        assert_eq!(Destination::RecyclingBin.state_for(Dimm, State::InRepair), State::Retired);
        assert_eq!(Destination::RecyclingBin.state_for(Hdd, State::Sanitized), State::Sanitized);
        // Every destination state is reachable from where harvested and removed parts are.
        for d in Destination::ALL {
            for k in AssetKind::ALL {
                for from in [State::Retired, State::Sanitized, State::InRepair] {
                    let to = d.state_for(*k, from);
                    let sanitized = from == State::Sanitized;
                    if to != from && d.refusal(*k, TestResult::Passed, sanitized).is_none() {
                        assert!(from.allowed_next(*k).contains(&to), "{d} {k} {from} → {to}");
                    }
                }
            }
        }
        assert!(Destination::SparePool.holds(State::InStock) && !Destination::SparePool.holds(State::Deployed));
        assert!(Destination::RecyclingBin.holds(State::Dismantled));
    }
}
