//! The forecasts that start from what is bought rather than what is installed: procurement
//! (sales–stock–lifespan) and generative-AI demand. Inputs checked with every problem named;
//! the registry is read only for a harvest lever's composition when none is given (and the
//! `_with` forms take it already read, so the command line needs no database). Nothing is
//! written.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use super::cache::FactsCache;
use super::demand::{self, DemandTable, Scenario};
use super::facts;
use super::input::Problem;
use super::kernel::{Kernel, Weibull};
use super::levers::Levers;
use super::model::*;
use super::procurement::{self, Placed};
use super::refdata;
use super::service::{invalid, kernel_view, levers_from, read_facts, reduction, t};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::rules::{AssetKind, ChipSupply, DemandScenario, EfficiencyPath, KernelSource, PomUnit};

/// Years a procurement forecast runs past its last purchase when no end is given.
pub const DEFAULT_TAIL_YEARS: i32 = 15;

/// The kernel a procurement request names.
fn procurement_kernel(k: &KernelInput) -> Result<(Kernel, KernelView), Vec<Problem>> {
    if let Some(name) = &k.tabulated {
        if name != "genai" {
            return Err(vec![Problem::new("kernel.tabulated", format!("`{name}` is not a shipped kernel: use genai"))]);
        }
        if k.shape.is_some() || k.scale.is_some() || k.unu_key.is_some() {
            return Err(vec![Problem::new(
                "kernel",
                "give one kernel: a UNU key, a Weibull shape and scale, or a tabulated kernel",
            )]);
        }
        let t = refdata::genai_kernel().map_err(|e| vec![Problem::new("kernel.tabulated", e)])?;
        let kernel = Kernel::Tabulated(t);
        let view = kernel_view(KernelSource::Tabulated, "all".into(), 0, &kernel, refdata::GENAI_SOURCE.into());
        return Ok((kernel, view));
    }
    match (k.shape, k.scale) {
        (Some(shape), Some(scale)) => {
            if k.unu_key.is_some() {
                return Err(vec![Problem::new("kernel", "give one kernel: a UNU key, or a Weibull shape and scale")]);
            }
            let w = Weibull::new(shape, scale, "kernel.")?;
            let kernel = Kernel::Weibull(w);
            let view = kernel_view(KernelSource::Given, "all".into(), 0, &kernel, "given with the request".into());
            Ok((kernel, view))
        }
        (Some(_), None) => Err(vec![Problem::new("kernel.scale", "give the Weibull scale (years) with the shape")]),
        (None, Some(_)) => Err(vec![Problem::new("kernel.shape", "give the Weibull shape with the scale")]),
        (None, None) => {
            let key = k.unu_key.as_deref().unwrap_or(refdata::FALLBACK_UNU_KEY);
            let Some(d) = refdata::unu(key) else {
                let known: Vec<&str> = refdata::unu_lifespans().iter().map(|u| u.key.as_str()).collect();
                return Err(vec![Problem::new(
                    "kernel.unu_key",
                    format!("`{key}` is not in the shipped table: use {}", crate::rules::one_of(&known)),
                )]);
            };
            let kernel = Kernel::Weibull(d.weibull);
            let view = kernel_view(
                KernelSource::Default,
                format!("UNU {}", d.key),
                0,
                &kernel,
                format!("{} ({}): {}", d.product, d.region, d.source),
            );
            Ok((kernel, view))
        }
    }
}

/// Whether a request's harvest lever needs the registry's composition (it gives none).
pub fn needs_registry_composition(levers: &LeversInput) -> bool {
    !levers.harvest.is_empty() && levers.composition.is_none()
}

/// A composition (mass share by kind) and where it comes from.
pub type Composition = (Vec<(AssetKind, f64)>, String);

/// The registry's fleet in use as a composition (mass share by kind), with where it comes
/// from; `None` when no item in use has a known mass. Read through `cache`.
pub async fn registry_composition(db: &Db, cache: &FactsCache, today: NaiveDate) -> AppResult<Option<Composition>> {
    let read = read_facts(db, cache, facts::Filter::default(), today, false).await?;
    let f = &read.fleet;
    let c = f.composition();
    let total: f64 = f.pieces.iter().map(|p| p.kg).sum();
    Ok((!c.is_empty()).then(|| {
        (c, format!("the registry's fleet in use today: {} items, {:.3} t with their parts", f.items.len(), t(total)))
    }))
}

/// The composition a harvest lever uses: the request's, else the registry's.
fn apply_composition(
    levers: &mut Levers,
    registry: Option<Composition>,
) -> Result<(Vec<KindShareView>, Option<String>), Problem> {
    if levers.harvest.is_empty() {
        return Ok((Vec::new(), None));
    }
    let source = match (&levers.composition, registry) {
        (Some(_), _) => "given with the request".to_owned(),
        (None, Some((c, source))) => {
            levers.composition = Some(c);
            source
        }
        (None, None) => {
            return Err(Problem::new(
                "levers.composition",
                "give the mass share of each component kind: the registry has no items in use with known masses to take it from",
            ));
        }
    };
    let view =
        levers.composition.iter().flatten().map(|(kind, share)| KindShareView { kind: *kind, share: *share }).collect();
    Ok((view, Some(source)))
}

pub const PROCUREMENT_METHOD: &str = "Sales–stock–lifespan (UN/UNU method of the EU WEEE Calculation Tool): waste(n) = Σ_t POM_t · w(n − t), w(k) the kernel's discard fraction in the k-th year after the year placed (Weibull: density at k + 0.5, the mid-year convention); stock(n) = Σ POM − Σ waste (docs/forecasting.md)";

/// The registry's own purchases as a procurement series (`year,mass_t`, a row a year of
/// acquisition), with where it comes from; `None` for a registry without known masses.
pub async fn registry_purchases(db: &Db, cache: &FactsCache, today: NaiveDate) -> AppResult<Option<(String, String)>> {
    let read = read_facts(db, cache, facts::Filter::default(), today, true).await?;
    let acquired = read.history.as_deref().map(|(h, _)| h.acquired.as_slice()).unwrap_or(&[]);
    let (Some(first), Some(last)) = (acquired.first(), acquired.last()) else { return Ok(None) };
    let mut csv = String::from("year,mass_t\n");
    for (year, kg) in acquired {
        csv.push_str(&format!("{year},{:.3}\n", t(*kg)));
    }
    let source = format!(
        "the registry's own acquisitions: the mass of every item and part by the year it was acquired ({}–{})",
        first.0, last.0
    );
    Ok(Some((csv, source)))
}

/// The registry's composition for a request whose harvest lever needs it, else nothing.
async fn composition_for(
    db: &Db,
    cache: &FactsCache,
    levers: &LeversInput,
    today: NaiveDate,
) -> AppResult<Option<Composition>> {
    if needs_registry_composition(levers) { registry_composition(db, cache, today).await } else { Ok(None) }
}

/// A procurement (sales–stock–lifespan) forecast.
pub async fn procurement(
    db: &Db,
    cache: &FactsCache,
    req: ProcurementRequest,
    today: NaiveDate,
) -> AppResult<ProcurementForecast> {
    let registry = composition_for(db, cache, &req.levers, today).await?;
    procurement_with(req, today, registry)
}

/// A procurement forecast with the registry's composition already read (when its harvest
/// lever needs one): no database.
pub fn procurement_with(
    req: ProcurementRequest,
    today: NaiveDate,
    registry: Option<Composition>,
) -> AppResult<ProcurementForecast> {
    let mut problems: Vec<Problem> = Vec::new();
    let series = match (&req.csv, req.placed.is_empty()) {
        (Some(_), false) => {
            problems.push(Problem::new("csv", "give the series once: either placed or csv"));
            None
        }
        (Some(text), true) => match procurement::read_csv("csv", text) {
            Ok((unit, s)) => {
                if req.unit.is_some_and(|u| u != unit) {
                    problems.push(Problem::new("unit", format!("the CSV's header says {}", unit.as_str())));
                }
                Some((unit, s))
            }
            Err(p) => {
                problems.extend(p);
                None
            }
        },
        (None, _) => {
            let s: Vec<Placed> = req.placed.iter().map(|p| Placed { year: p.year, value: p.value }).collect();
            match procurement::check_series("placed", s) {
                Ok(s) => Some((req.unit.unwrap_or(PomUnit::MassT), s)),
                Err(p) => {
                    problems.extend(p);
                    None
                }
            }
        }
    };
    let kernel = match procurement_kernel(&req.kernel) {
        Ok(k) => Some(k),
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    let mut levers = match levers_from(&req.levers, today.year()) {
        Ok(l) => l,
        Err(p) => {
            problems.extend(p);
            Levers::default()
        }
    };
    if let Some((unit, s)) = &series {
        let first = s.first().map(|x| x.year).unwrap_or(0);
        let last = s.last().map(|x| x.year).unwrap_or(0);
        let until = req.until.unwrap_or(last + DEFAULT_TAIL_YEARS);
        if until < first || until - first + 1 > procurement::SPAN_MAX {
            problems.push(Problem::new(
                "until",
                format!(
                    "must be from {first} to {} (at most {} years from the first year placed)",
                    first + procurement::SPAN_MAX - 1,
                    procurement::SPAN_MAX
                ),
            ));
        }
        if *unit == PomUnit::Units && !levers.harvest.is_empty() {
            problems.push(Problem::new("levers.harvest", "harvest takes mass: give the series in tonnes (mass_t)"));
        }
    }
    let composed = apply_composition(&mut levers, registry).map_err(|p| problems.push(p)).ok();
    let (Some((unit, series)), Some((kernel, kview)), Some((composition, composition_source)), true) =
        (series, kernel, composed, problems.is_empty())
    else {
        return Err(invalid(problems));
    };
    let last = series.last().map(|x| x.year).unwrap_or(today.year());
    let until = req.until.unwrap_or(last + DEFAULT_TAIL_YEARS);
    let f = procurement::forecast(&series, &kernel, until, &levers);
    let years = f
        .baseline
        .iter()
        .enumerate()
        .map(|(i, y)| {
            let s = f.scenario.as_ref().map(|s| s[i]);
            ProcurementYear {
                year: y.year,
                placed: y.placed,
                waste: y.waste,
                stock: y.stock,
                scenario_placed: s.map(|s| s.placed),
                scenario_waste: s.map(|s| s.waste),
                scenario_harvested: s.map(|s| s.harvested),
                scenario_stock: s.map(|s| s.stock),
            }
        })
        .collect();
    let reduction = f.scenario.as_ref().map(|s| {
        let b: f64 = f.baseline.iter().map(|y| y.waste).sum();
        let sc: f64 = s.iter().map(|y| y.waste).sum();
        let beyond = |ys: &[procurement::Year]| ys.last().map(|y| y.stock).unwrap_or(0.0);
        reduction(b, sc, beyond(s) - beyond(&f.baseline), s.iter().map(|y| y.harvested).sum())
    });
    let mut sources = vec![kview.note.clone()];
    if let Some(c) = &composition_source {
        sources.push(format!("composition: {c}"));
    }
    Ok(ProcurementForecast {
        method: PROCUREMENT_METHOD.to_owned(),
        unit,
        kernel: kview,
        levers: levers.describe(),
        composition,
        composition_source,
        years,
        reduction,
        sources,
    })
}

pub const DEMAND_METHOD: &str = "Computational-power-driven material flow analysis of generative-AI servers (Wang et al. 2024), quarterly: demand for training and inference from parameters, tokens, users and models; servers installed to meet demand growth and replace retirements; retirements by the lifespan kernel; waste = retirements × server mass (docs/forecasting.md)";

/// The demand-driven forecast of generative-AI servers.
pub async fn demand(db: &Db, cache: &FactsCache, req: DemandRequest, today: NaiveDate) -> AppResult<DemandForecast> {
    let registry = composition_for(db, cache, &req.levers, today).await?;
    demand_with(req, today, registry)
}

/// The demand forecast with the registry's composition already read: no database.
pub fn demand_with(req: DemandRequest, today: NaiveDate, registry: Option<Composition>) -> AppResult<DemandForecast> {
    let s = Scenario {
        users: req.scenario.unwrap_or(DemandScenario::Aggressive),
        chips: req.chip_supply.unwrap_or(ChipSupply::Base),
        efficiency: req.efficiency.unwrap_or(EfficiencyPath::Base),
        extension_quarters: req.lifespan_extension_quarters.unwrap_or(0),
        server_mass_kg: req.server_mass_kg.unwrap_or(refdata::SERVER_MASS_KG),
    };
    let mut problems = s.check("");
    let columns = s.columns();
    let table = match req.demand_csv.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(text) => DemandTable::read("demand_csv", text, &columns),
        None => DemandTable::read("demand_csv", refdata::DEMAND_CSV, &columns),
    };
    let table = match table {
        Ok(t) => Some(t),
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    let mut levers = match levers_from(&req.levers, today.year()) {
        Ok(l) => l,
        Err(p) => {
            problems.extend(p);
            Levers::default()
        }
    };
    for (name, shift) in [("extension", levers.extension), ("redeployment", levers.redeployment)] {
        if let Some(sh) = shift
            && ((sh.years * 4.0) - (sh.years * 4.0).round()).abs() > 1e-9
        {
            problems.push(Problem::new(
                format!("levers.{name}.years"),
                "must be whole quarters (a multiple of 0.25 years): the demand model is quarterly",
            ));
        }
    }
    let composed = apply_composition(&mut levers, registry).map_err(|p| problems.push(p)).ok();
    let (Some(table), Some((composition, composition_source)), true) = (table, composed, problems.is_empty()) else {
        return Err(invalid(problems));
    };
    let kernel = refdata::genai_kernel().map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let f = demand::forecast(&table, &s, &kernel.probs, &levers);
    let years = f
        .baseline
        .years
        .iter()
        .enumerate()
        .map(|(i, y)| {
            let sc = f.scenario.as_ref().map(|s| s.years[i]);
            DemandYear {
                year: y.year,
                installed: y.installed,
                retired: y.retired,
                waste_servers: y.waste_servers,
                waste_t: y.waste_t,
                scenario_waste_servers: sc.map(|s| s.waste_servers),
                scenario_waste_t: sc.map(|s| s.waste_t),
                scenario_harvested_t: sc.map(|s| s.harvested_t),
            }
        })
        .collect();
    let quarters = f
        .baseline
        .quarters
        .iter()
        .map(|q| DemandQuarter {
            quarter: format!("{}Q{}", q.year, q.quarter),
            installed_training: q.installed_training,
            installed_inference: q.installed_inference,
            retired_training: q.retired_training,
            retired_inference: q.retired_inference,
            waste_t: q.waste_t,
        })
        .collect();
    let cumulative_t: f64 = f.baseline.years.iter().map(|y| y.waste_t).sum();
    let reduction = f.scenario.as_ref().map(|sc| {
        let s_t: f64 = sc.years.iter().map(|y| y.waste_t).sum();
        // Redeployed servers whose second life ends after the table's last quarter.
        let retired_t: f64 = sc.years.iter().map(|y| y.retired).sum::<f64>() * s.server_mass_kg / 1000.0;
        let harvested: f64 = sc.years.iter().map(|y| y.harvested_t).sum();
        reduction(cumulative_t, s_t, (retired_t - s_t - harvested).max(0.0), harvested)
    });
    let kernel_tab = Kernel::Tabulated(Arc::clone(&kernel));
    let mut kview = kernel_view(KernelSource::Tabulated, "all".into(), 0, &kernel_tab, refdata::GENAI_SOURCE.into());
    if s.extension_quarters > 0 {
        kview.note = format!("{}; every server's life {} quarter(s) longer", kview.note, s.extension_quarters);
    }
    let mut sources = vec![refdata::GENAI_SOURCE.to_owned(), format!("server mass: {}", refdata::SERVER_MASS_SOURCE)];
    if let Some(c) = &composition_source {
        sources.push(format!("composition: {c}"));
    }
    let custom = req.demand_csv.as_deref().is_some_and(|c| !c.trim().is_empty());
    Ok(DemandForecast {
        method: DEMAND_METHOD.to_owned(),
        scenario: s.users,
        chip_supply: s.chips,
        efficiency: s.efficiency,
        lifespan_extension_quarters: s.extension_quarters,
        server_mass_kg: s.server_mass_kg,
        server_mass_source: if req.server_mass_kg.is_some() {
            "given with the request".into()
        } else {
            refdata::SERVER_MASS_SOURCE.into()
        },
        demand_curve: if custom { "custom".into() } else { "shipped".into() },
        columns,
        kernel: kview,
        levers: levers.describe(),
        composition,
        composition_source,
        years,
        quarters,
        cumulative_t,
        reduction,
        sources,
    })
}
