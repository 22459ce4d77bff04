//! Vendor footprint sheets compiled into the binary: Boavizta's data-centre rows
//! (`backend/refdata/boavizta_datacenter_footprints.csv`, ODbL 1.0, © Boavizta
//! contributors; see `backend/refdata/README.md`).

use anyhow::{Context, bail};

/// The CSV as shipped in the repository.
pub const BOAVIZTA_CSV: &str = include_str!("../../refdata/boavizta_datacenter_footprints.csv");

/// How catalog sources name the file.
pub const BOAVIZTA_CITE: &str = "Boavizta environmental-footprint-data (ODbL 1.0, © Boavizta contributors; reloop refdata/boavizta_datacenter_footprints.csv)";

/// One vendor footprint sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct Footprint {
    pub manufacturer: String,
    pub name: String,
    pub subcategory: String,
    /// Whole-life footprint in kgCO2e.
    pub gwp_total: Option<f64>,
    pub gwp_use_ratio: Option<f64>,
    pub gwp_manufacturing_ratio: Option<f64>,
    pub yearly_tec_kwh: Option<f64>,
    pub lifetime_years: Option<f64>,
    pub use_location: String,
    pub report_date: String,
    pub weight_kg: Option<f64>,
    pub hard_drive: String,
    pub memory_gb: Option<f64>,
    pub number_cpu: Option<f64>,
    pub sources: String,
}

/// How an embodied figure was derived from a sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct Embodied {
    pub kgco2e: f64,
    /// The arithmetic, e.g. "7730 kgCO2e total × manufacturing share 0.166".
    pub method: String,
}

impl Footprint {
    /// The cradle-to-gate share of the sheet's total: total × manufacturing share, or, where
    /// the sheet gives only the use share, total × (1 − use share) (which then also counts
    /// transport and end of life).
    pub fn embodied(&self) -> Option<Embodied> {
        let total = self.gwp_total?;
        if let Some(m) = self.gwp_manufacturing_ratio {
            return Some(Embodied {
                kgco2e: round1(total * m),
                method: format!("{total} kgCO2e total × manufacturing share {m}"),
            });
        }
        let u = self.gwp_use_ratio?;
        Some(Embodied {
            kgco2e: round1(total * (1.0 - u)),
            method: format!(
                "{total} kgCO2e total × (1 − use share {u}); the sheet gives no manufacturing share, so this non-use share also counts transport and end of life"
            ),
        })
    }

    /// The vendor sheet's address, without tracking parameters (HPE's links carry a
    /// long query string after the document id).
    pub fn sheet_url(&self) -> &str {
        let s = self.sources.trim();
        s.split('&').next().unwrap_or(s)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The parsed sheets.
#[derive(Clone, Debug)]
pub struct Footprints(pub Vec<Footprint>);

impl Footprints {
    /// The sheets compiled into the binary.
    pub fn embedded() -> anyhow::Result<Footprints> {
        parse(BOAVIZTA_CSV).context("reading refdata/boavizta_datacenter_footprints.csv")
    }

    /// The sheet with exactly this manufacturer and name (as spelt in the CSV).
    pub fn find(&self, manufacturer: &str, name: &str) -> anyhow::Result<&Footprint> {
        self.0
            .iter()
            .find(|f| f.manufacturer == manufacturer && f.name == name)
            .with_context(|| format!("the Boavizta data has no sheet for {manufacturer} {name}"))
    }
}

/// Parses the Boavizta CSV; a missing column or an unreadable number is an error naming the
/// line.
pub fn parse(text: &str) -> anyhow::Result<Footprints> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let headers = rdr.headers().context("reading the header line")?.clone();
    let col = |name: &str| -> anyhow::Result<usize> {
        headers.iter().position(|h| h.trim() == name).with_context(|| format!("the header has no column {name:?}"))
    };
    let c_mfr = col("manufacturer")?;
    let c_name = col("name")?;
    let c_sub = col("subcategory")?;
    let c_total = col("gwp_total")?;
    let c_use = col("gwp_use_ratio")?;
    let c_mfg = col("gwp_manufacturing_ratio")?;
    let c_tec = col("yearly_tec")?;
    let c_life = col("lifetime")?;
    let c_loc = col("use_location")?;
    let c_date = col("report_date")?;
    let c_weight = col("weight")?;
    let c_hdd = col("hard_drive")?;
    let c_mem = col("memory")?;
    let c_cpu = col("number_cpu")?;
    let c_src = col("sources")?;

    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.context("reading a record")?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let text = |i: usize| rec.get(i).unwrap_or("").trim().to_owned();
        let num = |i: usize, field: &str| -> anyhow::Result<Option<f64>> {
            let s = rec.get(i).unwrap_or("").trim();
            if s.is_empty() {
                return Ok(None);
            }
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => bail!("line {line}: {field} {s:?} is not a number"),
            }
        };
        let row = Footprint {
            manufacturer: text(c_mfr),
            name: text(c_name),
            subcategory: text(c_sub),
            gwp_total: num(c_total, "gwp_total")?,
            gwp_use_ratio: num(c_use, "gwp_use_ratio")?,
            gwp_manufacturing_ratio: num(c_mfg, "gwp_manufacturing_ratio")?,
            yearly_tec_kwh: num(c_tec, "yearly_tec")?,
            lifetime_years: num(c_life, "lifetime")?,
            use_location: text(c_loc),
            report_date: text(c_date),
            weight_kg: num(c_weight, "weight")?,
            hard_drive: text(c_hdd),
            memory_gb: num(c_mem, "memory")?,
            number_cpu: num(c_cpu, "number_cpu")?,
            sources: text(c_src),
        };
        if row.manufacturer.is_empty() || row.name.is_empty() {
            bail!("line {line}: manufacturer and name are required");
        }
        for (v, field) in
            [(row.gwp_use_ratio, "gwp_use_ratio"), (row.gwp_manufacturing_ratio, "gwp_manufacturing_ratio")]
        {
            if let Some(r) = v
                && !(0.0..=1.0).contains(&r)
            {
                bail!("line {line}: {field} {r} is not a share between 0 and 1");
            }
        }
        out.push(row);
    }
    Ok(Footprints(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_csv_parses() {
        let fp = Footprints::embedded().expect("parses");
        assert_eq!(fp.0.len(), 71);
        let r740 = fp.find("Dell", "PowerEdge R740").expect("R740");
        assert_eq!(r740.weight_kg, Some(26.3));
        let e = r740.embodied().expect("embodied");
        assert!((e.kgco2e - 1313.3).abs() < 0.05, "{e:?}");
        let exos = fp.find("Seagate", "Exos X12 ST12000NM0007 12TB").expect("Exos");
        assert!((exos.embodied().expect("embodied").kgco2e - 16.2).abs() < 0.05);
        assert!(fp.0.iter().all(|f| !f.sources.is_empty()));
    }

    #[test]
    fn hpe_links_lose_their_tracking_parameters() {
        let fp = Footprints::embedded().expect("parses");
        let dl380 = fp.find("HP", "ProLiant DL380 Gen10 server4").expect("DL380");
        assert!(dl380.sheet_url().ends_with("?id=a50004545enw"), "{}", dl380.sheet_url());
    }

    #[test]
    fn bad_numbers_are_errors() {
        let csv = "manufacturer,name,subcategory,gwp_total,gwp_use_ratio,gwp_manufacturing_ratio,gwp_error_ratio,yearly_tec,lifetime,use_location,report_date,weight,server_type,hard_drive,memory,number_cpu,height,sources\nDell,X,Server,lots,,,,,,,,,,,,,,\n";
        let err = parse(csv).expect_err("refused");
        assert!(format!("{err:#}").contains("gwp_total"), "{err:#}");
    }
}
