use sea_orm::entity::prelude::*;

/// A recycler's figures for one lot (rows are only ever inserted).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub lot_id: Uuid,
    pub certificate_id: String,
    pub certificate_date: Date,
    /// `recycling::Recovered` lines as a JSON array.
    pub materials: Json,
    pub energy_recovery_kg: f64,
    pub disposal_kg: f64,
    pub note: String,
    /// The estimate the report was set against, frozen when it was entered
    /// (`recycling::Expected` as JSON); none for reports entered before it was kept.
    pub expected: Option<Json>,
    pub entered_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
