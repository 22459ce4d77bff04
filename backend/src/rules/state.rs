//! The lifecycle state machine: the one table of allowed transitions.
//!
//! The README's transition table is generated from [`TRANSITIONS`] by a unit test that
//! compares them, so the two cannot drift apart.

use super::kind::AssetKind;
text_enum! {
    /// Where an item is in its life.
    pub enum State {
        InStock = "in_stock" / "In stock",
        Deployed = "deployed" / "Deployed",
        InRepair = "in_repair" / "In repair",
        Redeployed = "redeployed" / "Redeployed (second life)",
        Retired = "retired" / "Retired",
        Sanitized = "sanitized" / "Sanitized",
        Dismantled = "dismantled" / "Dismantled",
        InRecycling = "in_recycling" / "In recycling",
        Recovered = "recovered" / "Materials recovered",
        TransferredOut = "transferred_out" / "Transferred out (sold/donated)",
        Lost = "lost" / "Lost or stolen",
    }
}

use State::*;

/// Allowed next states, by current state. Terminal states have none.
pub const TRANSITIONS: &[(State, &[State])] = &[
    (InStock, &[Deployed, Redeployed, InRepair, Retired, TransferredOut, Lost]),
    (Deployed, &[InStock, InRepair, Redeployed, Retired, Lost]),
    (InRepair, &[InStock, Deployed, Redeployed, Retired, Lost]),
    (Redeployed, &[InStock, InRepair, Retired, Lost]),
    (Retired, &[InStock, Sanitized, Dismantled, InRecycling, TransferredOut, Lost]),
    (Sanitized, &[InStock, Dismantled, InRecycling, TransferredOut, Lost]),
    (Dismantled, &[InRecycling, Lost]),
    (InRecycling, &[Recovered, Lost]),
    (Recovered, &[]),
    (TransferredOut, &[]),
    (Lost, &[]),
];

/// How a transition of a parent carries over to the items installed in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cascade {
    /// Operational states: installed items that were in the parent's previous state follow.
    Follow,
    /// The item physically leaves (sold, lost, shipped to recycling, recovered): everything
    /// installed in it goes too, and must be allowed to.
    WholeTree,
    /// Installed items are detached and become standalone items (dismantling).
    DetachChildren,
    /// Nothing carries over (sanitization is recorded per device).
    None,
}

impl State {
    /// States that accept no further transition.
    pub fn is_terminal(self) -> bool {
        self.next_states().is_empty()
    }

    /// All states reachable from this one, ignoring kind-specific rules.
    pub fn next_states(self) -> &'static [State] {
        TRANSITIONS.iter().find(|(from, _)| *from == self).map(|(_, to)| *to).unwrap_or(&[])
    }

    /// The states an item of `kind` may move to from this one. (Data-bearing devices take
    /// the same paths; what they need to be released, a sanitization record, is checked
    /// where the records are: `lifecycle::gate`.)
    pub fn allowed_next(self, _kind: AssetKind) -> Vec<State> {
        self.next_states().to_vec()
    }

    /// Why `self → to` is refused for `kind`, or `None` when it is allowed.
    pub fn refusal(self, kind: AssetKind, to: State) -> Option<String> {
        if self.allowed_next(kind).contains(&to) {
            return None;
        }
        let allowed = self.allowed_next(kind);
        let mut msg = if self.is_terminal() {
            format!("{} is a terminal state: it accepts no further transition", self.as_str())
        } else {
            format!("cannot go from {} to {}", self.as_str(), to.as_str())
        };
        if !allowed.is_empty() {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            msg.push_str(&format!("; allowed next states: {}", super::text_enum::one_of(&names)));
        }
        Some(msg)
    }

    /// Whether a move into this state cannot be undone: no path through [`TRANSITIONS`]
    /// leads from it back to stock (terminal states, and dismantled and in recycling,
    /// which lead only onwards to them). The UI asks for a reason and a confirmation.
    pub fn is_irreversible(self) -> bool {
        let mut seen = vec![self];
        let mut i = 0;
        while let Some(&s) = seen.get(i) {
            if s == InStock {
                return false;
            }
            for &n in s.next_states() {
                if !seen.contains(&n) {
                    seen.push(n);
                }
            }
            i += 1;
        }
        true
    }

    /// How a parent's move into this state carries over to its installed items.
    pub fn cascade(self) -> Cascade {
        match self {
            InStock | Deployed | InRepair | Redeployed | Retired => Cascade::Follow,
            TransferredOut | Lost | InRecycling | Recovered => Cascade::WholeTree,
            Dismantled => Cascade::DetachChildren,
            Sanitized => Cascade::None,
        }
    }

    /// States in which an item is in service (the parent's state a newly installed spare
    /// takes on).
    pub fn is_in_service(self) -> bool {
        matches!(self, Deployed | Redeployed | InRepair)
    }

    /// Whether an item in this state may receive parts, or be installed in another item.
    /// Items on their way out (dismantled, in recycling, gone) take no part in trees.
    pub fn accepts_parts(self) -> bool {
        !(self.is_terminal() || matches!(self, Dismantled | InRecycling))
    }

    /// States an item may be registered in (terminal and post-retirement states are
    /// reached through the ledger, never set at registration).
    pub fn registrable(self) -> bool {
        matches!(self, InStock | Deployed | InRepair | Redeployed | Retired)
    }
}

/// The transition table as Markdown (the README embeds it; a test keeps them equal).
pub fn transition_table_markdown() -> String {
    let mut out = String::from("| from | allowed next states |\n|---|---|\n");
    for (from, to) in TRANSITIONS {
        let to: Vec<String> = to.iter().map(|s| format!("`{}`", s.as_str())).collect();
        let to = if to.is_empty() { "— (terminal)".to_owned() } else { to.join(", ") };
        out.push_str(&format!("| `{}` | {} |\n", from.as_str(), to));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_row_and_terminals_are_terminal() {
        for s in State::ALL {
            assert!(TRANSITIONS.iter().any(|(f, _)| f == s), "{s} has no row");
        }
        assert!(Recovered.is_terminal() && TransferredOut.is_terminal() && Lost.is_terminal());
        assert!(!Retired.is_terminal());
    }

    #[test]
    fn irreversible_states_are_those_without_a_way_back_to_stock() {
        let irreversible: Vec<State> = State::ALL.iter().copied().filter(|s| s.is_irreversible()).collect();
        assert_eq!(irreversible, [Dismantled, InRecycling, Recovered, TransferredOut, Lost]);
        for s in State::ALL {
            assert!(!s.is_terminal() || s.is_irreversible(), "{s} is terminal, so irreversible");
        }
    }

    #[test]
    fn refusal_names_the_allowed_states() {
        let msg = Deployed.refusal(AssetKind::Server, Recovered).unwrap_or_default();
        assert!(msg.contains("in_stock, in_repair, redeployed, retired or lost"), "{msg}");
        assert!(Deployed.refusal(AssetKind::Server, Retired).is_none());
        let msg = Lost.refusal(AssetKind::Server, InStock).unwrap_or_default();
        assert!(msg.contains("terminal"), "{msg}");
    }

    #[test]
    fn readme_holds_the_same_table() {
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains(&transition_table_markdown()),
            "README.md's transition table differs from lifecycle::state::TRANSITIONS; paste:\n{}",
            transition_table_markdown()
        );
    }
}
