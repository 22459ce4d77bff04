//! The demand-driven forecast of generative-AI servers: the quarterly
//! computational-power-driven material flow model of Wang et al. (2024). Pure.
//!
//! For quarter i (0-based), with 8 GPUs a server, 28 training days a model and 1000 tokens
//! a user a day, computed for training and inference separately and summed:
//!
//! - demand: Rt[i+1] = nt_para · nt_traindata · n_model / 86.4 / 28 / sparsity,
//!   Ri[i+1] = nt_para · ni_user · 1000 / 86.4 · 1.25 / sparsity, R[0] = 0;
//! - one server's capacity: P[i] = pt (or pi) · eff_t (or eff_i) · 8;
//! - retirements: O[i] = Σ_{j=0}^{min(i,L)−1} S[i−j−1] · k[j] (k the kernel, entry j
//!   retiring j + 1 quarters after install; a lifespan extension of q quarters prepends q
//!   zeros);
//! - installs: S[0] = ⌈(R[1] − R[0]) / P[0]⌉,
//!   S[i] = ⌈(R[i+1] − R[i] + Σ_{j=0}^{min(i,L)−1} P[i−j] · O[i−j]) / P[i]⌉
//!   (never below 0: a fall in demand installs nothing).
//!
//! The scenario columns choose users and model counts (aggressive, moderate,
//! conservative), the chip supply (as released, one year behind, catching up, immediate
//! upgrade) and the utilisation path (as it was, increasing). Waste mass is retirements
//! × the mass of one server. Levers: a lifetime extension for a share of servers mixes the
//! kernel with its shifted copy; redeployment gives a share of retired servers a second
//! life (their waste comes later, installs are unchanged); harvest takes the
//! `composition`-weighted share of the mass; efficiency gains raise P from a year on.

use super::input::{Problem, Problems, Table};
use super::levers::Levers;
use crate::rules::{ChipSupply, DemandScenario, EfficiencyPath};

/// GPUs in one server.
pub const GPUS_PER_SERVER: f64 = 8.0;
/// Largest lifespan extension in the scenario columns (quarters).
pub const EXTENSION_MAX_QUARTERS: u32 = 40;

/// The quarterly inputs, by column name.
#[derive(Clone, Debug, PartialEq)]
pub struct DemandTable {
    /// (year, quarter 1–4) of each row, consecutive.
    pub quarters: Vec<(i32, u8)>,
    columns: Vec<(String, Vec<f64>)>,
}

/// The columns every table needs, whatever the scenario.
pub const BASE_COLUMNS: &[&str] = &["quarter", "nt_para_billion", "nt_traindata_billion_tokens", "sparsity"];

/// The scenario choices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scenario {
    pub users: DemandScenario,
    pub chips: ChipSupply,
    pub efficiency: EfficiencyPath,
    /// Quarters added to every server's life (prepended zeros of the kernel).
    pub extension_quarters: u32,
    pub server_mass_kg: f64,
}

impl Scenario {
    /// The columns this scenario reads.
    pub fn columns(&self) -> Vec<String> {
        let (pt, pi) = match self.chips {
            ChipSupply::Base => ("pt_training".to_owned(), "pi_inference".to_owned()),
            other => (format!("pt_{}", other.as_str()), format!("pi_{}", other.as_str())),
        };
        let (et, ei) = match self.efficiency {
            EfficiencyPath::Base => ("eff_t", "eff_i"),
            EfficiencyPath::Increase => ("eff_t_increase", "eff_i_increase"),
        };
        let mut out: Vec<String> = BASE_COLUMNS.iter().map(|s| (*s).to_owned()).collect();
        out.extend([
            format!("ni_user_{}", self.users.as_str()),
            format!("n_model_{}", self.users.as_str()),
            pt,
            pi,
            et.to_owned(),
            ei.to_owned(),
        ]);
        out
    }

    pub fn check(&self, prefix: &str) -> Vec<Problem> {
        let mut p = Problems::default();
        if self.extension_quarters > EXTENSION_MAX_QUARTERS {
            p.add(
                format!("{prefix}lifespan_extension_quarters"),
                format!("must be from 0 to {EXTENSION_MAX_QUARTERS} quarters"),
            );
        }
        if !(self.server_mass_kg.is_finite() && self.server_mass_kg > 0.0 && self.server_mass_kg <= 10_000.0) {
            p.add(
                format!("{prefix}server_mass_kg"),
                format!("must be more than 0 and at most 10000 kg (got {})", self.server_mass_kg),
            );
        }
        p.0
    }
}

/// "2020Q1" → (2020, 1).
fn quarter(label: &str) -> Option<(i32, u8)> {
    let (y, q) = label.trim().split_once(['Q', 'q'])?;
    let y = y.parse::<i32>().ok().filter(|y| (1990..=2150).contains(y))?;
    let q = q.parse::<u8>().ok().filter(|q| (1..=4).contains(q))?;
    Some((y, q))
}

impl DemandTable {
    /// Reads a table, checking the columns `needed` (every missing one named), every cell
    /// of them a number (named by row and column), the quarters consecutive.
    pub fn read(field: &str, text: &str, needed: &[String]) -> Result<DemandTable, Vec<Problem>> {
        let t = Table::read(field, text)?;
        let names: Vec<&str> = needed.iter().map(String::as_str).collect();
        let cols = t.columns(field, &names)?;
        let mut p = Problems::default();
        let mut quarters = Vec::with_capacity(t.rows.len());
        for r in 0..t.rows.len() {
            let label = t.text(r, cols[0]);
            match quarter(label) {
                Some(q) => quarters.push(q),
                None => {
                    p.add(field, format!("row {}, column `quarter`: `{label}` is not a quarter like 2024Q3", r + 2))
                }
            }
        }
        for (i, w) in quarters.windows(2).enumerate() {
            let next = if w[0].1 == 4 { (w[0].0 + 1, 1) } else { (w[0].0, w[0].1 + 1) };
            if w[1] != next {
                p.add(
                    field,
                    format!("row {}: quarter {}Q{} does not follow {}Q{}", i + 3, w[1].0, w[1].1, w[0].0, w[0].1),
                );
            }
        }
        let mut columns = Vec::new();
        for (name, c) in names.iter().zip(&cols).skip(1) {
            let values: Vec<f64> = (0..t.rows.len()).map(|r| t.number(field, r, *c, name, &mut p)).collect();
            if *name == "sparsity" || name.starts_with("pt_") || name.starts_with("pi_") || name.starts_with("eff_") {
                if let Some(r) = values.iter().position(|v| v.is_finite() && *v <= 0.0) {
                    p.add(field, format!("row {}, column `{name}`: must be more than 0", r + 2));
                }
            } else if let Some(r) = values.iter().position(|v| v.is_finite() && *v < 0.0) {
                p.add(field, format!("row {}, column `{name}`: must be 0 or more", r + 2));
            }
            columns.push(((*name).to_owned(), values));
        }
        p.into_result(DemandTable { quarters, columns })
    }

    fn col(&self, name: &str) -> &[f64] {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice()).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.quarters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.quarters.is_empty()
    }
}

/// One quarter of the model.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quarter {
    pub year: i32,
    pub quarter: u8,
    pub installed_training: f64,
    pub installed_inference: f64,
    pub retired_training: f64,
    pub retired_inference: f64,
    /// Servers that become waste this quarter (after redeployment), and their mass.
    pub waste_servers: f64,
    pub waste_t: f64,
    pub harvested_t: f64,
}

/// One year, summed over its quarters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Year {
    pub year: i32,
    pub installed: f64,
    pub retired: f64,
    pub waste_servers: f64,
    pub waste_t: f64,
    pub harvested_t: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub quarters: Vec<Quarter>,
    pub years: Vec<Year>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Forecast {
    pub baseline: Series,
    pub scenario: Option<Series>,
    pub harvested_fraction: f64,
}

/// Runs the model on `table` (read with at least `s.columns()`), with `kernel` (entry j:
/// the share retiring j + 1 quarters after install).
pub fn forecast(table: &DemandTable, s: &Scenario, kernel: &[f64], levers: &Levers) -> Forecast {
    let mut k: Vec<f64> = vec![0.0; s.extension_quarters as usize];
    k.extend_from_slice(kernel);
    let harvested_fraction = levers.harvested_fraction(levers.composition.as_deref().unwrap_or(&[]));
    let baseline = run(table, s, &k, &Levers::default(), 0.0);
    let scenario = (!levers.is_empty()).then(|| run(table, s, &k, levers, harvested_fraction));
    Forecast { baseline, scenario, harvested_fraction }
}

fn run(table: &DemandTable, s: &Scenario, base_kernel: &[f64], levers: &Levers, harvest: f64) -> Series {
    let n = table.len();
    // The kernel, mixed with its shifted copy for the extended share.
    let mut k = base_kernel.to_vec();
    if let Some(e) = levers.extension {
        let q = (e.years * 4.0).round() as usize;
        let mut mixed = vec![0.0; k.len() + q];
        for (j, v) in k.iter().enumerate() {
            mixed[j] += (1.0 - e.share) * v;
            mixed[j + q] += e.share * v;
        }
        k = mixed;
    }
    let cols = s.columns();
    let para = table.col("nt_para_billion");
    let data = table.col("nt_traindata_billion_tokens");
    let sparsity = table.col("sparsity");
    let users = table.col(&cols[4]);
    let models = table.col(&cols[5]);
    let (pt, pi, et, ei) = (table.col(&cols[6]), table.col(&cols[7]), table.col(&cols[8]), table.col(&cols[9]));
    let gain = |i: usize| match levers.efficiency {
        Some(e) => {
            let (y, q) = table.quarters[i];
            let t = f64::from(y) + (f64::from(q) - 1.0) / 4.0 + 0.125;
            (1.0 + e.yearly).powf((t - (f64::from(e.from_year) + 0.5)).max(0.0))
        }
        None => 1.0,
    };
    let mut demand_t = vec![0.0; n + 1];
    let mut demand_i = vec![0.0; n + 1];
    let mut cap_t = vec![0.0; n];
    let mut cap_i = vec![0.0; n];
    for i in 0..n {
        demand_t[i + 1] = para[i] * data[i] * models[i] / 86.4 / 28.0 / sparsity[i];
        demand_i[i + 1] = para[i] * users[i] * 1000.0 / 86.4 * 1.25 / sparsity[i];
        cap_t[i] = pt[i] * et[i] * GPUS_PER_SERVER * gain(i);
        cap_i[i] = pi[i] * ei[i] * GPUS_PER_SERVER * gain(i);
    }
    let (st, ot) = flows(&demand_t, &cap_t, &k);
    let (si, oi) = flows(&demand_i, &cap_i, &k);
    let mass_t = s.server_mass_kg / 1000.0;
    let redeploy = levers.redeployment;
    let retired = |i: usize| ot[i] + oi[i];
    let mut quarters = Vec::with_capacity(n);
    for i in 0..n {
        let leaving = match redeploy {
            Some(r) => {
                let lag = (r.years * 4.0).round() as usize;
                (1.0 - r.share) * retired(i) + if i >= lag { r.share * retired(i - lag) } else { 0.0 }
            }
            None => retired(i),
        };
        let (year, quarter) = table.quarters[i];
        quarters.push(Quarter {
            year,
            quarter,
            installed_training: st[i],
            installed_inference: si[i],
            retired_training: ot[i],
            retired_inference: oi[i],
            waste_servers: leaving * (1.0 - harvest),
            waste_t: leaving * mass_t * (1.0 - harvest),
            harvested_t: leaving * mass_t * harvest,
        });
    }
    let mut years: Vec<Year> = Vec::new();
    for q in &quarters {
        if years.last().is_none_or(|y| y.year != q.year) {
            years.push(Year { year: q.year, ..Year::default() });
        }
        if let Some(y) = years.last_mut() {
            y.installed += q.installed_training + q.installed_inference;
            y.retired += q.retired_training + q.retired_inference;
            y.waste_servers += q.waste_servers;
            y.waste_t += q.waste_t;
            y.harvested_t += q.harvested_t;
        }
    }
    Series { quarters, years }
}

/// ⌈x⌉, not counting floating-point noise a hair above a whole number as another server.
fn ceil(x: f64) -> f64 {
    (x - x.abs().max(1.0) * 1e-12).ceil()
}

/// Installs and retirements of one stream (training or inference).
fn flows(demand: &[f64], cap: &[f64], k: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = cap.len();
    let l = k.len();
    let mut s = vec![0.0; n];
    let mut o = vec![0.0; n];
    for i in 0..n {
        o[i] = (0..i.min(l)).map(|j| s[i - j - 1] * k[j]).sum();
        let replaced: f64 = if i == 0 { 0.0 } else { (0..i.min(l)).map(|j| cap[i - j] * o[i - j]).sum() };
        s[i] = ceil((demand[i + 1] - demand[i] + replaced) / cap[i]).max(0.0);
    }
    (s, o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::levers::Shift;

    fn scenario() -> Scenario {
        Scenario {
            users: DemandScenario::Aggressive,
            chips: ChipSupply::Base,
            efficiency: EfficiencyPath::Base,
            extension_quarters: 0,
            server_mass_kg: 100.0,
        }
    }

    const HEADER: &str = "quarter,nt_para_billion,nt_traindata_billion_tokens,sparsity,ni_user_aggressive,n_model_aggressive,pt_training,pi_inference,eff_t,eff_i";

    #[test]
    fn the_recurrence_on_a_small_hand_worked_input() {
        // Training only (no users): demand Rt = para · data · models / 86.4 / 28 / sparsity.
        // Choose para·data/86.4/28 = 1 (para = 86.4, data = 28) and capacity P = pt·eff·8 = 1
        // (pt = 0.25, eff = 0.5): demand is the model count, one server per unit.
        let rows = [(1, 4.0), (2, 6.0), (3, 6.0), (4, 9.0)];
        let mut csv = format!("{HEADER}\n");
        for (q, models) in rows {
            csv.push_str(&format!("2024Q{q},86.4,28,1,0,{models},0.25,0.25,0.5,0.5\n"));
        }
        let s = scenario();
        let t = DemandTable::read("demand_csv", &csv, &s.columns()).unwrap();
        // Kernel: half retire one quarter after install, half two quarters after.
        let f = forecast(&t, &s, &[0.5, 0.5], &Levers::default());
        let q = &f.baseline.quarters;
        // By hand, R = [0, 4, 6, 6, 9], P = 1:
        // i=0: O = 0;                 S = ⌈4 − 0⌉ = 4
        // i=1: O = S0·k0 = 2;         S = ⌈6 − 4 + P·O1⌉ = ⌈2 + 2⌉ = 4
        // i=2: O = S1·k0 + S0·k1 = 2 + 2 = 4;  S = ⌈0 + (O2 + O1)⌉ = ⌈4 + 2⌉ = 6
        // i=3: O = S2·k0 + S1·k1 = 3 + 2 = 5;  S = ⌈3 + (O3 + O2)⌉ = ⌈3 + 5 + 4⌉ = 12
        let installed: Vec<f64> = q.iter().map(|x| x.installed_training).collect();
        let retired: Vec<f64> = q.iter().map(|x| x.retired_training).collect();
        assert_eq!(installed, [4.0, 4.0, 6.0, 12.0]);
        assert_eq!(retired, [0.0, 2.0, 4.0, 5.0]);
        // No users: inference installs nothing.
        assert!(q.iter().all(|x| x.installed_inference == 0.0));
        // 11 servers retired in 2024 at 100 kg: 1.1 t.
        assert_eq!(f.baseline.years.len(), 1);
        assert!((f.baseline.years[0].waste_t - 1.1).abs() < 1e-12);
    }

    #[test]
    fn redeployment_delays_waste_and_keeps_installs() {
        let mut csv = format!("{HEADER}\n");
        for (q, models) in [(1, 4.0), (2, 6.0), (3, 6.0), (4, 9.0)] {
            csv.push_str(&format!("2024Q{q},86.4,28,1,0,{models},0.25,0.25,0.5,0.5\n"));
        }
        let s = scenario();
        let t = DemandTable::read("demand_csv", &csv, &s.columns()).unwrap();
        let levers = Levers { redeployment: Some(Shift { years: 0.25, share: 0.5 }), ..Levers::default() };
        let f = forecast(&t, &s, &[0.5, 0.5], &levers);
        let sc = f.scenario.unwrap();
        // Retired [0, 2, 4, 5]; half waits one quarter: waste [0, 1, 3, 4.5].
        let waste: Vec<f64> = sc.quarters.iter().map(|x| x.waste_servers).collect();
        assert_eq!(waste, [0.0, 1.0, 3.0, 4.5]);
        assert_eq!(sc.quarters[3].installed_training, 12.0);
    }

    #[test]
    fn bad_tables_are_named_by_row_and_column() {
        let s = scenario();
        let e = DemandTable::read("demand_csv", "quarter,nt_para_billion\n2024Q1,1\n", &s.columns()).unwrap_err();
        assert!(e.iter().any(|p| p.message.starts_with("has no column `sparsity`")), "{e:?}");
        let bad = format!("{HEADER}\n2024Q1,1,1,1,1,1,1,1,1,1\n2024Q3,1,1,1,x,1,1,1,1,1\n");
        let e = DemandTable::read("demand_csv", &bad, &s.columns()).unwrap_err();
        let msgs: Vec<&str> = e.iter().map(|p| p.message.as_str()).collect();
        assert!(msgs.contains(&"row 3: quarter 2024Q3 does not follow 2024Q1"), "{msgs:?}");
        assert!(msgs.contains(&"row 3, column `ni_user_aggressive`: `x` is not a number"), "{msgs:?}");
        let zero = format!("{HEADER}\n2024Q1,1,1,0,1,1,1,1,1,1\n");
        let e = DemandTable::read("demand_csv", &zero, &s.columns()).unwrap_err();
        assert_eq!(e[0].message, "row 2, column `sparsity`: must be more than 0");
    }
}
