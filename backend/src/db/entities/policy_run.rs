use sea_orm::entity::prelude::*;

/// One evaluation of the whole fleet with one policy version.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub policy_number: i32,
    pub started_at: DateTimeUtc,
    /// Set when every row of the run is written; pages read finished runs only.
    pub finished_at: Option<DateTimeUtc>,
    pub evaluated: i64,
    pub due: i64,
    /// `policy::FleetTotals` as JSON.
    pub totals: Json,
    /// What started it: "policy_saved", "requested", "schedule", "cli", "demo".
    pub trigger: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
