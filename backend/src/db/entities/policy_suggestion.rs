use sea_orm::entity::prelude::*;

/// A due item's top suggestion in one run (derived figures: rows of older runs are deleted).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_suggestions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub asset_id: Uuid,
    pub asset_version: i32,
    pub asset_tag: String,
    pub kind: String,
    pub state: String,
    pub site_id: Option<Uuid>,
    pub model_id: Option<Uuid>,
    pub age_years: Option<f64>,
    pub failures: i32,
    pub support_ends_on: Option<Date>,
    /// Space-separated `DueReason`s.
    pub due_reasons: String,
    pub disposition: Option<String>,
    pub tier: Option<String>,
    pub target_site_id: Option<Uuid>,
    pub score: Option<f64>,
    pub extra_life_years: Option<f64>,
    pub deferred_kg: Option<f64>,
    pub avoided_kgco2e: Option<f64>,
    pub payback_years: Option<f64>,
    /// The ids of the rules that fired for the top suggestion, space-separated.
    pub rules: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
