//! The demo catalog: server models from the Boavizta vendor sheets, two NVIDIA DGX systems,
//! and the parts the demo registers inside them, each figure with its source.
//!
//! Masses follow the catalog invariant (`crate::catalog`): a model's mass is the item
//! alone. A vendor sheet weighs the whole configured server, so a server model's own mass
//! is the sheet mass minus the parts the demo registers inside it ([`ServerConfig`]); a
//! server built to its demo configuration then totals the vendor figure.
//!
//! Embodied figures are different: a vendor sheet's cradle-to-gate figure covers the whole
//! configured server, parts included, and the demo keeps it that way (the specs say so in
//! `embodied_scope`). Part figures are for the part alone (spares, harvested parts).

use std::collections::HashMap;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::refdata::{BOAVIZTA_CITE, Footprint, Footprints};
use crate::catalog::NewModel;
use crate::rules::AssetKind;

/// A catalog entry with the key the fleet plan uses for it.
#[derive(Clone, Debug)]
pub struct ModelDef {
    pub key: &'static str,
    pub model: NewModel,
}

/// GPUs of a GPU server and where they sit.
#[derive(Clone, Copy, Debug)]
pub struct GpuSet {
    pub gpu: &'static str,
    pub count: usize,
    /// A separate GPU baseboard (HGX) in the server, or `None` for cards on the main board.
    pub baseboard: Option<&'static str>,
}

/// What the demo registers inside one server of a model, by catalog key.
#[derive(Clone, Copy, Debug)]
pub struct ServerConfig {
    pub key: &'static str,
    pub server: &'static str,
    pub board: &'static str,
    pub cpu: &'static str,
    pub cpus: usize,
    pub dimm: &'static str,
    pub dimms: usize,
    pub gpus: Option<GpuSet>,
    /// Drives on the main board (M.2).
    pub board_drives: &'static [(&'static str, usize)],
    /// Drives in the server's bays.
    pub drives: &'static [(&'static str, usize)],
    pub psu: &'static str,
    pub psus: usize,
    pub nics: &'static [(&'static str, usize)],
}

impl ServerConfig {
    /// Every part registered inside the server, as (catalog key, count).
    pub fn parts(&self) -> Vec<(&'static str, usize)> {
        let mut out = vec![(self.board, 1), (self.cpu, self.cpus), (self.dimm, self.dimms)];
        if let Some(g) = self.gpus {
            out.push((g.gpu, g.count));
            if let Some(b) = g.baseboard {
                out.push((b, 1));
            }
        }
        out.extend(self.board_drives.iter().copied());
        out.extend(self.drives.iter().copied());
        out.push((self.psu, self.psus));
        out.extend(self.nics.iter().copied());
        out
    }

    pub fn has_gpus(&self) -> bool {
        self.gpus.is_some()
    }
}

/// The demo's server configurations (one per server model).
pub const CONFIGS: &[ServerConfig] = &[
    ServerConfig {
        key: "r640",
        server: "srv.dell.r640",
        board: "board.dell.r640",
        cpu: "cpu.xeon.6248",
        cpus: 2,
        dimm: "dimm.samsung.32g.ddr4.2933",
        dimms: 12,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.samsung.pm883.960", 2), ("hdd.seagate.10e2400", 4)],
        psu: "psu.dell.750",
        psus: 2,
        nics: &[("nic.cx4lx", 1)],
    },
    ServerConfig {
        key: "r740",
        server: "srv.dell.r740",
        board: "board.dell.r740",
        cpu: "cpu.xeon.6248",
        cpus: 2,
        dimm: "dimm.samsung.32g.ddr4.2933",
        dimms: 16,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.samsung.pm883.960", 2), ("hdd.seagate.10e2400", 6)],
        psu: "psu.dell.1100",
        psus: 2,
        nics: &[("nic.cx4lx", 1)],
    },
    ServerConfig {
        key: "r740xd",
        server: "srv.dell.r740xd",
        board: "board.dell.r740xd",
        cpu: "cpu.xeon.4214",
        cpus: 2,
        dimm: "dimm.samsung.32g.ddr4.2933",
        dimms: 8,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.samsung.pm883.960", 2), ("hdd.seagate.exos.x12", 12)],
        psu: "psu.dell.1100",
        psus: 2,
        nics: &[("nic.cx4lx", 1)],
    },
    ServerConfig {
        key: "r6515",
        server: "srv.dell.r6515",
        board: "board.dell.r6515",
        cpu: "cpu.epyc.7502p",
        cpus: 1,
        dimm: "dimm.hynix.32g.ddr4.3200",
        dimms: 8,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.samsung.pm883.960", 2)],
        psu: "psu.dell.750",
        psus: 2,
        nics: &[("nic.cx4lx", 1)],
    },
    ServerConfig {
        key: "r6525",
        server: "srv.dell.r6525",
        board: "board.dell.r6525",
        cpu: "cpu.epyc.7543",
        cpus: 2,
        dimm: "dimm.samsung.64g.ddr4.3200",
        dimms: 16,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.samsung.pm883.960", 2), ("nvme.samsung.pm1733.3t84", 4)],
        psu: "psu.dell.1400",
        psus: 2,
        nics: &[("nic.cx6dx", 1)],
    },
    ServerConfig {
        key: "r7515",
        server: "srv.dell.r7515",
        board: "board.dell.r7515",
        cpu: "cpu.epyc.7502p",
        cpus: 1,
        dimm: "dimm.samsung.64g.ddr4.3200",
        dimms: 8,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.samsung.pm883.960", 2), ("hdd.seagate.exos.x12", 12)],
        psu: "psu.dell.1100",
        psus: 2,
        nics: &[("nic.cx6dx", 1)],
    },
    ServerConfig {
        key: "dl380g10",
        server: "srv.hpe.dl380g10",
        board: "board.hpe.dl380g10",
        cpu: "cpu.xeon.6248",
        cpus: 2,
        dimm: "dimm.hynix.32g.ddr4.3200",
        dimms: 12,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.samsung.pm883.960", 2), ("hdd.seagate.10e2400", 4)],
        psu: "psu.hpe.800",
        psus: 2,
        nics: &[("nic.cx4lx", 1)],
    },
    ServerConfig {
        key: "dl385g10",
        server: "srv.hpe.dl385g10",
        board: "board.hpe.dl385g10",
        cpu: "cpu.epyc.7302",
        cpus: 2,
        dimm: "dimm.hynix.32g.ddr4.3200",
        dimms: 16,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.samsung.pm883.960", 2), ("nvme.samsung.pm1733.3t84", 2)],
        psu: "psu.hpe.800",
        psus: 2,
        nics: &[("nic.cx6dx", 1)],
    },
    ServerConfig {
        key: "dl365g10p",
        server: "srv.hpe.dl365g10p",
        board: "board.hpe.dl365g10p",
        cpu: "cpu.epyc.7543",
        cpus: 2,
        dimm: "dimm.samsung.64g.ddr4.3200",
        dimms: 16,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.seagate.nytro1551", 2), ("nvme.samsung.pm1733.3t84", 2)],
        psu: "psu.hpe.800",
        psus: 2,
        nics: &[("nic.cx6dx", 1)],
    },
    ServerConfig {
        key: "sr635",
        server: "srv.lenovo.sr635",
        board: "board.lenovo.sr635",
        cpu: "cpu.epyc.7502p",
        cpus: 1,
        dimm: "dimm.hynix.32g.ddr4.3200",
        dimms: 8,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.seagate.nytro1551", 2)],
        psu: "psu.lenovo.750",
        psus: 2,
        nics: &[("nic.cx4lx", 1)],
    },
    ServerConfig {
        key: "sr645",
        server: "srv.lenovo.sr645",
        board: "board.lenovo.sr645",
        cpu: "cpu.epyc.7763",
        cpus: 2,
        dimm: "dimm.samsung.64g.ddr4.3200",
        dimms: 16,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.seagate.nytro1551", 2), ("nvme.samsung.pm1733.3t84", 2)],
        psu: "psu.lenovo.750",
        psus: 2,
        nics: &[("nic.cx6dx", 1)],
    },
    ServerConfig {
        key: "sr665",
        server: "srv.lenovo.sr665",
        board: "board.lenovo.sr665",
        cpu: "cpu.epyc.7543",
        cpus: 2,
        dimm: "dimm.samsung.64g.ddr4.3200",
        dimms: 16,
        gpus: None,
        board_drives: &[],
        drives: &[("ssd.seagate.nytro1551", 2), ("nvme.samsung.pm1733.3t84", 4)],
        psu: "psu.lenovo.1100",
        psus: 2,
        nics: &[("nic.cx6dx", 1)],
    },
    ServerConfig {
        key: "r7625",
        server: "srv.dell.r7625",
        board: "board.dell.r7625",
        cpu: "cpu.epyc.9654",
        cpus: 2,
        dimm: "dimm.samsung.64g.ddr5.4800",
        dimms: 24,
        gpus: Some(GpuSet { gpu: "gpu.nvidia.l4", count: 2, baseboard: None }),
        board_drives: &[],
        drives: &[("ssd.samsung.pm883.960", 2), ("nvme.samsung.pm1733.3t84", 4)],
        psu: "psu.dell.1400",
        psus: 2,
        nics: &[("nic.cx6dx", 1)],
    },
    ServerConfig {
        key: "dgx-a100",
        server: "srv.nvidia.dgx-a100",
        board: "board.nvidia.dgx-a100",
        cpu: "cpu.epyc.7742",
        cpus: 2,
        dimm: "dimm.samsung.64g.ddr4.3200",
        dimms: 32,
        gpus: Some(GpuSet { gpu: "gpu.nvidia.a100", count: 8, baseboard: Some("board.nvidia.hgx-a100") }),
        board_drives: &[("nvme.samsung.pm983.1t92", 2)],
        drives: &[("nvme.samsung.pm1733.3t84", 8)],
        psu: "psu.nvidia.dgx-a100",
        psus: 6,
        nics: &[("nic.cx6vpi", 8), ("nic.cx6dx", 2)],
    },
    ServerConfig {
        key: "dgx-h100",
        server: "srv.nvidia.dgx-h100",
        board: "board.nvidia.dgx-h100",
        cpu: "cpu.xeon.8480c",
        cpus: 2,
        dimm: "dimm.samsung.64g.ddr5.4800",
        dimms: 32,
        gpus: Some(GpuSet { gpu: "gpu.nvidia.h100", count: 8, baseboard: Some("board.nvidia.hgx-h100") }),
        board_drives: &[("nvme.samsung.pm983.1t92", 2)],
        drives: &[("nvme.samsung.pm1733.3t84", 8)],
        psu: "psu.nvidia.dgx-h100",
        psus: 6,
        nics: &[("nic.cx7", 8), ("nic.cx6dx", 2)],
    },
];

/// The configuration with this key.
pub fn config(key: &str) -> anyhow::Result<&'static ServerConfig> {
    CONFIGS.iter().find(|c| c.key == key).with_context(|| format!("no demo server configuration {key:?}"))
}

// --- provenance texts ---------------------------------------------------------------

const TYPICAL: &str = "typical value, DOMAIN.md §4 (check)";
const BOAVIZTA_UBA: &str = "Boavizta component factors from UBA 2021, via DOMAIN.md §4";
const GREENSKU: &str = "Azure GreenSKU (ISCA 2024), via DOMAIN.md §4";
const CPU_MASS: f64 = 0.1;
const DIMM_MASS: f64 = 0.03;
const PSU_MASS: f64 = 3.0;
const NIC_MASS: f64 = 0.15;
const BOARD_2S_MASS: f64 = 2.0;
const BOARD_1S_MASS: f64 = 1.5;
const BOARD_EMBODIED: f64 = 66.1;
const PSU_FACTOR_PER_KG: f64 = 24.3;
const SSD_FACTOR_PER_TB: f64 = 17.3;
const DDR5_FACTOR_PER_GB: f64 = 1.65;

fn base(manufacturer: &str, model_number: &str, kind: AssetKind, year: i32, form_factor: &str) -> NewModel {
    NewModel {
        release_year: Some(year),
        form_factor: Some(form_factor.to_owned()),
        unu_key: Some("0307".to_owned()),
        ..NewModel::new(manufacturer, model_number, kind)
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn def(key: &'static str, model: NewModel) -> ModelDef {
    ModelDef { key, model }
}

/// Sets mass and embodied figures with their sources (the mass source goes in `specs`).
fn with_figures(
    mut m: NewModel,
    mass: Option<(f64, &str)>,
    embodied: Option<(f64, String)>,
    material: &str,
    mut specs: Value,
) -> NewModel {
    if let Some((kg, src)) = mass {
        m.mass_kg = Some(kg);
        specs["mass_source"] = json!(src);
    }
    if let Some((kg, src)) = embodied {
        m.embodied_kgco2e = Some(kg);
        m.embodied_source = Some(src);
        specs["embodied_scope"] = json!("this part alone");
    }
    if !material.is_empty() {
        m.material_profile = Some(material.to_owned());
    }
    m.specs = Some(specs);
    m
}

/// Boavizta's CPU factor: 0.0197 kgCO2e per mm² of die plus 9.14 per package.
fn cpu_embodied(die_mm2: f64, die_note: &str) -> (f64, String) {
    let kg = round1(0.0197 * die_mm2 + 9.14);
    (kg, format!("{BOAVIZTA_UBA}: 0.0197 kgCO2e/mm² × {die_mm2} mm² die + 9.14 = {kg} kgCO2e; die area: {die_note}"))
}

#[allow(clippy::too_many_arguments)]
fn cpu(
    key: &'static str,
    mfr: &str,
    number: &str,
    year: i32,
    socket: &str,
    cores: i32,
    tdp_w: f64,
    die: Option<(f64, &str)>,
) -> ModelDef {
    let mut m = base(mfr, number, AssetKind::Cpu, year, socket);
    m.cpu_cores = Some(cores);
    m.max_w = Some(tdp_w);
    let embodied = die.map(|(mm2, note)| cpu_embodied(mm2, note));
    if embodied.is_none() {
        m.notes = Some(
            "Embodied carbon left blank: the die area is not in reloop's reference data. With it, Boavizta's factor gives 0.0197 kgCO2e/mm² × area + 9.14.".into(),
        );
    }
    let specs = json!({"tdp_w_source": format!("{mfr} product specification (TDP)")});
    def(key, with_figures(m, Some((CPU_MASS, TYPICAL)), embodied, "", specs))
}

fn dimm(key: &'static str, mfr: &str, number: &str, year: i32, gb: f64, generation: &str, speed: u32) -> ModelDef {
    let mut m = base(mfr, number, AssetKind::Dimm, year, "RDIMM");
    m.memory_gb = Some(gb);
    let embodied = if generation == "DDR5" {
        let kg = round1(DDR5_FACTOR_PER_GB * gb);
        Some((kg, format!("{GREENSKU}: DDR5 1.65 kgCO2e/GB × {gb} GB = {kg} kgCO2e")))
    } else {
        m.notes = Some(
            "Embodied carbon left blank: reloop's reference data has a per-GB factor for DDR5 only (Azure GreenSKU, 1.65 kgCO2e/GB). GreenSKU counts reused DDR4 as 0 kgCO2e.".into(),
        );
        None
    };
    let specs = json!({"generation": generation, "speed_mt_s": speed, "registered": true, "ecc": true});
    def(
        key,
        with_figures(
            m,
            Some((DIMM_MASS, "typical value (DIMM 0.02–0.05 kg), DOMAIN.md §4 (check)")),
            embodied,
            "memory_module",
            specs,
        ),
    )
}

fn ssd_embodied(tb: f64) -> (f64, String) {
    let kg = round1(SSD_FACTOR_PER_TB * tb);
    (kg, format!("{GREENSKU}: SSD 17.3 kgCO2e/TB × {tb} TB = {kg} kgCO2e"))
}

fn sheet_embodied(f: &Footprint, vendor: &str) -> anyhow::Result<(f64, String)> {
    let e = f
        .embodied()
        .with_context(|| format!("the Boavizta sheet for {} {} has no GWP figures", f.manufacturer, f.name))?;
    let date = if f.report_date.is_empty() { String::new() } else { format!(" ({})", f.report_date) };
    let text = format!(
        "{BOAVIZTA_CITE}: {vendor} product carbon footprint sheet{date}, {} = {} kgCO2e; sheet: {}",
        e.method,
        e.kgco2e,
        f.sheet_url()
    );
    if text.chars().count() > 500 {
        bail!("the embodied source for {} is longer than 500 characters", f.name);
    }
    Ok((e.kgco2e, text))
}

fn psu(key: &'static str, mfr: &str, number: &str, year: i32, rated_w: f64) -> ModelDef {
    let m = base(mfr, number, AssetKind::Psu, year, "hot-plug");
    let kg = round1(PSU_FACTOR_PER_KG * PSU_MASS);
    let embodied =
        (kg, format!("{BOAVIZTA_UBA}: PSU 24.3 kgCO2e/kg × {PSU_MASS} kg (typical mass, check) = {kg} kgCO2e"));
    let specs = json!({"rated_output_w": rated_w, "efficiency": "80 PLUS Platinum"});
    def(
        key,
        with_figures(
            m,
            Some((PSU_MASS, "DOMAIN.md §4: PSU about 3 kg (typical value, check)")),
            Some(embodied),
            "",
            specs,
        ),
    )
}

fn nic(key: &'static str, number: &str, year: i32, ports: &str) -> ModelDef {
    let mut m = base("NVIDIA", number, AssetKind::Nic, year, "PCIe");
    m.notes = Some("Mellanox product line (NVIDIA since 2020). Embodied carbon left blank: no NIC factor in reloop's reference data.".into());
    let specs = json!({"ports": ports});
    def(
        key,
        with_figures(
            m,
            Some((NIC_MASS, "typical value for a PCIe network card (check); not in DOMAIN.md")),
            None,
            "circuit_board_datacentre",
            specs,
        ),
    )
}

fn board(key: &'static str, mfr: &str, number: &str, year: i32, sockets: u32) -> ModelDef {
    let form = if sockets == 2 { "dual-socket" } else { "single-socket" };
    let m = base(mfr, number, AssetKind::Board, year, form);
    let mass = if sockets == 2 { BOARD_2S_MASS } else { BOARD_1S_MASS };
    let mass_src = if sockets == 2 {
        "typical value (dual-socket motherboard 1.5–3 kg), DOMAIN.md §4 (check)"
    } else {
        "typical value for a single-socket board (check)"
    };
    let embodied = (BOARD_EMBODIED, format!("{BOAVIZTA_UBA}: motherboard 66.1 kgCO2e per board"));
    let specs = json!({"sockets": sockets});
    def(key, with_figures(m, Some((mass, mass_src)), Some(embodied), "circuit_board_datacentre", specs))
}

/// The parts: CPUs, GPUs, DIMMs, drives, PSUs, NICs, boards and a rack battery.
fn parts(fp: &Footprints) -> anyhow::Result<Vec<ModelDef>> {
    let mut out = vec![
        cpu(
            "cpu.xeon.6130",
            "Intel",
            "Xeon Gold 6130",
            2017,
            "LGA3647",
            16,
            125.0,
            Some((485.0, "Skylake-SP HCC, Boavizta die-size table (check)")),
        ),
        cpu(
            "cpu.xeon.6248",
            "Intel",
            "Xeon Gold 6248",
            2019,
            "LGA3647",
            20,
            150.0,
            Some((694.0, "Skylake/Cascade Lake XCC, Boavizta die-size table (check)")),
        ),
        cpu(
            "cpu.xeon.4214",
            "Intel",
            "Xeon Silver 4214",
            2019,
            "LGA3647",
            12,
            85.0,
            Some((485.0, "Skylake/Cascade Lake HCC, Boavizta die-size table (check)")),
        ),
        cpu("cpu.xeon.8480c", "Intel", "Xeon Platinum 8480C", 2023, "LGA4677", 56, 350.0, None),
        cpu(
            "cpu.epyc.7302",
            "AMD",
            "EPYC 7302",
            2019,
            "SP3",
            16,
            155.0,
            Some((712.0, "4 Zen 2 CCDs × 74 mm² (Boavizta die-size table) + 416 mm² I/O die (check)")),
        ),
        cpu(
            "cpu.epyc.7502p",
            "AMD",
            "EPYC 7502P",
            2019,
            "SP3",
            32,
            180.0,
            Some((712.0, "4 Zen 2 CCDs × 74 mm² (Boavizta die-size table) + 416 mm² I/O die (check)")),
        ),
        cpu(
            "cpu.epyc.7742",
            "AMD",
            "EPYC 7742",
            2019,
            "SP3",
            64,
            225.0,
            Some((1008.0, "8 Zen 2 CCDs × 74 mm² (Boavizta die-size table) + 416 mm² I/O die (check)")),
        ),
        cpu(
            "cpu.epyc.7543",
            "AMD",
            "EPYC 7543",
            2021,
            "SP3",
            32,
            225.0,
            Some((1064.0, "8 Zen 3 CCDs × 81 mm² (Boavizta die-size table) + 416 mm² I/O die (check)")),
        ),
        cpu(
            "cpu.epyc.7763",
            "AMD",
            "EPYC 7763",
            2021,
            "SP3",
            64,
            280.0,
            Some((1064.0, "8 Zen 3 CCDs × 81 mm² (Boavizta die-size table) + 416 mm² I/O die (check)")),
        ),
        cpu("cpu.epyc.9654", "AMD", "EPYC 9654", 2022, "SP5", 96, 360.0, None),
    ];

    // GPUs.
    let mut h100 = base("NVIDIA", "H100 SXM5 80GB", AssetKind::Gpu, 2022, "SXM5");
    h100.gpu_vram_gb = Some(80.0);
    h100.max_w = Some(700.0);
    h100.perf_value = Some(989.0);
    h100.perf_unit = Some("FP16 Tensor TFLOPS (dense)".into());
    h100.notes = Some("Embodied figure apportioned: one eighth of the HGX H100 8-GPU baseboard's cradle-to-gate footprint, which includes the GPUs; the baseboard model itself carries none, so nothing is counted twice.".into());
    out.push(def(
        "gpu.nvidia.h100",
        with_figures(
            h100,
            Some((1.69, "DOMAIN.md §4: NVIDIA H100 SXM card 1.69 kg")),
            Some((164.0, "DOMAIN.md §4: HGX H100 8-GPU baseboard about 1,312 kgCO2e cradle-to-gate; one eighth per GPU = 164 kgCO2e (apportioned estimate, check)".into())),
            "",
            json!({"memory": "HBM3", "interconnect": "NVLink 4"}),
        ),
    ));
    let mut a100 = base("NVIDIA", "A100 SXM4 80GB", AssetKind::Gpu, 2020, "SXM4");
    a100.gpu_vram_gb = Some(80.0);
    a100.max_w = Some(400.0);
    a100.perf_value = Some(312.0);
    a100.perf_unit = Some("FP16 Tensor TFLOPS (dense)".into());
    a100.notes =
        Some("Embodied carbon left blank: no cradle-to-gate figure for the A100 in reloop's reference data.".into());
    out.push(def(
        "gpu.nvidia.a100",
        with_figures(
            a100,
            Some((1.56, "DOMAIN.md §4: NVIDIA A100 SXM4 card 1.56 kg")),
            None,
            "",
            json!({"memory": "HBM2e", "interconnect": "NVLink 3"}),
        ),
    ));
    let mut l4 = base("NVIDIA", "L4 24GB", AssetKind::Gpu, 2023, "PCIe low-profile");
    l4.gpu_vram_gb = Some(24.0);
    l4.max_w = Some(72.0);
    l4.perf_value = Some(121.0);
    l4.perf_unit = Some("FP16 Tensor TFLOPS (dense)".into());
    l4.notes =
        Some("Embodied carbon left blank: no cradle-to-gate figure for the L4 in reloop's reference data.".into());
    out.push(def(
        "gpu.nvidia.l4",
        with_figures(l4, Some((0.142, "DOMAIN.md §4: NVIDIA L4 0.142 kg")), None, "", json!({"memory": "GDDR6"})),
    ));

    // Memory.
    out.push(dimm("dimm.samsung.32g.ddr4.2933", "Samsung", "M393A4K40CB2-CVF", 2018, 32.0, "DDR4", 2933));
    out.push(dimm("dimm.hynix.32g.ddr4.3200", "SK hynix", "HMA84GR7CJR4N-XN", 2019, 32.0, "DDR4", 3200));
    out.push(dimm("dimm.samsung.64g.ddr4.3200", "Samsung", "M393A8G40AB2-CWE", 2019, 64.0, "DDR4", 3200));
    out.push(dimm("dimm.samsung.64g.ddr5.4800", "Samsung", "M321R8GA0BB0-CQK", 2022, 64.0, "DDR5", 4800));

    // Drives.
    let exos = fp.find("Seagate", "Exos X12 ST12000NM0007 12TB")?;
    let mut m = base("Seagate", "Exos X12 ST12000NM0007 12TB", AssetKind::Hdd, 2017, "3.5in SATA");
    m.storage_tb = Some(12.0);
    m.notes = Some(format!(
        "The sheet's total is {} kgCO2e over a {}-year life.",
        exos.gwp_total.unwrap_or_default(),
        exos.lifetime_years.unwrap_or_default()
    ));
    out.push(def(
        "hdd.seagate.exos.x12",
        with_figures(
            m,
            Some((0.65, "typical value (3.5in HDD 0.6–0.72 kg), DOMAIN.md §4 (check)")),
            Some(sheet_embodied(exos, "Seagate")?),
            "hdd_3_5in",
            json!({"rpm": 7200, "interface": "SATA 6Gb/s", "pcf_sheet": exos.sheet_url()}),
        ),
    ));
    let e10 = fp.find("Seagate", "Exos 10E2400 1.2TB")?;
    let mut m = base("Seagate", "Exos 10E2400 1.2TB", AssetKind::Hdd, 2017, "2.5in SAS");
    m.storage_tb = Some(1.2);
    out.push(def(
        "hdd.seagate.10e2400",
        with_figures(
            m,
            Some((0.2, "typical value (2.5in HDD 0.2 kg), DOMAIN.md §4 (check)")),
            Some(sheet_embodied(e10, "Seagate")?),
            "",
            json!({"rpm": 10000, "interface": "SAS 12Gb/s", "pcf_sheet": e10.sheet_url()}),
        ),
    ));
    let nytro = fp.find("Seagate", "Nytro 1551 XA1920ME10083 1.92 TB")?;
    let mut m = base("Seagate", "Nytro 1551 XA1920ME10083 1.92TB", AssetKind::Ssd, 2019, "2.5in SATA");
    m.storage_tb = Some(1.92);
    out.push(def(
        "ssd.seagate.nytro1551",
        with_figures(
            m,
            Some((0.07, "typical value for a 2.5in SSD (check); not in DOMAIN.md")),
            Some(sheet_embodied(nytro, "Seagate")?),
            "",
            json!({"interface": "SATA 6Gb/s", "pcf_sheet": nytro.sheet_url()}),
        ),
    ));
    let mut m = base("Samsung", "PM883 MZ7LH960HAJR 960GB", AssetKind::Ssd, 2018, "2.5in SATA");
    m.storage_tb = Some(0.96);
    out.push(def(
        "ssd.samsung.pm883.960",
        with_figures(
            m,
            Some((0.07, "typical value for a 2.5in SSD (check); not in DOMAIN.md")),
            Some(ssd_embodied(0.96)),
            "",
            json!({"interface": "SATA 6Gb/s"}),
        ),
    ));
    let mut m = base("Samsung", "PM1733 MZWLJ3T8HBLS 3.84TB", AssetKind::Nvme, 2020, "U.2");
    m.storage_tb = Some(3.84);
    out.push(def(
        "nvme.samsung.pm1733.3t84",
        with_figures(
            m,
            Some((0.1, "typical value (U.2 SSD 0.05–0.15 kg), DOMAIN.md §4 (check)")),
            Some(ssd_embodied(3.84)),
            "",
            json!({"interface": "PCIe 4.0 x4 NVMe"}),
        ),
    ));
    let mut m = base("Samsung", "PM983 MZ1LB1T9HALS 1.92TB", AssetKind::Nvme, 2018, "M.2 22110");
    m.storage_tb = Some(1.92);
    out.push(def(
        "nvme.samsung.pm983.1t92",
        with_figures(
            m,
            Some((0.01, "typical value for an M.2 SSD (check); not in DOMAIN.md")),
            Some(ssd_embodied(1.92)),
            "",
            json!({"interface": "PCIe 3.0 x4 NVMe"}),
        ),
    ));

    // Power supplies.
    out.push(psu("psu.dell.750", "Dell", "750W Platinum hot-plug PSU", 2017, 750.0));
    out.push(psu("psu.dell.1100", "Dell", "1100W Platinum hot-plug PSU", 2017, 1100.0));
    out.push(psu("psu.dell.1400", "Dell", "1400W Platinum hot-plug PSU", 2020, 1400.0));
    out.push(psu("psu.hpe.800", "HPE", "800W Flex Slot Platinum PSU 865414-B21", 2017, 800.0));
    out.push(psu("psu.lenovo.750", "Lenovo", "ThinkSystem 750W Platinum PSU", 2019, 750.0));
    out.push(psu("psu.lenovo.1100", "Lenovo", "ThinkSystem 1100W Platinum PSU", 2019, 1100.0));
    out.push(psu("psu.nvidia.dgx-a100", "NVIDIA", "DGX A100 3000W PSU", 2020, 3000.0));
    out.push(psu("psu.nvidia.dgx-h100", "NVIDIA", "DGX H100 3300W PSU", 2023, 3300.0));

    // Network cards.
    out.push(nic("nic.cx4lx", "Mellanox ConnectX-4 Lx MCX4121A-ACAT", 2016, "2 × 25GbE SFP28"));
    out.push(nic("nic.cx6dx", "Mellanox ConnectX-6 Dx MCX623106AN-CDAT", 2020, "2 × 100GbE QSFP56"));
    out.push(nic(
        "nic.cx6vpi",
        "Mellanox ConnectX-6 VPI MCX653105A-HDAT",
        2019,
        "1 × 200Gb/s HDR InfiniBand / Ethernet",
    ));
    out.push(nic("nic.cx7", "ConnectX-7 MCX75310AAS-NEAT", 2022, "1 × 400Gb/s NDR InfiniBand OSFP"));

    // Boards: one system board per server model.
    out.push(board("board.dell.r640", "Dell", "PowerEdge R640 system board", 2017, 2));
    out.push(board("board.dell.r740", "Dell", "PowerEdge R740 system board", 2017, 2));
    out.push(board("board.dell.r740xd", "Dell", "PowerEdge R740xd system board", 2017, 2));
    out.push(board("board.dell.r6515", "Dell", "PowerEdge R6515 system board", 2019, 1));
    out.push(board("board.dell.r6525", "Dell", "PowerEdge R6525 system board", 2020, 2));
    out.push(board("board.dell.r7515", "Dell", "PowerEdge R7515 system board", 2019, 1));
    out.push(board("board.dell.r7625", "Dell", "PowerEdge R7625 system board", 2023, 2));
    out.push(board("board.hpe.dl380g10", "HPE", "ProLiant DL380 Gen10 system board", 2017, 2));
    out.push(board("board.hpe.dl385g10", "HPE", "ProLiant DL385 Gen10 system board", 2017, 2));
    out.push(board("board.hpe.dl365g10p", "HPE", "ProLiant DL365 Gen10 Plus system board", 2021, 2));
    out.push(board("board.lenovo.sr635", "Lenovo", "ThinkSystem SR635 system board", 2019, 1));
    out.push(board("board.lenovo.sr645", "Lenovo", "ThinkSystem SR645 system board", 2020, 2));
    out.push(board("board.lenovo.sr665", "Lenovo", "ThinkSystem SR665 system board", 2020, 2));
    out.push(board("board.nvidia.dgx-a100", "NVIDIA", "DGX A100 CPU motherboard", 2020, 2));
    out.push(board("board.nvidia.dgx-h100", "NVIDIA", "DGX H100 CPU motherboard", 2023, 2));
    for (key, number, year, gpu) in [
        ("board.nvidia.hgx-a100", "HGX A100 8-GPU baseboard", 2020, "A100"),
        ("board.nvidia.hgx-h100", "HGX H100 8-GPU baseboard", 2022, "H100"),
    ] {
        let mut m = base("NVIDIA", number, AssetKind::Board, year, "GPU baseboard");
        m.notes = Some(format!(
            "Holds eight {gpu} SXM GPUs and the NVSwitch fabric. Mass not published: it is counted in the DGX chassis' own mass. {}",
            if gpu == "H100" {
                "Embodied carbon: DOMAIN.md §4 gives about 1,312 kgCO2e for the baseboard with its GPUs; the demo books it on the eight GPUs (164 each), so this model carries none."
            } else {
                "Embodied carbon left blank: no figure in reloop's reference data."
            }
        ));
        out.push(def(key, with_figures(m, None, None, "circuit_board_datacentre", json!({"gpu_slots": 8}))));
    }

    // A rack battery backup unit (standalone at the sites).
    let mut bbu = base("Generic", "Open Rack V3 BBU shelf 48V Li-ion", AssetKind::Battery, 2022, "ORv3 shelf");
    bbu.unu_key = None;
    bbu.notes = Some(
        "Demo placeholder for a rack battery backup unit; mass, capacity and footprint are not filled in. Batteries Regulation (EU) 2023/1542: a battery passport is required from 18 Feb 2027 for industrial batteries above 2 kWh; check this unit's capacity.".into(),
    );
    out.push(def(
        "bbu.orv3",
        with_figures(bbu, None, None, "", json!({"chemistry": "Li-ion", "nominal_voltage_v": 48})),
    ));
    Ok(out)
}

/// A server model: its vendor sheet (if any) and what the demo knows besides.
struct ServerSheet {
    config: &'static str,
    manufacturer: &'static str,
    model_number: &'static str,
    /// (manufacturer, name) as spelt in the Boavizta CSV.
    csv: Option<(&'static str, &'static str)>,
    year: i32,
    form_factor: &'static str,
    /// The whole server's mass when there is no sheet, with its source.
    mass_without_sheet: Option<(f64, &'static str)>,
    max_w: Option<(f64, &'static str)>,
    notes: &'static str,
}

const SERVERS: &[ServerSheet] = &[
    ServerSheet {
        config: "r640",
        manufacturer: "Dell",
        model_number: "PowerEdge R640",
        csv: Some(("Dell", "PowerEdge R640")),
        year: 2017,
        form_factor: "1U",
        mass_without_sheet: None,
        max_w: None,
        notes: "",
    },
    ServerSheet {
        config: "r740",
        manufacturer: "Dell",
        model_number: "PowerEdge R740",
        csv: Some(("Dell", "PowerEdge R740")),
        year: 2017,
        form_factor: "2U",
        mass_without_sheet: None,
        max_w: None,
        notes: "",
    },
    ServerSheet {
        config: "r740xd",
        manufacturer: "Dell",
        model_number: "PowerEdge R740xd",
        csv: Some(("Dell", "PowerEdge R740XD")),
        year: 2017,
        form_factor: "2U",
        mass_without_sheet: None,
        max_w: None,
        notes: "12 × 3.5in bays: the demo's storage nodes.",
    },
    ServerSheet {
        config: "r6515",
        manufacturer: "Dell",
        model_number: "PowerEdge R6515",
        csv: Some(("Dell", "PowerEdge R6515")),
        year: 2019,
        form_factor: "1U",
        mass_without_sheet: None,
        max_w: None,
        notes: "",
    },
    ServerSheet {
        config: "r6525",
        manufacturer: "Dell",
        model_number: "PowerEdge R6525",
        csv: Some(("Dell", "PowerEdge R6525")),
        year: 2020,
        form_factor: "1U",
        mass_without_sheet: None,
        max_w: None,
        notes: "",
    },
    ServerSheet {
        config: "r7515",
        manufacturer: "Dell",
        model_number: "PowerEdge R7515",
        csv: Some(("Dell", "PowerEdge R7515")),
        year: 2019,
        form_factor: "2U",
        mass_without_sheet: None,
        max_w: None,
        notes: "12 × 3.5in bays: the demo's AMD storage nodes.",
    },
    ServerSheet {
        config: "dl380g10",
        manufacturer: "HPE",
        model_number: "ProLiant DL380 Gen10",
        csv: Some(("HP", "ProLiant DL380 Gen10 server4")),
        year: 2017,
        form_factor: "2U",
        mass_without_sheet: None,
        max_w: None,
        notes: "",
    },
    ServerSheet {
        config: "dl385g10",
        manufacturer: "HPE",
        model_number: "ProLiant DL385 Gen10",
        csv: Some(("HP", "ProLiant DL385 Gen10 server4")),
        year: 2017,
        form_factor: "2U",
        mass_without_sheet: None,
        max_w: None,
        notes: "",
    },
    ServerSheet {
        config: "dl365g10p",
        manufacturer: "HPE",
        model_number: "ProLiant DL365 Gen10 Plus",
        csv: Some(("HP", "ProLiant DL365 Gen10 Plus server4")),
        year: 2021,
        form_factor: "1U",
        mass_without_sheet: None,
        max_w: None,
        notes: "",
    },
    ServerSheet {
        config: "sr635",
        manufacturer: "Lenovo",
        model_number: "ThinkSystem SR635",
        csv: Some(("Lenovo", "ThinkSystem SR635")),
        year: 2019,
        form_factor: "1U",
        mass_without_sheet: None,
        max_w: None,
        notes: "",
    },
    ServerSheet {
        config: "sr645",
        manufacturer: "Lenovo",
        model_number: "ThinkSystem SR645",
        csv: Some(("Lenovo", "ThinkSystem SR645")),
        year: 2020,
        form_factor: "1U",
        mass_without_sheet: None,
        max_w: None,
        notes: "",
    },
    ServerSheet {
        config: "sr665",
        manufacturer: "Lenovo",
        model_number: "ThinkSystem SR665",
        csv: Some(("Lenovo", "ThinkSystem SR665")),
        year: 2020,
        form_factor: "2U",
        mass_without_sheet: None,
        max_w: None,
        notes: "",
    },
    ServerSheet {
        config: "r7625",
        manufacturer: "Dell",
        model_number: "PowerEdge R7625",
        csv: None,
        year: 2023,
        form_factor: "2U",
        mass_without_sheet: Some((
            26.3,
            "proxy: the Dell PowerEdge R740 2U sheet's 26.3 kg (Boavizta), not the R7625's own figure (check)",
        )),
        max_w: None,
        notes: "No vendor footprint sheet in reloop's reference data: embodied carbon left blank.",
    },
    ServerSheet {
        config: "dgx-a100",
        manufacturer: "NVIDIA",
        model_number: "DGX A100 640GB",
        csv: None,
        year: 2020,
        form_factor: "6U",
        mass_without_sheet: Some((123.0, "DOMAIN.md §4: NVIDIA DGX A100 about 123 kg (NVIDIA spec sheet)")),
        max_w: Some((6500.0, "NVIDIA DGX A100 spec sheet: 6.5 kW max (check)")),
        notes: "No whole-system cradle-to-gate figure in reloop's reference data: embodied carbon left blank (parts carry what is known).",
    },
    ServerSheet {
        config: "dgx-h100",
        manufacturer: "NVIDIA",
        model_number: "DGX H100",
        csv: None,
        year: 2023,
        form_factor: "8U",
        mass_without_sheet: Some((130.45, "DOMAIN.md §4: NVIDIA DGX H100 130.45 kg (NVIDIA spec sheet)")),
        max_w: Some((10200.0, "DOMAIN.md §4: NVIDIA DGX H100 10.2 kW max (NVIDIA spec sheet)")),
        notes: "No whole-system cradle-to-gate figure in reloop's reference data: embodied carbon left blank; the eight H100 GPUs carry the HGX baseboard's 1,312 kgCO2e.",
    },
];

/// Mass of everything the demo registers inside a server of `cfg`, and the number of
/// parts whose mass is unknown.
pub fn parts_mass(cfg: &ServerConfig, masses: &HashMap<&str, Option<f64>>) -> anyhow::Result<(f64, usize)> {
    let mut kg = 0.0;
    let mut unknown = 0;
    for (key, n) in cfg.parts() {
        match masses.get(key) {
            Some(Some(m)) => kg += m * n as f64,
            Some(None) => unknown += n,
            None => bail!("configuration {} names {key}, which the demo catalog lacks", cfg.key),
        }
    }
    Ok((round3(kg), unknown))
}

fn describe_parts(cfg: &ServerConfig) -> String {
    let drives: usize = cfg.drives.iter().chain(cfg.board_drives).map(|(_, n)| n).sum();
    let nics: usize = cfg.nics.iter().map(|(_, n)| n).sum();
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut s = format!("system board, {}, {}", plural(cfg.cpus, "CPU", "CPUs"), plural(cfg.dimms, "DIMM", "DIMMs"));
    if let Some(g) = cfg.gpus {
        s.push_str(&format!(", {} GPUs", g.count));
        if g.baseboard.is_some() {
            s.push_str(" on a GPU baseboard");
        }
    }
    s.push_str(&format!(
        ", {}, {}, {}",
        plural(drives, "drive", "drives"),
        plural(cfg.psus, "PSU", "PSUs"),
        plural(nics, "NIC", "NICs")
    ));
    s
}

fn server(sheet: &ServerSheet, fp: &Footprints, masses: &HashMap<&str, Option<f64>>) -> anyhow::Result<ModelDef> {
    let cfg = config(sheet.config)?;
    let mut m = base(sheet.manufacturer, sheet.model_number, AssetKind::Server, sheet.year, sheet.form_factor);
    m.material_profile = Some("server_whole".into());
    let mut specs = json!({"demo_configuration": describe_parts(cfg)});
    let (total, mass_source) = match sheet.csv {
        Some((mfr, name)) => {
            let f = fp.find(mfr, name)?;
            let (kg, src) = sheet_embodied(f, sheet.manufacturer)?;
            m.embodied_kgco2e = Some(kg);
            m.embodied_source = Some(src);
            specs["embodied_scope"] = json!(
                "the whole server as configured in the vendor sheet, parts included: do not add the parts' own figures"
            );
            specs["pcf_sheet"] = json!(f.sheet_url());
            specs["pcf_report_date"] = json!(f.report_date);
            specs["pcf_use_location"] = json!(f.use_location);
            specs["pcf_lifetime_years"] = json!(f.lifetime_years);
            specs["pcf_yearly_energy_kwh"] = json!(f.yearly_tec_kwh);
            specs["pcf_sheet_configuration"] =
                json!({"drives": f.hard_drive, "memory_gb": f.memory_gb, "cpus": f.number_cpu});
            let kg = f.weight_kg.with_context(|| format!("the Boavizta sheet for {name} has no weight"))?;
            (kg, format!("{} product carbon footprint sheet via Boavizta", sheet.manufacturer))
        }
        None => {
            let (kg, src) = sheet
                .mass_without_sheet
                .with_context(|| format!("{} has neither a sheet nor a mass", sheet.model_number))?;
            (kg, src.to_owned())
        }
    };
    let (parts_kg, unknown) = parts_mass(cfg, masses)?;
    let own = round3(total - parts_kg);
    if own < 0.0 {
        bail!(
            "{}: the registered parts ({parts_kg} kg) weigh more than the whole server ({total} kg)",
            sheet.model_number
        );
    }
    m.mass_kg = Some(own);
    specs["mass_source"] = json!(format!(
        "{total} kg for the whole configured server ({mass_source}) minus {parts_kg} kg of parts registered separately"
    ));
    specs["whole_server_mass_kg"] = json!(total);
    if let Some((w, src)) = sheet.max_w {
        m.max_w = Some(w);
        specs["max_w_source"] = json!(src);
    }
    let mut notes = format!(
        "Mass is the chassis alone: the whole server's {total} kg minus the {parts_kg} kg of parts the demo registers inside it ({}), so a server in that configuration totals {total} kg.",
        describe_parts(cfg)
    );
    if unknown > 0 {
        notes.push_str(&format!(
            " {unknown} registered part(s) have no published mass; their mass stays in the chassis figure."
        ));
    }
    if m.embodied_kgco2e.is_some() {
        notes.push_str(" Embodied carbon is the vendor sheet's whole configured server, parts included.");
    }
    if !sheet.notes.is_empty() {
        notes.push(' ');
        notes.push_str(sheet.notes);
    }
    m.notes = Some(notes);
    m.specs = Some(specs);
    Ok(def(cfg.server, m))
}

/// The whole demo catalog: parts first, then the server models whose masses depend on them.
pub fn models(fp: &Footprints) -> anyhow::Result<Vec<ModelDef>> {
    let mut out = parts(fp)?;
    let masses: HashMap<&str, Option<f64>> = out.iter().map(|d| (d.key, d.model.mass_kg)).collect();
    let mut servers = Vec::new();
    for s in SERVERS {
        servers.push(server(s, fp, &masses)?);
    }
    out.extend(servers);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<ModelDef> {
        models(&Footprints::embedded().expect("csv")).expect("catalog")
    }

    #[test]
    fn masses_are_non_negative_and_servers_total_their_sheet() {
        let defs = all();
        let masses: HashMap<&str, Option<f64>> = defs.iter().map(|d| (d.key, d.model.mass_kg)).collect();
        for d in &defs {
            if let Some(m) = d.model.mass_kg {
                assert!(m >= 0.0, "{} has mass {m}", d.key);
            }
        }
        for cfg in CONFIGS {
            let own = masses[cfg.server].expect("server mass");
            let (parts, _) = parts_mass(cfg, &masses).expect("parts");
            let whole = defs
                .iter()
                .find(|d| d.key == cfg.server)
                .and_then(|d| d.model.specs.clone())
                .expect("specs")["whole_server_mass_kg"]
                .as_f64()
                .expect("whole mass");
            assert!((own + parts - whole).abs() < 0.002, "{}: {own} + {parts} != {whole}", cfg.key);
        }
        let r740 = defs.iter().find(|d| d.key == "srv.dell.r740").expect("r740");
        assert_eq!(r740.model.embodied_kgco2e, Some(1313.3));
    }

    #[test]
    fn every_figure_has_a_source_and_keys_are_unique() {
        let defs = all();
        let mut keys = std::collections::HashSet::new();
        let mut labels = std::collections::HashSet::new();
        for d in &defs {
            assert!(keys.insert(d.key), "duplicate key {}", d.key);
            assert!(
                labels.insert(crate::catalog::model_key(&d.model.manufacturer, &d.model.model_number)),
                "duplicate model {}",
                d.key
            );
            if d.model.embodied_kgco2e.is_some() {
                let src = d.model.embodied_source.as_deref().unwrap_or("");
                assert!(!src.is_empty() && src.chars().count() <= 500, "{}: {src}", d.key);
            }
            if d.model.mass_kg.is_some() {
                assert!(
                    d.model.specs.as_ref().and_then(|s| s.get("mass_source")).is_some(),
                    "{} has no mass source",
                    d.key
                );
            }
        }
        for cfg in CONFIGS {
            for (key, _) in cfg.parts() {
                assert!(keys.contains(key), "{} names unknown {key}", cfg.key);
            }
            assert!(keys.contains(cfg.server));
        }
    }

    #[test]
    fn parts_fit_where_the_configuration_puts_them() {
        let defs = all();
        let kind = |k: &str| defs.iter().find(|d| d.key == k).map(|d| d.model.kind).expect("model");
        for cfg in CONFIGS {
            assert_eq!(kind(cfg.server), AssetKind::Server);
            assert!(kind(cfg.board).fits_in(AssetKind::Server));
            assert!(kind(cfg.cpu).fits_in(kind(cfg.board)));
            assert!(kind(cfg.dimm).fits_in(kind(cfg.board)));
            if let Some(g) = cfg.gpus {
                assert!(kind(g.gpu).fits_in(kind(g.baseboard.unwrap_or(cfg.board))));
            }
            for (d, _) in cfg.board_drives {
                assert!(kind(d).fits_in(AssetKind::Board));
            }
            for (d, _) in cfg.drives.iter().chain(cfg.nics) {
                assert!(kind(d).fits_in(AssetKind::Server));
            }
            assert!(kind(cfg.psu).fits_in(AssetKind::Server));
        }
    }
}
