//! The procurement forecast (sales–stock–lifespan, the UNU method of the EU WEEE
//! Calculation Tool). Pure.
//!
//! With POM_t placed on the market in year t and the kernel's yearly discard fraction
//! w(k) (Weibull: the density at k + 0.5, see `kernel`):
//!
//!   waste(n) = Σ_{t ≤ n} POM_t · w(n − t),   stock(n) = Σ_{t ≤ n} POM_t − Σ_{m ≤ n} waste(m).
//!
//! Levers: a longer life mixes shifted kernels (w_d(k) = w(k − d)); harvest takes the
//! `composition`-weighted share of the waste's mass for reuse (it leaves the stock, but
//! not as waste); efficiency gains scale purchases after `from_year` by (1 + g)^−(t − from).

use super::input::{Problem, Problems, Table};
use super::kernel::Kernel;
use super::levers::Levers;
use crate::rules::PomUnit;

/// One year's purchases.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placed {
    pub year: i32,
    pub value: f64,
}

/// Largest span a procurement forecast covers (years).
pub const SPAN_MAX: i32 = 100;

/// One year of a procurement forecast.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Year {
    pub year: i32,
    pub placed: f64,
    pub waste: f64,
    /// Harvested for reuse instead of becoming waste.
    pub harvested: f64,
    pub stock: f64,
}

/// Baseline and, with levers, the scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Forecast {
    pub baseline: Vec<Year>,
    pub scenario: Option<Vec<Year>>,
    /// Share of the waste's mass harvested under the levers.
    pub harvested_fraction: f64,
}

/// Checks a series: years unique and ascending after sorting, values finite and not
/// negative, at most [`SPAN_MAX`] years.
pub fn check_series(field: &str, mut pom: Vec<Placed>) -> Result<Vec<Placed>, Vec<Problem>> {
    let mut p = Problems::default();
    if pom.is_empty() {
        p.add(field, "give at least one year of purchases");
    }
    for (i, x) in pom.iter().enumerate() {
        if !(1950..=2150).contains(&x.year) {
            p.add(format!("{field}[{i}].year"), format!("must be a year from 1950 to 2150 (got {})", x.year));
        }
        if !(x.value.is_finite() && x.value >= 0.0) {
            p.add(format!("{field}[{i}].value"), format!("must be 0 or more (got {})", x.value));
        }
    }
    pom.sort_by_key(|x| x.year);
    for w in pom.windows(2) {
        if w[0].year == w[1].year {
            p.add(field, format!("{} is given twice", w[0].year));
        }
    }
    p.into_result(pom)
}

/// Reads a CSV of `year,mass_t` (or `year,units`): the unit is the column found.
pub fn read_csv(field: &str, text: &str) -> Result<(PomUnit, Vec<Placed>), Vec<Problem>> {
    let t = Table::read(field, text)?;
    let unit = if t.header.iter().any(|h| h == "mass_t") {
        PomUnit::MassT
    } else if t.header.iter().any(|h| h == "units") {
        PomUnit::Units
    } else {
        return Err(vec![Problem::new(
            field,
            "has no column `mass_t` or `units` (the header must be `year,mass_t` or `year,units`)",
        )]);
    };
    let cols = t.columns(field, &["year", unit.as_str()])?;
    let mut p = Problems::default();
    let mut out = Vec::with_capacity(t.rows.len());
    for r in 0..t.rows.len() {
        let year_text = t.text(r, cols[0]);
        let year = match year_text.parse::<i32>() {
            Ok(y) => y,
            Err(_) => {
                p.add(field, format!("row {}, column `year`: `{year_text}` is not a year", r + 2));
                0
            }
        };
        let value = t.number(field, r, cols[1], unit.as_str(), &mut p);
        out.push(Placed { year, value });
    }
    if !p.is_empty() {
        return Err(p.0);
    }
    check_series(field, out).map(|s| (unit, s))
}

/// Forecasts waste and stock from the first year of `pom` to `until` (inclusive).
pub fn forecast(pom: &[Placed], kernel: &Kernel, until: i32, levers: &Levers) -> Forecast {
    let composition = levers.composition.as_deref().unwrap_or(&[]);
    let harvested_fraction = levers.harvested_fraction(composition);
    let baseline = run(pom, kernel, until, &[(1.0, 0.0)], None, 0.0);
    let scenario =
        (!levers.is_empty()).then(|| run(pom, kernel, until, &levers.mixture(), levers.efficiency, harvested_fraction));
    Forecast { baseline, scenario, harvested_fraction }
}

fn run(
    pom: &[Placed],
    kernel: &Kernel,
    until: i32,
    mixture: &[(f64, f64)],
    efficiency: Option<super::levers::Efficiency>,
    harvest: f64,
) -> Vec<Year> {
    let Some(first) = pom.first().map(|x| x.year) else { return Vec::new() };
    let last = until.max(first).min(first + SPAN_MAX - 1);
    let n = (last - first + 1) as usize;
    let mut placed = vec![0.0; n];
    for x in pom {
        if (first..=last).contains(&x.year) {
            let scale = match efficiency {
                Some(e) if x.year > e.from_year => (1.0 + e.yearly).powi(-(x.year - e.from_year)),
                _ => 1.0,
            };
            placed[(x.year - first) as usize] += x.value * scale;
        }
    }
    let w: Vec<f64> = (0..n as u32).map(|k| mixture.iter().map(|(wt, d)| wt * kernel.discard(k, *d)).sum()).collect();
    let mut out = Vec::with_capacity(n);
    let mut stock = 0.0;
    for i in 0..n {
        let leaving: f64 = (0..=i).map(|t| placed[t] * w[i - t]).sum();
        let harvested = leaving * harvest;
        let waste = leaving - harvested;
        stock += placed[i] - leaving;
        out.push(Year { year: first + i as i32, placed: placed[i], waste, harvested, stock });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::kernel::{Tabulated, Weibull};
    use crate::forecast::levers::{Efficiency, Shift};
    use crate::rules::AssetKind;
    use std::sync::Arc;

    #[test]
    fn waste_is_the_convolution_of_sales_and_discard_fractions() {
        let w = Weibull::new(1.46, 7.78, "").unwrap();
        let k = Kernel::Weibull(w);
        let pom = [Placed { year: 2020, value: 100.0 }, Placed { year: 2021, value: 50.0 }];
        let f = forecast(&pom, &k, 2023, &Levers::default());
        assert_eq!(f.baseline.len(), 4);
        // By hand: waste(2021) = 100·f(1.5) + 50·f(0.5); stock(2021) = 150 − waste(2020) − waste(2021).
        let f15 = 1.46 / 7.78 * (1.5f64 / 7.78).powf(0.46) * (-(1.5f64 / 7.78).powf(1.46)).exp();
        let f05 = 1.46 / 7.78 * (0.5f64 / 7.78).powf(0.46) * (-(0.5f64 / 7.78).powf(1.46)).exp();
        let y = f.baseline[1];
        assert!((y.waste - (100.0 * f15 + 50.0 * f05)).abs() < 1e-9);
        assert!((y.stock - (150.0 - 100.0 * f05 - y.waste)).abs() < 1e-9);
        assert_eq!(f.baseline[2].placed, 0.0);
        assert!(f.scenario.is_none());
    }

    #[test]
    fn levers_shift_harvest_and_shrink_purchases() {
        // A kernel leaving after exactly one year (sold mid-year: gone in the next year).
        let k = Kernel::Tabulated(Arc::new(Tabulated::new("one year", 1.0, vec![1.0], "").unwrap()));
        let pom = [
            Placed { year: 2020, value: 10.0 },
            Placed { year: 2021, value: 10.0 },
            Placed { year: 2022, value: 10.0 },
        ];
        let levers = Levers {
            extension: Some(Shift { years: 1.0, share: 0.5 }),
            harvest: vec![(AssetKind::Dimm, 0.5)],
            composition: Some(vec![(AssetKind::Dimm, 0.1)]),
            efficiency: Some(Efficiency { yearly: 0.25, from_year: 2021 }),
            ..Levers::default()
        };
        let f = forecast(&pom, &k, 2024, &levers);
        let b: Vec<f64> = f.baseline.iter().map(|y| y.waste).collect();
        assert_eq!(b, [0.0, 10.0, 10.0, 10.0, 0.0]);
        // Scenario: 2022's purchase is 10/1.25 = 8. Half leaves after 1 year, half after 2;
        // 5 % (half of 10 % DIMM mass) is harvested.
        // leaving(2021) = 5; (2022) = 5 + 5 = 10; (2023) = 5 + 4 = 9; (2024) = 4.
        let s = f.scenario.unwrap();
        let want = [0.0, 5.0, 10.0, 9.0, 4.0];
        for (y, w) in s.iter().zip(want) {
            assert!((y.waste - w * 0.95).abs() < 1e-9, "{s:?}");
            assert!((y.harvested - w * 0.05).abs() < 1e-9);
        }
        assert!((s[2].placed - 8.0).abs() < 1e-12);
        // Everything placed has left by 2024: the stock is back to 0.
        assert!(s[4].stock.abs() < 1e-9);
    }

    #[test]
    fn csv_input_is_read_and_checked_by_row() {
        let (u, s) = read_csv("pom_csv", "year,mass_t\n2021,2.5\n2020,1\n").unwrap();
        assert_eq!(u, PomUnit::MassT);
        assert_eq!(s[0], Placed { year: 2020, value: 1.0 });
        let e = read_csv("pom_csv", "year,tonnes\n2020,1\n").unwrap_err();
        assert!(e[0].message.contains("`mass_t` or `units`"));
        let e = read_csv("pom_csv", "year,mass_t\n2020,abc\n2021,-1\n").unwrap_err();
        assert_eq!(e[0].message, "row 2, column `mass_t`: `abc` is not a number");
        let e = read_csv("pom_csv", "year,units\n2020,1\n2020,2\n").unwrap_err();
        assert!(e[0].message.contains("2020 is given twice"));
        let e = read_csv("pom_csv", "year,mass_t\n2020,-1\n").unwrap_err();
        assert_eq!(e[0].field, "pom_csv[0].value");
    }
}
