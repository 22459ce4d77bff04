//! What a ledger entry records: the kinds of change an item's history is made of.

text_enum! {
    /// What a ledger entry records.
    pub enum EventKind {
        Registered = "registered" / "Registered",
        State = "state" / "State changed",
        Parent = "parent" / "Installed or removed",
        ChildAdded = "child_added" / "Part installed",
        ChildRemoved = "child_removed" / "Part removed",
        Site = "site" / "Moved to another site",
        Workload = "workload" / "Workload changed",
        Repair = "repair" / "Repair opened or closed",
        Harvest = "harvest" / "Harvested from a dismantled item",
    }
}
