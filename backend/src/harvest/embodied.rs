//! Embodied carbon of a part, for "embodied carbon kept in use": the catalog model's own
//! figure with the source it carries, else a per-kind default from
//! `refdata/embodied_defaults.csv` with that row's source, else none (counted as such).

use std::sync::OnceLock;

use crate::catalog::HardwareModel;
use crate::rules::AssetKind;

/// What a part's catalog model says that embodied carbon needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelFigures {
    pub label: String,
    pub embodied_kgco2e: Option<f64>,
    pub embodied_source: String,
    pub memory_gb: Option<f64>,
    pub storage_tb: Option<f64>,
}

impl From<&HardwareModel> for ModelFigures {
    fn from(m: &HardwareModel) -> Self {
        ModelFigures {
            label: m.label(),
            embodied_kgco2e: m.embodied_kgco2e,
            embodied_source: m.embodied_source.clone(),
            memory_gb: m.memory_gb,
            storage_tb: m.storage_tb,
        }
    }
}

/// A figure and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub kgco2e: f64,
    pub source: String,
}

#[derive(Clone, Debug)]
struct Default_ {
    kind: AssetKind,
    basis: String,
    value: f64,
    source: String,
}

const DEFAULTS_CSV: &str = include_str!("../../refdata/embodied_defaults.csv");

fn defaults() -> &'static [Default_] {
    static TABLE: OnceLock<Vec<Default_>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let body: String = DEFAULTS_CSV.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
        let mut out = Vec::new();
        let mut rdr = csv::Reader::from_reader(body.as_bytes());
        for rec in rdr.records().flatten() {
            let (Some(kind), Some(basis), Some(value), Some(source)) = (
                rec.get(0).and_then(AssetKind::parse),
                rec.get(1),
                rec.get(2).and_then(|v| v.parse().ok()),
                rec.get(3),
            ) else {
                continue;
            };
            out.push(Default_ { kind, basis: basis.to_owned(), value, source: source.to_owned() });
        }
        out
    })
}

/// The embodied carbon of one part of `kind` and `model`, whose mass is `mass_kg`.
pub fn for_part(kind: AssetKind, model: Option<&ModelFigures>, mass_kg: Option<f64>) -> Option<Figure> {
    if let Some(m) = model
        && let Some(v) = m.embodied_kgco2e
    {
        let source = if m.embodied_source.is_empty() {
            format!("catalog: {} (no source given)", m.label)
        } else {
            format!("catalog: {} ({})", m.label, m.embodied_source)
        };
        return Some(Figure { kgco2e: v, source });
    }
    let d = defaults().iter().find(|d| d.kind == kind)?;
    let factor = match d.basis.as_str() {
        "per_unit" => Some(1.0),
        "per_kg" => mass_kg,
        "per_gb" => model.and_then(|m| m.memory_gb),
        "per_tb" => model.and_then(|m| m.storage_tb),
        _ => None,
    }?;
    Some(Figure { kgco2e: d.value * factor, source: format!("default for {}: {}", kind.label(), d.source) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_scale_by_their_basis() {
        assert_eq!(defaults().len(), 7, "every row of embodied_defaults.csv parses");
        let hdd = for_part(AssetKind::Hdd, None, None).unwrap();
        assert_eq!(hdd.kgco2e, 31.1);
        assert!(hdd.source.contains("Boavizta"), "{}", hdd.source);
        let psu = for_part(AssetKind::Psu, None, Some(2.0)).unwrap();
        assert!((psu.kgco2e - 48.6).abs() < 1e-9);
        assert!(for_part(AssetKind::Psu, None, None).is_none(), "per kg needs a mass");
        assert!(for_part(AssetKind::Cpu, None, Some(0.1)).is_none(), "no CPU default");
        let mut dimm = ModelFigures { label: "Samsung M393".into(), memory_gb: Some(32.0), ..Default::default() };
        assert!((for_part(AssetKind::Dimm, Some(&dimm), None).unwrap().kgco2e - 52.8).abs() < 1e-9);
        dimm.embodied_kgco2e = Some(20.0);
        dimm.embodied_source = "vendor sheet".into();
        let own = for_part(AssetKind::Dimm, Some(&dimm), None).unwrap();
        assert_eq!((own.kgco2e, own.source.contains("vendor sheet")), (20.0, true));
    }
}
