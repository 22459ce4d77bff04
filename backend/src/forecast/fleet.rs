//! The fleet forecast: when the items in use today become waste. Pure.
//!
//! Item i started its life on day t₀ (first deployment, else acquisition, else
//! registration) and is a years old today. Under its lifespan kernel F, and knowing it is
//! still in use, it leaves use during calendar year n with probability
//!
//!   p_i(n) = (F(e_n − d) − F(s_n − d)) / (1 − F(a)),  ages clamped below at a,
//!
//! where s_n and e_n are its ages at the start and end of year n (the current year starts
//! today) and d the shift of a longer life (0 in the baseline; the levers' mixture gives
//! several, weighted). An item whose kernel says it should have left already (1 − F(a) is
//! nil: "overdue") leaves in the year it reaches a + d.
//!
//! Per year, the expected count is Σ p_i and the expected mass Σ m_i·p_i, with p5/p95
//! bands from the exact cumulants of these sums of independent Bernoulli contributions
//! (`bands`); per material, Σ (content of i)·p_i. Items sharing a kind, a kernel and a
//! start day have the same probabilities, so they are grouped first: a million items cost
//! one pass to group and a few thousand kernel evaluations.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use super::bands::{self, Band, BandMethod, Cumulants};
use super::kernel::{DAYS_PER_YEAR, Kernel};
use super::levers::Levers;
use crate::rules::{AssetKind, Material};

/// Materials followed (the recycling vocabulary, in its order).
pub const MATERIALS: usize = Material::ALL.len();

/// Largest horizon, in years.
pub const HORIZON_MAX: u16 = 50;

/// One part of an item (or the item's own mass): its kind, its material profile (an index
/// into [`Fleet::profiles`]) and its mass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Piece {
    pub kind: AssetKind,
    pub profile: Option<u16>,
    pub kg: f64,
}

/// One top-level item in use, with its whole tree as pieces.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Item {
    pub kind: AssetKind,
    /// Index into [`Fleet::kernels`].
    pub kernel: u16,
    /// The day its life started (days from the common era, `NaiveDate::num_days_from_ce`).
    pub start_day: i32,
    /// Its pieces: `pieces[from..to]` of the fleet.
    pub pieces: (u32, u32),
}

/// The fleet as the engine reads it.
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    pub items: Vec<Item>,
    /// Shared, not copied: a kept read of the registry's facts serves many forecasts.
    pub pieces: Arc<[Piece]>,
    pub kernels: Vec<Kernel>,
    /// Grams of each material per kg, by profile.
    pub profiles: Vec<[f64; MATERIALS]>,
}

/// Figures of one year.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Year {
    pub year: i32,
    pub items: Band,
    pub mass_kg: Band,
    pub materials_kg: [f64; MATERIALS],
    /// Mass harvested for reuse from the items leaving (the harvest lever; 0 without it).
    pub harvested_kg: f64,
}

/// One kind's figures per year.
#[derive(Clone, Debug, PartialEq)]
pub struct KindSeries {
    pub kind: AssetKind,
    pub items: u64,
    pub mass_kg: f64,
    pub years: Vec<(Band, Band)>,
}

/// A forecast under one set of levers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub years: Vec<Year>,
    pub by_kind: Vec<KindSeries>,
    /// Expected items and mass leaving use after the horizon.
    pub beyond_items: f64,
    pub beyond_mass_kg: f64,
}

/// What the fleet forecast returns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Forecast {
    pub first_year: i32,
    pub items: u64,
    pub mass_kg: f64,
    /// Items whose kernel says they should have left use already.
    pub overdue: u64,
    pub count_method: Option<BandMethod>,
    pub baseline: Series,
    /// The levers' scenario, when there are levers.
    pub scenario: Option<Series>,
}

/// Items sharing a kind, a kernel and a start day.
#[derive(Clone, Debug)]
struct Group {
    kind: usize,
    kernel: u16,
    start_day: i32,
    n: u64,
    /// Σm, Σm², Σm³ of the baseline's and the scenario's masses.
    base: [f64; 3],
    scen: [f64; 3],
    mat_base: [f64; MATERIALS],
    mat_scen: [f64; MATERIALS],
    /// Each item's baseline and scenario mass, kept for exact bands (small fleets only).
    masses: Vec<(f64, f64)>,
}

fn kind_index(k: AssetKind) -> usize {
    AssetKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
}

fn jan1(year: i32) -> i32 {
    NaiveDate::from_ymd_opt(year, 1, 1).map(|d| d.num_days_from_ce()).unwrap_or(0)
}

/// The probability, per horizon year and then beyond it, that an item of age `a` (days
/// from its start to today, `ends` the days from its start to the end of each year)
/// leaves use, under `kernel` shifted by `d` years.
fn probabilities(kernel: &Kernel, age_days: f64, ends: &[f64], d: f64, out: &mut [f64]) {
    let a = age_days.max(0.0) / DAYS_PER_YEAR;
    let survival = kernel.survival(a);
    let h = ends.len();
    if survival < 1e-12 {
        // Overdue: it leaves in the year it reaches a + d.
        out.iter_mut().for_each(|v| *v = 0.0);
        let at = a + d;
        let y = ends.iter().position(|e| at * DAYS_PER_YEAR < *e).unwrap_or(h);
        out[y] = 1.0;
        return;
    }
    // Knowing T > a, T + d ends in year y when T ∈ [s_y − d, e_y − d) ∩ (a, ∞).
    let at = |age_years: f64| kernel.cdf((age_years - d).max(a));
    let mut lo = kernel.cdf(a);
    let mut total = 0.0;
    for (y, e) in ends.iter().enumerate() {
        let hi = at(e / DAYS_PER_YEAR);
        let p = ((hi - lo) / survival).clamp(0.0, 1.0);
        out[y] = p;
        total += p;
        lo = hi;
    }
    out[h] = (1.0 - total).max(0.0);
}

/// Forecasts `years` calendar years from `today`'s (inclusive) under `levers` (and the
/// baseline beside it when there are levers).
pub fn forecast(fleet: &Fleet, today: NaiveDate, years: u16, levers: &Levers) -> Forecast {
    let first_year = today.year();
    let h = usize::from(years.max(1));
    let today_day = today.num_days_from_ce();
    let ends: Vec<i32> = (0..h).map(|y| jan1(first_year + y as i32 + 1)).collect();
    let with_levers = !levers.is_empty();
    let mixture = levers.mixture();

    let exact = fleet.items.len() as u64 <= bands::EXACT_MAX;
    // Group the items.
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut total_mass = 0.0;
    for it in &fleet.items {
        let kind = kind_index(it.kind);
        let key = (kind as u64) << 48 | u64::from(it.kernel) << 32 | u64::from(it.start_day as u32);
        let g = *index.entry(key).or_insert_with(|| {
            groups.push(Group {
                kind,
                kernel: it.kernel,
                start_day: it.start_day,
                n: 0,
                base: [0.0; 3],
                scen: [0.0; 3],
                mat_base: [0.0; MATERIALS],
                mat_scen: [0.0; MATERIALS],
                masses: Vec::new(),
            });
            groups.len() - 1
        });
        let g = &mut groups[g];
        let (from, to) = (it.pieces.0 as usize, it.pieces.1 as usize);
        let mut m = 0.0;
        let mut m2 = 0.0;
        for pc in fleet.pieces.get(from..to).unwrap_or(&[]) {
            let kept = 1.0 - levers.harvest_share(pc.kind);
            m += pc.kg;
            m2 += pc.kg * kept;
            if let Some(prof) = pc.profile.and_then(|i| fleet.profiles.get(usize::from(i))) {
                for (j, gpk) in prof.iter().enumerate() {
                    let kg = pc.kg * gpk / 1000.0;
                    g.mat_base[j] += kg;
                    g.mat_scen[j] += kg * kept;
                }
            }
        }
        total_mass += m;
        g.n += 1;
        g.base[0] += m;
        g.base[1] += m * m;
        g.base[2] += m * m * m;
        g.scen[0] += m2;
        g.scen[1] += m2 * m2;
        g.scen[2] += m2 * m2 * m2;
        if exact {
            g.masses.push((m, m2));
        }
    }

    let n_items = fleet.items.len() as u64;
    let kinds = AssetKind::ALL.len();
    let mut acc = Acc::new(h, kinds, exact);
    let mut acc_scen = with_levers.then(|| Acc::new(h, kinds, exact));
    let mut kind_items = vec![0u64; kinds];
    let mut kind_mass = vec![0.0; kinds];
    let mut overdue = 0u64;

    let mut p = vec![0.0; h + 1];
    let mut pc = vec![0.0; h + 1];
    let mut ps = vec![0.0; h + 1];
    let mut end_days = vec![0.0; h];
    for (gi, g) in groups.iter().enumerate() {
        let Some(kernel) = fleet.kernels.get(usize::from(g.kernel)) else { continue };
        kind_items[g.kind] += g.n;
        kind_mass[g.kind] += g.base[0];
        let age = f64::from(today_day - g.start_day);
        for (y, e) in ends.iter().enumerate() {
            end_days[y] = f64::from(e - g.start_day);
        }
        if kernel.survival(age.max(0.0) / DAYS_PER_YEAR) < 1e-12 {
            overdue += g.n;
        }
        probabilities(kernel, age, &end_days, 0.0, &mut p);
        acc.add(gi, g, &g.base, &g.mat_base, &p);
        if let Some(s) = acc_scen.as_mut() {
            ps.iter_mut().for_each(|v| *v = 0.0);
            for (w, d) in &mixture {
                probabilities(kernel, age, &end_days, *d, &mut pc);
                for (dst, v) in ps.iter_mut().zip(&pc) {
                    *dst += w * v;
                }
            }
            s.add(gi, g, &g.scen, &g.mat_scen, &ps);
        }
    }

    let scen_max: f64 = groups.iter().map(|g| g.scen[0]).sum();
    Forecast {
        first_year,
        items: n_items,
        mass_kg: total_mass,
        overdue,
        count_method: Some(if exact { BandMethod::Exact } else { BandMethod::CornishFisher }),
        baseline: acc.finish(&groups, false, first_year, n_items, total_mass, &kind_items, &kind_mass),
        scenario: acc_scen.map(|s| s.finish(&groups, true, first_year, n_items, scen_max, &kind_items, &kind_mass)),
    }
}

/// Sums of one series.
struct Acc {
    h: usize,
    count: Vec<Cumulants>,
    mass: Vec<Cumulants>,
    materials: Vec<[f64; MATERIALS]>,
    harvested: Vec<f64>,
    kind_count: Vec<Vec<Cumulants>>,
    kind_mass: Vec<Vec<Cumulants>>,
    beyond_items: f64,
    beyond_mass: f64,
    /// For exact bands: per year, (kind, group, p) of every group.
    exact: Option<Vec<Vec<(usize, usize, f64)>>>,
}

impl Acc {
    fn new(h: usize, kinds: usize, exact: bool) -> Acc {
        Acc {
            h,
            count: vec![Cumulants::default(); h],
            mass: vec![Cumulants::default(); h],
            materials: vec![[0.0; MATERIALS]; h],
            harvested: vec![0.0; h],
            kind_count: vec![vec![Cumulants::default(); h]; kinds],
            kind_mass: vec![vec![Cumulants::default(); h]; kinds],
            beyond_items: 0.0,
            beyond_mass: 0.0,
            exact: exact.then(|| vec![Vec::new(); h]),
        }
    }

    fn add(&mut self, gi: usize, g: &Group, m: &[f64; 3], mat: &[f64; MATERIALS], p: &[f64]) {
        let n = g.n as f64;
        let harvest = g.base[0] - m[0];
        for y in 0..self.h {
            let py = p[y];
            if py <= 0.0 {
                continue;
            }
            self.count[y].add(n, n, n, py);
            self.mass[y].add(m[0], m[1], m[2], py);
            self.harvested[y] += harvest * py;
            self.kind_count[g.kind][y].add(n, n, n, py);
            self.kind_mass[g.kind][y].add(m[0], m[1], m[2], py);
            for (dst, v) in self.materials[y].iter_mut().zip(mat) {
                *dst += v * py;
            }
            if let Some(e) = self.exact.as_mut() {
                e[y].push((g.kind, gi, py));
            }
        }
        self.beyond_items += n * p[self.h];
        self.beyond_mass += m[0] * p[self.h];
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        self,
        groups: &[Group],
        scenario: bool,
        first_year: i32,
        items: u64,
        mass: f64,
        kind_items: &[u64],
        kind_mass: &[f64],
    ) -> Series {
        let entries = |y: usize, kind: Option<usize>| {
            self.exact.as_ref().map(|e| {
                e[y].iter().filter(move |(k, _, _)| kind.is_none_or(|want| *k == want)).map(|(_, g, p)| (*g, *p))
            })
        };
        let count_band = |c: &Cumulants, y: usize, kind: Option<usize>, n: u64| match entries(y, kind) {
            Some(list) => bands::count_exact(&bands::poisson_binomial(list.map(|(g, p)| (groups[g].n, p))), c),
            None => bands::count_approx(c, n as f64),
        };
        let mass_band = |c: &Cumulants, y: usize, kind: Option<usize>, max: f64| match entries(y, kind) {
            Some(list) => bands::mass_exact(
                list.flat_map(|(g, p)| groups[g].masses.iter().map(move |(b, s)| (if scenario { *s } else { *b }, p))),
                c,
                max,
            ),
            None => bands::continuous(c, max),
        };
        let years = (0..self.h)
            .map(|y| Year {
                year: first_year + y as i32,
                items: count_band(&self.count[y], y, None, items),
                mass_kg: mass_band(&self.mass[y], y, None, mass),
                materials_kg: self.materials[y],
                harvested_kg: self.harvested[y],
            })
            .collect();
        let by_kind = AssetKind::ALL
            .iter()
            .enumerate()
            .filter(|(k, _)| kind_items[*k] > 0)
            .map(|(k, kind)| KindSeries {
                kind: *kind,
                items: kind_items[k],
                mass_kg: kind_mass[k],
                years: (0..self.h)
                    .map(|y| {
                        (
                            count_band(&self.kind_count[k][y], y, Some(k), kind_items[k]),
                            mass_band(&self.kind_mass[k][y], y, Some(k), kind_mass[k]),
                        )
                    })
                    .collect(),
            })
            .collect();
        Series { years, by_kind, beyond_items: self.beyond_items, beyond_mass_kg: self.beyond_mass }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::kernel::{Tabulated, Weibull};
    use crate::forecast::levers::Shift;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use std::sync::Arc;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A fleet of one kind, every item one piece of `kg` with material profile 0.
    fn fleet(kernel: Kernel, items: &[(NaiveDate, f64)]) -> Fleet {
        let mut f = Fleet { kernels: vec![kernel], profiles: vec![[0.0; MATERIALS]], ..Fleet::default() };
        f.profiles[0][Material::ALL.iter().position(|m| *m == Material::Copper).unwrap()] = 169.0;
        let mut pieces = Vec::new();
        for (start, kg) in items {
            let at = pieces.len() as u32;
            pieces.push(Piece { kind: AssetKind::Server, profile: Some(0), kg: *kg });
            f.items.push(Item {
                kind: AssetKind::Server,
                kernel: 0,
                start_day: start.num_days_from_ce(),
                pieces: (at, at + 1),
            });
        }
        f.pieces = pieces.into();
        f
    }

    fn unu0307() -> Weibull {
        Weibull::new(1.46, 7.78, "").unwrap()
    }

    #[test]
    fn one_item_leaves_with_the_probability_conditional_on_its_age() {
        let w = unu0307();
        let today = day(2026, 12, 7);
        let start = day(2021, 3, 1);
        let f = fleet(Kernel::Weibull(w), &[(start, 20.0)]);
        let out = forecast(&f, today, 3, &Levers::default());
        // By hand: ages in years from 2021-03-01 (days ÷ 365.25).
        let age = |d: NaiveDate| (d - start).num_days() as f64 / 365.25;
        let cdf = |t: f64| 1.0 - (-(t / 7.78f64).powf(1.46)).exp();
        let a = age(today);
        let s = 1.0 - cdf(a);
        let ends = [age(day(2027, 1, 1)), age(day(2028, 1, 1)), age(day(2029, 1, 1))];
        let p2026 = (cdf(ends[0]) - cdf(a)) / s;
        let p2027 = (cdf(ends[1]) - cdf(ends[0])) / s;
        let p2028 = (cdf(ends[2]) - cdf(ends[1])) / s;
        let years = &out.baseline.years;
        assert_eq!(years.iter().map(|y| y.year).collect::<Vec<_>>(), [2026, 2027, 2028]);
        for (y, p) in years.iter().zip([p2026, p2027, p2028]) {
            assert!((y.items.mean - p).abs() < 1e-12, "{} {p}", y.items.mean);
            assert!((y.mass_kg.mean - 20.0 * p).abs() < 1e-10);
            // 169 g of copper per kg.
            let cu = Material::ALL.iter().position(|m| *m == Material::Copper).unwrap();
            assert!((y.materials_kg[cu] - 20.0 * 0.169 * p).abs() < 1e-10);
        }
        // What is not in the horizon is beyond it.
        assert!((out.baseline.beyond_items - (1.0 - p2026 - p2027 - p2028)).abs() < 1e-12);
        // One item: it leaves or it does not; the band of its count is 0..1 when p < 0.95.
        assert_eq!((years[1].items.p5, years[1].items.p95), (0.0, 1.0));
        assert_eq!(out.count_method, Some(BandMethod::Exact));
    }

    #[test]
    fn an_item_past_its_tabulated_kernel_leaves_this_year() {
        let k = Kernel::Tabulated(Arc::new(Tabulated::new("t", 0.25, vec![0.5, 0.5], "").unwrap()));
        let f = fleet(k, &[(day(2020, 1, 1), 10.0), (day(2026, 12, 1), 5.0)]);
        let out = forecast(&f, day(2026, 12, 7), 2, &Levers::default());
        assert_eq!(out.overdue, 1);
        // The old one leaves now; the new one leaves in 2027 (a quarter or half a year on).
        assert!((out.baseline.years[0].mass_kg.mean - 10.0).abs() < 1e-12);
        assert!((out.baseline.years[1].mass_kg.mean - 5.0).abs() < 1e-12);
    }

    #[test]
    fn levers_shift_lives_and_harvest_parts() {
        // Everything leaves exactly one year after it starts.
        let k = Kernel::Tabulated(Arc::new(Tabulated::new("one year", 1.0, vec![1.0], "").unwrap()));
        let mut f = fleet(k, &[(day(2026, 6, 1), 10.0)]);
        // Give the item a DIMM piece of 1 kg.
        let mut pieces = f.pieces.to_vec();
        pieces.push(Piece { kind: AssetKind::Dimm, profile: None, kg: 1.0 });
        f.pieces = pieces.into();
        f.items[0].pieces.1 += 1;
        let levers = Levers {
            extension: Some(Shift { years: 1.0, share: 0.5 }),
            harvest: vec![(AssetKind::Dimm, 1.0)],
            ..Levers::default()
        };
        let out = forecast(&f, day(2026, 12, 7), 3, &levers);
        // Baseline: 11 kg in 2027. Scenario: half in 2027, half in 2028, 10 kg each (DIMM harvested).
        let b: Vec<f64> = out.baseline.years.iter().map(|y| y.mass_kg.mean).collect();
        assert_eq!(b, [0.0, 11.0, 0.0]);
        let s: Vec<f64> = out.scenario.unwrap().years.iter().map(|y| y.mass_kg.mean).collect();
        assert_eq!(s, [0.0, 5.0, 5.0]);
    }

    /// Draws the year each item leaves (index into the horizon, or the horizon's length for
    /// beyond it), T given T > a by inverting the Weibull CDF.
    fn draw(rng: &mut StdRng, w: &Weibull, items: &[(NaiveDate, f64)], today: NaiveDate, h: usize) -> Vec<usize> {
        let first = today.year();
        items
            .iter()
            .map(|(start, _)| {
                let a = ((today - *start).num_days() as f64).max(0.0) / 365.25;
                let fa = w.cdf(a);
                let u: f64 = rng.random_range(0.0..1.0);
                let p = fa + u * (1.0 - fa);
                let t = w.scale * (-(1.0 - p).ln()).powf(1.0 / w.shape);
                let leave = *start + chrono::Duration::days((t * 365.25) as i64);
                let y = (leave.year() - first) as usize;
                y.min(h)
            })
            .collect()
    }

    fn coverage(n_items: usize, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let today = day(2026, 12, 7);
        // Ages up to 9 years; masses from a DIMM to a DGX (skewed on purpose).
        let items: Vec<(NaiveDate, f64)> = (0..n_items)
            .map(|_| {
                let age_days = rng.random_range(0..3300);
                let kg = match rng.random_range(0..10) {
                    0 => 130.0,
                    1..=3 => 0.03,
                    _ => rng.random_range(15.0..30.0),
                };
                (today - chrono::Duration::days(age_days), kg)
            })
            .collect();
        let w = unu0307();
        let h = 6;
        let out = forecast(&fleet(Kernel::Weibull(w), &items), today, h as u16, &Levers::default());
        let runs = 2000;
        let mut count_le = vec![[0usize; 4]; h];
        let mut mass_le = vec![[0usize; 4]; h];
        let mut mass_sum = vec![0.0; h];
        for _ in 0..runs {
            let ys = draw(&mut rng, &w, &items, today, h);
            let mut counts = vec![0.0; h];
            let mut masses = vec![0.0; h];
            for (y, (_, kg)) in ys.iter().zip(&items) {
                if *y < h {
                    counts[*y] += 1.0;
                    masses[*y] += kg;
                }
            }
            for y in 0..h {
                let b = &out.baseline.years[y];
                count_le[y][0] += usize::from(counts[y] <= b.items.p95);
                count_le[y][1] += usize::from(counts[y] < b.items.p95);
                count_le[y][2] += usize::from(counts[y] <= b.items.p5);
                count_le[y][3] += usize::from(counts[y] < b.items.p5);
                // An exact mass band is exact up to each item's mass rounded to its grid
                // (μ + 12σ in MASS_BINS steps): allow a few steps.
                let tol = if n_items as u64 <= bands::EXACT_MAX {
                    4.0 * (b.mass_kg.mean + 12.0 * b.mass_kg.sd) / bands::MASS_BINS as f64
                } else {
                    0.0
                };
                mass_le[y][0] += usize::from(masses[y] <= b.mass_kg.p95 + tol);
                mass_le[y][1] += usize::from(masses[y] < b.mass_kg.p95 - tol);
                mass_le[y][2] += usize::from(masses[y] <= b.mass_kg.p5 + tol);
                mass_le[y][3] += usize::from(masses[y] < b.mass_kg.p5 - tol);
                mass_sum[y] += masses[y];
            }
        }
        let share = |k: usize| k as f64 / runs as f64;
        for y in 0..h {
            let b = &out.baseline.years[y];
            // The mean agrees with the simulation (standard error well below 2 %).
            let sim_mean = mass_sum[y] / runs as f64;
            assert!(
                (sim_mean - b.mass_kg.mean).abs() / b.mass_kg.mean < 0.03,
                "year {y}: {sim_mean} vs {}",
                b.mass_kg.mean
            );
            // A quantile q at level ℓ: P(X ≤ q) ≥ ℓ ≥ P(X < q) (atoms allowed, as at 0),
            // within the simulation's error (its standard error at 0.95 is 0.5 points).
            let quantile = |what: &str, le: usize, lt: usize, level: f64, tol: f64| {
                assert!(share(le) >= level - tol, "year {y} {what}: P(X ≤ q) = {}", share(le));
                assert!(share(lt) <= level + tol, "year {y} {what}: P(X < q) = {}", share(lt));
            };
            quantile("count p95", count_le[y][0], count_le[y][1], 0.95, 0.015);
            quantile("count p5", count_le[y][2], count_le[y][3], 0.05, 0.015);
            quantile("mass p95", mass_le[y][0], mass_le[y][1], 0.95, 0.02);
            quantile("mass p5", mass_le[y][2], mass_le[y][3], 0.05, 0.02);
        }
    }

    #[test]
    fn bands_cover_a_monte_carlo_run_on_a_small_fleet() {
        // 400 items: the count's distribution is exact.
        coverage(400, 11);
    }

    #[test]
    fn bands_cover_a_monte_carlo_run_on_a_larger_fleet() {
        // 1500 items (above EXACT_MAX): Cornish–Fisher for counts and masses.
        coverage(1500, 12);
    }
}
