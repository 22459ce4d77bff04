//! Forecasts as CSV: a header row, then one row a year, `year` first. The method, kernels,
//! parameters and sources travel with the JSON answer (and the command line prints them
//! on standard error), so the CSV stays a plain table a spreadsheet opens.

use super::model::{DemandForecast, FleetForecast, ProcurementForecast};
use crate::error::{AppError, AppResult};
use crate::rules::PomUnit;

fn write(header: Vec<String>, rows: Vec<Vec<String>>) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(anyhow::Error::new(e).context("writing a forecast's CSV"));
    w.write_record(&header).map_err(fail)?;
    for r in rows {
        w.write_record(&r).map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("writing a forecast's CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(anyhow::Error::new(e)))
}

fn num(v: f64) -> String {
    // Six decimals: grams in tonnes, fractions of an item.
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_owned() } else { s.to_owned() }
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

pub fn fleet(f: &FleetForecast) -> AppResult<String> {
    let materials: Vec<String> = f
        .years
        .first()
        .map(|y| y.baseline.materials_t.iter().map(|m| format!("{}_t", m.material.as_str())).collect())
        .unwrap_or_default();
    let scenario = f.years.iter().any(|y| y.scenario.is_some());
    let mut header: Vec<String> =
        ["year", "items", "items_p5", "items_p95", "mass_t", "mass_t_p5", "mass_t_p95"].map(String::from).to_vec();
    header.extend(materials);
    if scenario {
        header.extend(
            ["scenario_items", "scenario_mass_t", "scenario_mass_t_p5", "scenario_mass_t_p95"].map(String::from),
        );
    }
    let rows = f
        .years
        .iter()
        .map(|y| {
            let b = &y.baseline;
            let mut r = vec![
                y.year.to_string(),
                num(b.items.mean),
                num(b.items.p5),
                num(b.items.p95),
                num(b.mass_t.mean),
                num(b.mass_t.p5),
                num(b.mass_t.p95),
            ];
            r.extend(b.materials_t.iter().map(|m| num(m.tonnes)));
            if let Some(s) = &y.scenario {
                r.extend([num(s.items.mean), num(s.mass_t.mean), num(s.mass_t.p5), num(s.mass_t.p95)]);
            } else if scenario {
                r.extend([String::new(), String::new(), String::new(), String::new()]);
            }
            r
        })
        .collect();
    write(header, rows)
}

pub fn procurement(f: &ProcurementForecast) -> AppResult<String> {
    let u = match f.unit {
        PomUnit::MassT => "t",
        PomUnit::Units => "units",
    };
    let scenario = f.years.iter().any(|y| y.scenario_waste.is_some());
    let mut header = vec!["year".to_owned(), format!("placed_{u}"), format!("waste_{u}"), format!("stock_{u}")];
    if scenario {
        header.extend([
            format!("scenario_placed_{u}"),
            format!("scenario_waste_{u}"),
            format!("scenario_harvested_{u}"),
            format!("scenario_stock_{u}"),
        ]);
    }
    let rows = f
        .years
        .iter()
        .map(|y| {
            let mut r = vec![y.year.to_string(), num(y.placed), num(y.waste), num(y.stock)];
            if scenario {
                r.extend([
                    opt(y.scenario_placed),
                    opt(y.scenario_waste),
                    opt(y.scenario_harvested),
                    opt(y.scenario_stock),
                ]);
            }
            r
        })
        .collect();
    write(header, rows)
}

pub fn demand(f: &DemandForecast) -> AppResult<String> {
    let scenario = f.years.iter().any(|y| y.scenario_waste_t.is_some());
    let mut header: Vec<String> = ["year", "servers_retired", "mass_t", "servers_installed"].map(String::from).to_vec();
    if scenario {
        header.extend(["scenario_waste_servers", "scenario_mass_t", "scenario_harvested_t"].map(String::from));
    }
    let rows = f
        .years
        .iter()
        .map(|y| {
            let mut r = vec![y.year.to_string(), num(y.retired), num(y.waste_t), num(y.installed)];
            if scenario {
                r.extend([opt(y.scenario_waste_servers), opt(y.scenario_waste_t), opt(y.scenario_harvested_t)]);
            }
            r
        })
        .collect();
    write(header, rows)
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_lose_trailing_zeros_only() {
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(3.0), "3");
        assert_eq!(num(0.0000004), "0");
        assert_eq!(num(-0.0000001), "0");
        assert_eq!(num(1234.1234567), "1234.123457");
    }
}
