//! The forecast's shipped defaults, compiled in from `backend/refdata/forecast/` (sources
//! and licences in `backend/refdata/README.md`). Pure: parsing only.
//!
//! - `unu_weibull_lifespans.csv`: Weibull shape and scale per UNU key (EU WEEE Calculation
//!   Tool manual, May 2023, Annex III).
//! - `genai_server_lifespan_kernel.csv`: the quarterly retirement kernel of generative-AI
//!   servers (Wang et al. 2024), by offset from its mean; entry j retires j + 1 quarters
//!   after install.
//! - `genai_demand_scenarios.csv`: the demand model's quarterly scenario columns,
//!   2020Q1–2030Q4 (Wang et al. 2024).

use std::sync::{Arc, OnceLock};

use super::kernel::{Tabulated, Weibull};

const UNU_CSV: &str = include_str!("../../refdata/forecast/unu_weibull_lifespans.csv");
const GENAI_KERNEL_CSV: &str = include_str!("../../refdata/forecast/genai_server_lifespan_kernel.csv");
/// The demand model's scenario table as shipped (also the template of a custom curve).
pub const DEMAND_CSV: &str = include_str!("../../refdata/forecast/genai_demand_scenarios.csv");

/// The UNU key of data-centre equipment, the default of items whose model names none.
pub const FALLBACK_UNU_KEY: &str = "0307";
/// Where the UNU Weibull defaults come from.
pub const UNU_SOURCE: &str =
    "EU WEEE Calculation Tool manual (May 2023), Annex III: Weibull lifespans per UNU key (NL/FR/BE)";
/// Where the generative-AI kernel and scenarios come from.
pub const GENAI_SOURCE: &str = "Wang, Zhang, Tzachor & Chen, E-waste challenges of generative artificial intelligence, Nat. Comput. Sci. 4, 818–823 (2024): scenario columns and retirement kernel";
/// The default mass of one generative-AI server, and why.
pub const SERVER_MASS_KG: f64 = 130.0;
pub const SERVER_MASS_SOURCE: &str =
    "a DGX-class 8-GPU server (NVIDIA DGX H100 data sheet: 130.45 kg), the mass behind the paper's 2.6 kt in 2023";

/// One row of the UNU table.
#[derive(Clone, Debug, PartialEq)]
pub struct UnuLifespan {
    pub key: String,
    pub product: String,
    pub weibull: Weibull,
    pub region: String,
    pub source: String,
}

/// The UNU table, read once. Rows that do not parse are left out (a unit test keeps every
/// row parsing).
pub fn unu_lifespans() -> &'static [UnuLifespan] {
    static TABLE: OnceLock<Vec<UnuLifespan>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rdr = csv::Reader::from_reader(UNU_CSV.as_bytes());
        rdr.records()
            .flatten()
            .filter_map(|r| {
                let shape = r.get(2)?.trim().parse().ok()?;
                let scale = r.get(3)?.trim().parse().ok()?;
                Some(UnuLifespan {
                    key: r.get(0)?.trim().to_owned(),
                    product: r.get(1)?.trim().to_owned(),
                    weibull: Weibull::new(shape, scale, "").ok()?,
                    region: r.get(4)?.trim().to_owned(),
                    source: r.get(5)?.trim().to_owned(),
                })
            })
            .collect()
    })
}

/// The shipped lifespan of a UNU key.
pub fn unu(key: &str) -> Option<&'static UnuLifespan> {
    unu_lifespans().iter().find(|u| u.key == key.trim())
}

/// The generative-AI server kernel (quarterly). An error only if the compiled-in file were
/// broken (a unit test reads it).
pub fn genai_kernel() -> Result<Arc<Tabulated>, String> {
    static KERNEL: OnceLock<Result<Arc<Tabulated>, String>> = OnceLock::new();
    KERNEL
        .get_or_init(|| {
            let mut rdr = csv::Reader::from_reader(GENAI_KERNEL_CSV.as_bytes());
            let probs: Vec<f64> =
                rdr.records().flatten().filter_map(|r| r.get(1).and_then(|v| v.trim().parse().ok())).collect();
            Tabulated::new("Generative-AI server kernel (Wang et al. 2024)", 0.25, probs, "")
                .map(Arc::new)
                .map_err(|e| format!("the shipped generative-AI kernel: {}", e[0]))
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::demand::{DemandTable, Scenario};
    use crate::rules::{ChipSupply, DemandScenario, EfficiencyPath};

    #[test]
    fn every_shipped_row_parses() {
        assert_eq!(unu_lifespans().len(), UNU_CSV.lines().count() - 1);
        let s = unu("0307").unwrap();
        assert_eq!((s.weibull.shape, s.weibull.scale), (1.46, 7.78));
        let k = genai_kernel().unwrap();
        assert_eq!(k.probs.len(), 24);
        // Mean: the kernel is centred on 12 quarters from its mean offset, entry j at j + 1
        // quarters: about 12.5 quarters, a bit over three years.
        assert!((k.mean() - 3.125).abs() < 0.01, "{}", k.mean());
        // Every scenario's columns are in the shipped table.
        for users in DemandScenario::ALL {
            for chips in ChipSupply::ALL {
                for efficiency in EfficiencyPath::ALL {
                    let s = Scenario {
                        users: *users,
                        chips: *chips,
                        efficiency: *efficiency,
                        extension_quarters: 0,
                        server_mass_kg: 130.0,
                    };
                    let t = DemandTable::read("table", DEMAND_CSV, &s.columns()).unwrap();
                    assert_eq!(t.len(), 44);
                }
            }
        }
    }
}
