use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "hardware_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub manufacturer: String,
    pub model_number: String,
    pub model_key: String,
    pub kind: String,
    pub release_year: Option<i32>,
    pub form_factor: String,
    pub mass_kg: Option<f64>,
    pub embodied_kgco2e: Option<f64>,
    pub embodied_source: String,
    pub idle_w: Option<f64>,
    pub max_w: Option<f64>,
    pub cpu_cores: Option<i32>,
    pub memory_gb: Option<f64>,
    pub gpu_vram_gb: Option<f64>,
    pub storage_tb: Option<f64>,
    pub perf_value: Option<f64>,
    pub perf_unit: String,
    pub material_profile: String,
    pub unu_key: String,
    pub support_ends_on: Option<Date>,
    pub specs: Json,
    /// The bill of materials: `catalog::BomLine`s as a JSON array.
    pub bom: Json,
    pub notes: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
