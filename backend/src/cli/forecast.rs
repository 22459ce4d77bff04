//! `reloop forecast fleet|procurement|demand`: the forecasts on the terminal, as a table
//! (with the method, kernels, parameters and sources above it), CSV (the provenance on
//! standard error, so standard output stays a plain table) or JSON. Procurement and demand
//! forecasts open the database only when a harvest lever needs the registry's composition.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use crate::forecast::model::{
    DemandForecast, DemandRequest, FleetForecast, FleetQuery, KernelInput, KindShare, LeversInput, PlacedInput,
    ProcurementForecast, ProcurementRequest, ShiftInput,
};
use crate::forecast::{export, scenarios, service};
use crate::ids::SiteId;
use crate::rules::{AssetKind, ChipSupply, DemandScenario, EfficiencyPath, KernelChoice, PomUnit};
use crate::settings::Settings;

#[derive(Subcommand, Debug)]
pub enum ForecastCommand {
    /// The registry's items in use: when they become waste (no arguments: the defaults).
    Fleet(FleetArgs),
    /// Sales–stock–lifespan from what is placed on the market per year.
    Procurement(ProcurementArgs),
    /// Generative-AI servers driven by demand (Wang et al. 2024).
    Demand(DemandArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq)]
pub enum OutputFormat {
    #[default]
    Table,
    Csv,
    Json,
}

/// The circular levers.
#[derive(Args, Debug, Default, Clone)]
pub struct LeverArgs {
    /// Lifetime extension: years added…
    #[arg(long)]
    pub extend_years: Option<f64>,
    /// … for this share of the items (0–1, default 1).
    #[arg(long)]
    pub extend_share: Option<f64>,
    /// Redeployment: a second life of so many years…
    #[arg(long)]
    pub redeploy_years: Option<f64>,
    /// … for this share of the items leaving use (0–1, default 1).
    #[arg(long)]
    pub redeploy_share: Option<f64>,
    /// Harvest and reuse: KIND=SHARE of its mass (repeat, or comma-separated: dimm=0.5,ssd=0.3).
    #[arg(long)]
    pub harvest: Vec<String>,
    /// Mass share of each kind for the harvest (procurement, demand; default: the registry's fleet).
    #[arg(long)]
    pub composition: Vec<String>,
    /// Yearly efficiency gain of new hardware (procurement, demand).
    #[arg(long)]
    pub efficiency_gain: Option<f64>,
    /// The year after which efficiency gains apply (default: this year).
    #[arg(long)]
    pub efficiency_from: Option<i32>,
}

#[derive(Args, Debug)]
pub struct FleetArgs {
    /// Years forecast, this year first.
    #[arg(long)]
    pub horizon: Option<u16>,
    /// auto, default, weibull or genai.
    #[arg(long)]
    pub kernel: Option<String>,
    /// Weibull shape (with --kernel weibull).
    #[arg(long)]
    pub shape: Option<f64>,
    /// Weibull scale in years (with --kernel weibull).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Only items at this site (its id).
    #[arg(long)]
    pub site: Option<String>,
    /// Only top-level items of this kind.
    #[arg(long)]
    pub kind: Option<String>,
    #[command(flatten)]
    pub levers: LeverArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
pub struct ProcurementArgs {
    /// A CSV file with `year,mass_t` (or `year,units`).
    #[arg(long, value_name = "FILE")]
    pub pom: Option<PathBuf>,
    /// YEAR=VALUE placed on the market (repeat).
    #[arg(long)]
    pub placed: Vec<String>,
    /// mass_t or units, for --placed.
    #[arg(long)]
    pub unit: Option<String>,
    /// A UNU key of the shipped table (default 0307).
    #[arg(long)]
    pub unu_key: Option<String>,
    /// A Weibull kernel of your own: shape…
    #[arg(long)]
    pub shape: Option<f64>,
    /// … and scale in years.
    #[arg(long)]
    pub scale: Option<f64>,
    /// The generative-AI server kernel (quarterly) instead.
    #[arg(long)]
    pub genai_kernel: bool,
    /// Last year forecast (default: the last year placed + 15).
    #[arg(long)]
    pub until: Option<i32>,
    #[command(flatten)]
    pub levers: LeverArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
pub struct DemandArgs {
    /// aggressive (the paper's base), moderate or conservative.
    #[arg(long, default_value = "aggressive")]
    pub scenario: String,
    /// base, lag_1_year, catch_up or immediate_upgrade.
    #[arg(long, default_value = "base")]
    pub chip_supply: String,
    /// base or increase.
    #[arg(long, default_value = "base")]
    pub efficiency: String,
    /// Quarters added to every server's life.
    #[arg(long, default_value_t = 0)]
    pub lifespan_extension_quarters: u32,
    /// Mass of one server.
    #[arg(long)]
    pub server_mass_kg: Option<f64>,
    /// Your own demand curve: a CSV in the shipped table's columns.
    #[arg(long, value_name = "FILE")]
    pub demand: Option<PathBuf>,
    #[command(flatten)]
    pub levers: LeverArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

fn parse<T: std::str::FromStr<Err = String>>(flag: &str, v: &str) -> anyhow::Result<T> {
    v.parse::<T>().map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
}

fn shares(flag: &str, list: &[String]) -> anyhow::Result<Vec<KindShare>> {
    let text = list.join(",");
    service::parse_kind_shares(flag, &text)
        .map(|v| v.into_iter().map(|(kind, share)| KindShare { kind, share }).collect())
        .map_err(|p| {
            anyhow::anyhow!("--{flag}: {}", p.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; "))
        })
}

fn shift(years: Option<f64>, share: Option<f64>, flag: &str) -> anyhow::Result<Option<ShiftInput>> {
    match (years, share) {
        (Some(years), share) => Ok(Some(ShiftInput { years, share: share.unwrap_or(1.0) })),
        (None, Some(_)) => anyhow::bail!("--{flag}-share needs --{flag}-years"),
        (None, None) => Ok(None),
    }
}

impl LeverArgs {
    fn input(&self) -> anyhow::Result<LeversInput> {
        let composition = shares("composition", &self.composition)?;
        Ok(LeversInput {
            extension: shift(self.extend_years, self.extend_share, "extend")?,
            redeployment: shift(self.redeploy_years, self.redeploy_share, "redeploy")?,
            harvest: shares("harvest", &self.harvest)?,
            composition: (!composition.is_empty()).then_some(composition),
            efficiency_gain: self.efficiency_gain,
            efficiency_from: self.efficiency_from,
        })
    }
}

/// Every refused input on its own line, named as the API names it.
fn refused(e: crate::error::AppError) -> anyhow::Error {
    let lines: Vec<String> = match e.field_errors() {
        f if f.is_empty() => vec![e.to_string()],
        f => f.into_iter().map(|f| format!("{}: {}", f.field, f.message)).collect(),
    };
    anyhow::anyhow!("the forecast was refused:\n  {}", lines.join("\n  "))
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

pub async fn run(cmd: ForecastCommand, settings: &Settings) -> anyhow::Result<()> {
    let today = chrono::Utc::now().date_naive();
    match cmd {
        ForecastCommand::Fleet(a) => {
            let q = FleetQuery {
                horizon: a.horizon,
                kernel: a.kernel.as_deref().map(|k| parse::<KernelChoice>("kernel", k)).transpose()?,
                shape: a.shape,
                scale: a.scale,
                site: a
                    .site
                    .as_deref()
                    .map(|s| s.parse::<SiteId>().map_err(|e| anyhow::anyhow!("--site: {e}")))
                    .transpose()?,
                kind: a.kind.as_deref().map(|k| parse::<AssetKind>("kind", k)).transpose()?,
                extend_years: a.levers.extend_years,
                extend_share: a.levers.extend_share,
                redeploy_years: a.levers.redeploy_years,
                redeploy_share: a.levers.redeploy_share,
                harvest: (!a.levers.harvest.is_empty()).then(|| a.levers.harvest.join(",")),
            };
            if !a.levers.composition.is_empty() || a.levers.efficiency_gain.is_some() {
                anyhow::bail!(
                    "a fleet forecast covers the items in use today and buys nothing: --composition and --efficiency-gain belong to procurement and demand forecasts"
                );
            }
            let db = super::open(settings, true).await?;
            let f = crate::forecast::fleet(&db, &crate::forecast::FactsCache::default(), &q, today)
                .await
                .map_err(refused)?;
            print_fleet(&f, a.format)
        }
        ForecastCommand::Procurement(a) => {
            let placed: Vec<PlacedInput> = a
                .placed
                .iter()
                .map(|p| {
                    let (y, v) = p.split_once('=').ok_or_else(|| anyhow::anyhow!("--placed {p}: write YEAR=VALUE"))?;
                    Ok(PlacedInput {
                        year: y.trim().parse().map_err(|_| anyhow::anyhow!("--placed {p}: `{y}` is not a year"))?,
                        value: v.trim().parse().map_err(|_| anyhow::anyhow!("--placed {p}: `{v}` is not a number"))?,
                    })
                })
                .collect::<anyhow::Result<_>>()?;
            let req = ProcurementRequest {
                placed,
                csv: a.pom.as_ref().map(read).transpose()?,
                unit: a.unit.as_deref().map(|u| parse::<PomUnit>("unit", u)).transpose()?,
                kernel: KernelInput {
                    unu_key: a.unu_key,
                    shape: a.shape,
                    scale: a.scale,
                    tabulated: a.genai_kernel.then(|| "genai".to_owned()),
                },
                until: a.until,
                levers: a.levers.input()?,
            };
            let registry = if scenarios::needs_registry_composition(&req.levers) {
                let db = super::open(settings, true).await?;
                scenarios::registry_composition(&db, &crate::forecast::FactsCache::default(), today)
                    .await
                    .map_err(refused)?
            } else {
                None
            };
            let f = scenarios::procurement_with(req, today, registry).map_err(refused)?;
            print_procurement(&f, a.format)
        }
        ForecastCommand::Demand(a) => {
            let req = DemandRequest {
                scenario: Some(parse::<DemandScenario>("scenario", &a.scenario)?),
                chip_supply: Some(parse::<ChipSupply>("chip-supply", &a.chip_supply)?),
                efficiency: Some(parse::<EfficiencyPath>("efficiency", &a.efficiency)?),
                lifespan_extension_quarters: Some(a.lifespan_extension_quarters),
                server_mass_kg: a.server_mass_kg,
                demand_csv: a.demand.as_ref().map(read).transpose()?,
                levers: a.levers.input()?,
            };
            let registry = if scenarios::needs_registry_composition(&req.levers) {
                let db = super::open(settings, true).await?;
                scenarios::registry_composition(&db, &crate::forecast::FactsCache::default(), today)
                    .await
                    .map_err(refused)?
            } else {
                None
            };
            let f = scenarios::demand_with(req, today, registry).map_err(refused)?;
            print_demand(&f, a.format)
        }
    }
}

/// Lines of provenance: printed above a table, or on standard error beside CSV.
fn provenance(lines: &[String], format: OutputFormat) {
    match format {
        OutputFormat::Table => lines.iter().for_each(|l| println!("# {l}")),
        OutputFormat::Csv => lines.iter().for_each(|l| eprintln!("# {l}")),
        OutputFormat::Json => {}
    }
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Right-aligned columns under a header.
fn table(header: &[String], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
                .max(header[i].chars().count())
        })
        .collect();
    let line =
        |cells: &[String]| cells.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect::<Vec<_>>().join("  ");
    println!("{}", line(header));
    for r in rows {
        println!("{}", line(r));
    }
}

/// Prints a CSV body as a table, or as it is.
fn csv_or_table(body: &str, format: OutputFormat) -> anyhow::Result<()> {
    if format == OutputFormat::Csv {
        print!("{body}");
        return Ok(());
    }
    let mut rdr = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = rdr.headers()?.iter().map(str::to_owned).collect();
    let rows: Vec<Vec<String>> =
        rdr.records().map(|r| r.map(|r| r.iter().map(short).collect())).collect::<Result<_, _>>()?;
    table(&header, &rows);
    Ok(())
}

/// A CSV figure shortened for the terminal: three decimals, or three significant digits
/// below 1 (grams of gold in tonnes stay visible).
fn short(cell: &str) -> String {
    match cell.parse::<f64>() {
        Ok(v) if cell.contains('.') && v.abs() >= 1.0 => format!("{v:.3}"),
        Ok(v) if cell.contains('.') && v != 0.0 => {
            let decimals = (2 - v.abs().log10().floor() as i32).max(3) as usize;
            format!("{v:.decimals$}")
        }
        _ => cell.to_owned(),
    }
}

/// Prints a forecast's provenance (`lines`, then its levers and sources) and its table or
/// CSV.
fn emit(
    mut lines: Vec<String>,
    levers: &[String],
    sources: &[String],
    format: OutputFormat,
    csv: crate::error::AppResult<String>,
) -> anyhow::Result<()> {
    lines.extend(levers.iter().map(|l| format!("lever: {l}")));
    lines.extend(sources.iter().map(|s| format!("source: {s}")));
    provenance(&lines, format);
    csv_or_table(&csv.map_err(refused)?, format)
}

fn print_fleet(f: &FleetForecast, format: OutputFormat) -> anyhow::Result<()> {
    if format == OutputFormat::Json {
        return print_json(f);
    }
    let mut lines = vec![
        format!("method: {}", f.method),
        format!(
            "fleet: {} items in use, {:.3} t with their parts, as of {}; {} retired items ({:.3} t) await disposal (not forecast)",
            f.scope.items, f.scope.mass_t, f.as_of, f.scope.awaiting_disposal_items, f.scope.awaiting_disposal_t
        ),
    ];
    for k in &f.kernels {
        lines.push(format!(
            "kernel for {} ({} items): {}, {}; {}",
            k.applies_to,
            k.items,
            k.source.label(),
            k.description,
            k.note
        ));
    }
    lines.push(format!("bands: {}", f.bands));
    if let Some(r) = &f.reduction {
        lines.push(format!(
            "levers over the horizon: {:.3} t → {:.3} t, {:.3} t less ({:.1} %), {:.3} t of it harvested, {:.3} t deferred past the horizon",
            r.baseline_t, r.scenario_t, r.reduction_t, r.reduction_pct, r.harvested_t, r.deferred_beyond_t
        ));
    }
    emit(lines, &f.levers, &f.sources, format, export::fleet(f))
}

fn print_procurement(f: &ProcurementForecast, format: OutputFormat) -> anyhow::Result<()> {
    if format == OutputFormat::Json {
        return print_json(f);
    }
    let mut lines = vec![
        format!("method: {}", f.method),
        format!(
            "kernel: {}, {} (mean life {:.2} years); {}",
            f.kernel.applies_to, f.kernel.description, f.kernel.mean_years, f.kernel.note
        ),
        format!("unit: {}", f.unit.label()),
    ];
    if let Some(r) = &f.reduction {
        lines.push(format!(
            "levers: {:.3} → {:.3}, {:.3} less ({:.1} %)",
            r.baseline_t, r.scenario_t, r.reduction_t, r.reduction_pct
        ));
    }
    emit(lines, &f.levers, &f.sources, format, export::procurement(f))
}

fn print_demand(f: &DemandForecast, format: OutputFormat) -> anyhow::Result<()> {
    if format == OutputFormat::Json {
        return print_json(f);
    }
    let mut lines = vec![
        format!("method: {}", f.method),
        format!(
            "scenario: {}; chip supply {}; efficiency {}; lifespan extension {} quarter(s); {} kg a server ({}); {} demand curve",
            f.scenario.as_str(),
            f.chip_supply.as_str(),
            f.efficiency.as_str(),
            f.lifespan_extension_quarters,
            f.server_mass_kg,
            f.server_mass_source,
            f.demand_curve
        ),
        format!("kernel: {}", f.kernel.description),
        format!("cumulative waste: {:.1} kt", f.cumulative_t / 1000.0),
    ];
    if let Some(r) = &f.reduction {
        lines.push(format!(
            "levers: {:.1} kt → {:.1} kt, {:.1} kt less ({:.1} %)",
            r.baseline_t / 1000.0,
            r.scenario_t / 1000.0,
            r.reduction_t / 1000.0,
            r.reduction_pct
        ));
    }
    emit(lines, &f.levers, &f.sources, format, export::demand(f))
}

#[cfg(test)]
mod tests {
    #[test]
    fn terminal_figures_keep_three_significant_digits() {
        assert_eq!(super::short("2598.8934"), "2598.893");
        assert_eq!(super::short("0.6091"), "0.609");
        assert_eq!(super::short("0.000123456"), "0.000123");
        assert_eq!(super::short("2020"), "2020");
        assert_eq!(super::short("0"), "0");
    }
}
