//! What the forecast takes and returns: requests with every parameter named, and answers
//! that carry their method, kernels, parameters and sources beside the figures. Masses are
//! in tonnes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::SiteId;
use crate::rules::{AssetKind, ChipSupply, DemandScenario, EfficiencyPath, KernelChoice, KernelSource, PomUnit};

/// A share for one component kind.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindShare {
    pub kind: AssetKind,
    /// From 0 to 1.
    pub share: f64,
}

/// A longer life for a share of the items.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftInput {
    /// Years added (more than 0, at most 20).
    pub years: f64,
    /// Share of the items (more than 0, at most 1).
    pub share: f64,
}

/// Circular levers of a scenario; none is the baseline.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeversInput {
    /// A share of items used longer.
    #[serde(default)]
    pub extension: Option<ShiftInput>,
    /// A share of the items leaving use gets a second life of so many years.
    #[serde(default)]
    pub redeployment: Option<ShiftInput>,
    /// Share of each component kind's mass harvested for reuse instead of becoming waste.
    #[serde(default)]
    pub harvest: Vec<KindShare>,
    /// Mass share of each component kind in an item (procurement and demand forecasts;
    /// default: the registry's fleet in use).
    #[serde(default)]
    pub composition: Option<Vec<KindShare>>,
    /// Yearly efficiency gain of new hardware (0.1 = 10 % more work per unit each year;
    /// procurement and demand forecasts).
    #[serde(default)]
    pub efficiency_gain: Option<f64>,
    /// The year after which efficiency gains apply (default: this year).
    #[serde(default)]
    pub efficiency_from: Option<i32>,
}

/// A fleet forecast's parameters (all optional: `GET /forecast/fleet` forecasts the
/// registry's fleet under the defaults).
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FleetQuery {
    /// Years forecast, this year first (1 to 50; default 15).
    #[serde(default)]
    pub horizon: Option<u16>,
    /// Which lifespan kernel (default `auto`).
    #[serde(default)]
    pub kernel: Option<KernelChoice>,
    /// Weibull shape, with `kernel=weibull`.
    #[serde(default)]
    pub shape: Option<f64>,
    /// Weibull scale in years, with `kernel=weibull`.
    #[serde(default)]
    pub scale: Option<f64>,
    /// Only top-level items at this site.
    #[serde(default)]
    pub site: Option<SiteId>,
    /// Only top-level items of this kind.
    #[serde(default)]
    pub kind: Option<AssetKind>,
    /// Lifetime extension: years added, for `extend_share` of the items.
    #[serde(default)]
    pub extend_years: Option<f64>,
    #[serde(default)]
    pub extend_share: Option<f64>,
    /// Redeployment: a second life of `redeploy_years` for `redeploy_share` of the items.
    #[serde(default)]
    pub redeploy_years: Option<f64>,
    #[serde(default)]
    pub redeploy_share: Option<f64>,
    /// Harvest and reuse: `kind=share` pairs, comma-separated (`dimm=0.5,ssd=0.3`).
    #[serde(default)]
    pub harvest: Option<String>,
}

/// A figure with its 5th and 95th percentiles and its standard deviation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct BandView {
    pub mean: f64,
    pub sd: f64,
    pub p5: f64,
    pub p95: f64,
}

/// Tonnes of each material (only materials with a factor), in the recycling vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct MaterialTonnes {
    pub material: crate::rules::Material,
    pub tonnes: f64,
}

/// One lever scenario's figures for a year.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct FleetFigures {
    pub items: BandView,
    pub mass_t: BandView,
    pub materials_t: Vec<MaterialTonnes>,
}

/// One year of a fleet forecast.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct FleetYear {
    pub year: i32,
    /// The baseline (no levers).
    pub baseline: FleetFigures,
    /// With the levers, when there are any.
    pub scenario: Option<FleetFigures>,
}

/// One kind's figures per year (baseline).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct KindYear {
    pub year: i32,
    pub items: BandView,
    pub mass_t: BandView,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct KindForecast {
    pub kind: AssetKind,
    /// Items of the kind in use now, and their mass with their parts.
    pub items: u64,
    pub mass_t: f64,
    pub years: Vec<KindYear>,
}

/// A fitted Weibull law with its uncertainty.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct FitView {
    pub shape: f64,
    pub scale: f64,
    pub shape_se: f64,
    pub scale_se: f64,
    /// 95 % intervals (log scale).
    pub shape_ci: [f64; 2],
    pub scale_ci: [f64; 2],
    /// Ended lives and items still in use (right-censored).
    pub events: usize,
    pub censored: usize,
    pub log_likelihood: f64,
}

/// A kernel used by a forecast, and what it applies to.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct KernelView {
    pub source: KernelSource,
    /// What it applies to: a kind (`server`) or a UNU key's items (`UNU 0307`), or `all`.
    pub applies_to: String,
    /// Items it was used for.
    pub items: u64,
    /// "Weibull shape α = 1.46, scale β = 7.78 years" or the tabulated kernel.
    pub description: String,
    pub shape: Option<f64>,
    pub scale: Option<f64>,
    pub mean_years: f64,
    /// The fit, for a fitted kernel.
    pub fit: Option<FitView>,
    /// Why a default was used instead of a fit, or where the default comes from.
    pub note: String,
}

/// What the fleet forecast covers.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct FleetScope {
    /// Top-level items in use, and their mass with their parts.
    pub items: u64,
    pub mass_t: f64,
    /// Items and parts without a known mass (counted in items, not in mass).
    pub unknown_mass: u64,
    /// Mass without a material profile (in the mass, not in the materials).
    pub unprofiled_t: f64,
    /// Items whose model names no UNU key the shipped table knows (0307 used).
    pub unu_fallbacks: u64,
    /// Items whose kernel says they should have left use already (they leave this year).
    pub overdue: u64,
    /// Retired items still here (waste already, awaiting a recycling lot): not forecast.
    pub awaiting_disposal_items: u64,
    pub awaiting_disposal_t: f64,
    pub site: Option<SiteId>,
    pub kind: Option<AssetKind>,
}

/// Sums over the horizon, baseline against scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Reduction {
    pub baseline_t: f64,
    pub scenario_t: f64,
    /// Baseline − scenario, and as a share of the baseline (percent).
    pub reduction_t: f64,
    pub reduction_pct: f64,
    /// Of the reduction, what is only deferred past the horizon (fleet), or harvested for
    /// reuse instead of becoming waste.
    pub deferred_beyond_t: f64,
    pub harvested_t: f64,
}

/// A fleet forecast with everything it rests on.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct FleetForecast {
    pub method: String,
    pub as_of: chrono::NaiveDate,
    pub first_year: i32,
    pub horizon: u16,
    pub scope: FleetScope,
    pub kernels: Vec<KernelView>,
    /// How the p5/p95 bands were computed.
    pub bands: String,
    /// The levers, one sentence each (empty: baseline only).
    pub levers: Vec<String>,
    pub years: Vec<FleetYear>,
    pub by_kind: Vec<KindForecast>,
    /// Expected items and tonnes leaving use after the horizon (baseline, then scenario).
    pub beyond_items: f64,
    pub beyond_t: f64,
    pub beyond_scenario_t: Option<f64>,
    pub reduction: Option<Reduction>,
    pub sources: Vec<String>,
}

/// A lifespan kernel given with a procurement forecast.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KernelInput {
    /// A UNU key of the shipped table (`0307`); the default when nothing else is given.
    #[serde(default)]
    pub unu_key: Option<String>,
    /// A Weibull law of your own (both needed).
    #[serde(default)]
    pub shape: Option<f64>,
    #[serde(default)]
    pub scale: Option<f64>,
    /// `genai`: the shipped quarterly generative-AI server kernel.
    #[serde(default)]
    pub tabulated: Option<String>,
}

/// One year placed on the market.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacedInput {
    pub year: i32,
    /// Tonnes or units (see `unit`).
    pub value: f64,
}

/// A procurement (sales–stock–lifespan) forecast's inputs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcurementRequest {
    /// Placed on the market per year; or give `csv`.
    #[serde(default)]
    pub placed: Vec<PlacedInput>,
    /// The same as CSV: `year,mass_t` or `year,units`.
    #[serde(default)]
    pub csv: Option<String>,
    /// What `placed` counts (default `mass_t`; a CSV's header says it).
    #[serde(default)]
    pub unit: Option<PomUnit>,
    #[serde(default)]
    pub kernel: KernelInput,
    /// Last year forecast (default: the last year placed + 15).
    #[serde(default)]
    pub until: Option<i32>,
    #[serde(default)]
    pub levers: LeversInput,
}

/// One year of a procurement forecast (tonnes or units).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ProcurementYear {
    pub year: i32,
    pub placed: f64,
    pub waste: f64,
    pub stock: f64,
    pub scenario_placed: Option<f64>,
    pub scenario_waste: Option<f64>,
    pub scenario_harvested: Option<f64>,
    pub scenario_stock: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ProcurementForecast {
    pub method: String,
    pub unit: PomUnit,
    pub kernel: KernelView,
    pub levers: Vec<String>,
    /// The composition the harvest lever used, and where it comes from.
    pub composition: Vec<KindShareView>,
    pub composition_source: Option<String>,
    pub years: Vec<ProcurementYear>,
    pub reduction: Option<Reduction>,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct KindShareView {
    pub kind: AssetKind,
    pub share: f64,
}

/// A demand-driven forecast's inputs (Wang et al. 2024).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandRequest {
    /// Users and model counts (default `aggressive`, the paper's base).
    #[serde(default)]
    pub scenario: Option<DemandScenario>,
    #[serde(default)]
    pub chip_supply: Option<ChipSupply>,
    #[serde(default)]
    pub efficiency: Option<EfficiencyPath>,
    /// Quarters added to every server's life (0 to 40).
    #[serde(default)]
    pub lifespan_extension_quarters: Option<u32>,
    /// Mass of one server (default 130 kg, DGX-class).
    #[serde(default)]
    pub server_mass_kg: Option<f64>,
    /// Your own demand curve, as CSV in the shipped table's columns (those the scenario
    /// reads: quarter, nt_para_billion, nt_traindata_billion_tokens, sparsity, ni_user_…,
    /// n_model_…, and the chip and efficiency columns chosen).
    #[serde(default)]
    pub demand_csv: Option<String>,
    #[serde(default)]
    pub levers: LeversInput,
}

/// One year of the demand model.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct DemandYear {
    pub year: i32,
    pub installed: f64,
    pub retired: f64,
    /// Servers becoming waste, and their mass.
    pub waste_servers: f64,
    pub waste_t: f64,
    pub scenario_waste_servers: Option<f64>,
    pub scenario_waste_t: Option<f64>,
    pub scenario_harvested_t: Option<f64>,
}

/// One quarter of the demand model (baseline).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct DemandQuarter {
    pub quarter: String,
    pub installed_training: f64,
    pub installed_inference: f64,
    pub retired_training: f64,
    pub retired_inference: f64,
    pub waste_t: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct DemandForecast {
    pub method: String,
    pub scenario: DemandScenario,
    pub chip_supply: ChipSupply,
    pub efficiency: EfficiencyPath,
    pub lifespan_extension_quarters: u32,
    pub server_mass_kg: f64,
    pub server_mass_source: String,
    /// `shipped` or `custom`.
    pub demand_curve: String,
    /// The columns read.
    pub columns: Vec<String>,
    pub kernel: KernelView,
    pub levers: Vec<String>,
    pub composition: Vec<KindShareView>,
    pub composition_source: Option<String>,
    pub years: Vec<DemandYear>,
    pub quarters: Vec<DemandQuarter>,
    /// Over the whole table: waste in tonnes, baseline against scenario.
    pub cumulative_t: f64,
    pub reduction: Option<Reduction>,
    pub sources: Vec<String>,
}

/// Each kind's lifespan as the registry's history tells it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Lifespans {
    pub as_of: chrono::NaiveDate,
    pub method: String,
    pub kinds: Vec<KindLifespan>,
    /// The shipped defaults by UNU key.
    pub defaults: Vec<UnuDefault>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct KindLifespan {
    pub kind: AssetKind,
    pub ended: usize,
    pub in_use: usize,
    pub fit: Option<FitView>,
    /// Why there is no fit.
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct UnuDefault {
    pub unu_key: String,
    pub product: String,
    pub shape: f64,
    pub scale: f64,
    pub mean_years: f64,
    pub source: String,
}
