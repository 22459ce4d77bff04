use sea_orm::entity::prelude::*;

/// One counter of the fleet, kept by triggers (see the `create_fleet_counts` migration).
/// A missing site or model is keyed by the nil UUID.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fleet_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub state: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub site_key: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub model_key: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub top_level: bool,
    pub items: i64,
    pub mass_overridden: i64,
    pub override_g: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
