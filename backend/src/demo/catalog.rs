//! The demo catalog: server models from the Boavizta vendor sheets, two NVIDIA DGX systems,
//! and the parts the demo registers inside them, each figure with its source. The models
//! come from `refdata/demo/parts.toml` and `servers.toml` (read by `super::data`); this
//! module keeps the formulas that derive figures from them (per-mm², per-GB, per-TB and
//! per-kg embodied factors; a server's own mass) and the texts that cite those factors.
//!
//! Masses follow the catalog invariant (`crate::catalog`): a model's mass is the item
//! alone. A vendor sheet weighs the whole configured server, so a server model's own mass
//! is the sheet mass minus the parts the demo registers inside it ([`ServerConfig`]); a
//! server built to its demo configuration then totals the vendor figure.
//!
//! Bills of materials follow the configuration too ([`bills`]): a server model's lists
//! everything the demo registers inside it (board, CPUs, DIMMs, GPUs and baseboard, drives,
//! PSUs, NICs), a system board's what sits on it, a GPU baseboard's its GPUs. A CPU line
//! names no model where a purchase order fits another CPU than the configuration's.
//!
//! Embodied figures are different: a vendor sheet's cradle-to-gate figure covers the whole
//! configured server, parts included, and the demo keeps it that way (the specs say so in
//! `embodied_scope`). Part figures are for the part alone (spares, harvested parts).

use std::collections::HashMap;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::data::{
    Baseboard, Battery, Board, Boards, Cpu, Cpus, Demo, Dimm, Dimms, Drive, Gpu, Mass, Nic, Nics, PARTS_FILE, Parts,
    Psu, Psus, SERVERS_FILE, ServerConfig, ServerSheet, demo,
};
use super::refdata::{BOAVIZTA_CITE, Footprint, Footprints};
use crate::catalog::NewModel;
use crate::rules::AssetKind;

/// A catalog entry with the key the fleet plan uses for it.
#[derive(Clone, Debug)]
pub struct ModelDef {
    pub key: &'static str,
    pub model: NewModel,
    /// Its bill of materials by part key (the loader turns keys into model ids).
    pub bom: Vec<BomPart>,
}

/// A bill-of-materials line naming its part model by key (`None`: any of the kind).
#[derive(Clone, Debug, PartialEq)]
pub struct BomPart {
    pub kind: AssetKind,
    pub model: Option<&'static str>,
    pub count: u32,
}

// --- factors and their sources --------------------------------------------------------

const BOAVIZTA_UBA: &str = "Boavizta component factors (derived from the German Environment Agency's UBA 2021 study)";
const GREENSKU: &str = "Azure GreenSKU (Wang et al., Designing Cloud Servers for Lower Carbon, ISCA 2024)";
/// Boavizta's motherboard figure, per board.
const BOARD_EMBODIED: f64 = 66.1;
const PSU_FACTOR_PER_KG: f64 = 24.3;
const SSD_FACTOR_PER_TB: f64 = 17.3;
const DDR5_FACTOR_PER_GB: f64 = 1.65;
/// WEEE UNU-KEY 0307, professional IT: servers and the parts inside them.
const UNU_PROFESSIONAL_IT: &str = "0307";

fn base(manufacturer: &str, model_number: &str, kind: AssetKind, year: i32, form_factor: &str) -> NewModel {
    NewModel {
        release_year: Some(year),
        form_factor: Some(form_factor.to_owned()),
        unu_key: Some(UNU_PROFESSIONAL_IT.to_owned()),
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
    ModelDef { key, model, bom: Vec::new() }
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

fn mass(m: &Mass) -> Option<(f64, &str)> {
    Some((m.kg, m.source.as_str()))
}

/// Boavizta's CPU factor: 0.0197 kgCO2e per mm² of die plus 9.14 per package.
fn cpu_embodied(die_mm2: f64, die_note: &str) -> (f64, String) {
    let kg = round1(0.0197 * die_mm2 + 9.14);
    (kg, format!("{BOAVIZTA_UBA}: 0.0197 kgCO2e/mm² × {die_mm2} mm² die + 9.14 = {kg} kgCO2e; die area: {die_note}"))
}

fn cpu(c: &'static Cpu, family: &Cpus) -> ModelDef {
    let mut m = base(&c.manufacturer, &c.model_number, AssetKind::Cpu, c.year, &c.socket);
    m.cpu_cores = Some(c.cores);
    m.max_w = Some(c.tdp_w);
    let embodied = c.die.as_ref().map(|d| cpu_embodied(d.mm2, &d.source));
    if embodied.is_none() {
        m.notes = Some(
            "Embodied carbon left blank: the die area is not in reloop's reference data. With it, Boavizta's factor gives 0.0197 kgCO2e/mm² × area + 9.14.".into(),
        );
    }
    let specs = json!({"tdp_w_source": format!("{} product specification (TDP)", c.manufacturer)});
    def(&c.key, with_figures(m, mass(&family.mass), embodied, "", specs))
}

fn gpu(g: &'static Gpu) -> ModelDef {
    let mut m = base(&g.manufacturer, &g.model_number, AssetKind::Gpu, g.year, &g.form_factor);
    m.gpu_vram_gb = Some(g.vram_gb);
    m.max_w = Some(g.max_w);
    m.perf_value = Some(g.perf.value);
    m.perf_unit = Some(g.perf.unit.clone());
    m.notes = Some(g.notes.clone());
    let mut specs = json!({"memory": g.memory});
    if let Some(i) = &g.interconnect {
        specs["interconnect"] = json!(i);
    }
    let embodied = g.embodied.as_ref().map(|e| (e.kgco2e, e.source.clone()));
    def(&g.key, with_figures(m, mass(&g.mass), embodied, "", specs))
}

fn dimm(d: &'static Dimm, family: &Dimms) -> ModelDef {
    let mut m = base(&d.manufacturer, &d.model_number, AssetKind::Dimm, d.year, &family.form_factor);
    let gb = d.gb;
    m.memory_gb = Some(gb);
    let embodied = if d.generation == "DDR5" {
        let kg = round1(DDR5_FACTOR_PER_GB * gb);
        Some((kg, format!("{GREENSKU}: DDR5 1.65 kgCO2e/GB × {gb} GB = {kg} kgCO2e")))
    } else {
        m.notes = Some(
            "Embodied carbon left blank: reloop's reference data has a per-GB factor for DDR5 only (Azure GreenSKU, 1.65 kgCO2e/GB). GreenSKU counts reused DDR4 as 0 kgCO2e.".into(),
        );
        None
    };
    let specs = json!({
        "generation": d.generation,
        "speed_mt_s": d.speed_mt_s,
        "registered": family.registered,
        "ecc": family.ecc,
    });
    def(&d.key, with_figures(m, mass(&family.mass), embodied, &family.material, specs))
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

/// A drive: embodied from its Boavizta sheet if it has one, else GreenSKU's SSD factor.
fn drive(d: &'static Drive, fp: &Footprints) -> anyhow::Result<ModelDef> {
    let mut m = base(&d.manufacturer, &d.model_number, d.kind, d.year, &d.form_factor);
    m.storage_tb = Some(d.capacity_tb);
    let mut specs = json!({});
    if let Some(rpm) = d.rpm {
        specs["rpm"] = json!(rpm);
    }
    specs["interface"] = json!(d.interface);
    let embodied = match &d.boavizta {
        Some(s) => {
            let f = fp.find(&s.manufacturer, &s.name).with_context(|| format!("{PARTS_FILE} [{}]", d.key))?;
            if d.sheet_total_note {
                m.notes = Some(format!(
                    "The sheet's total is {} kgCO2e over a {}-year life.",
                    f.gwp_total.unwrap_or_default(),
                    f.lifetime_years.unwrap_or_default()
                ));
            }
            specs["pcf_sheet"] = json!(f.sheet_url());
            sheet_embodied(f, &d.manufacturer)?
        }
        None => ssd_embodied(d.capacity_tb),
    };
    let material = d.material.as_deref().unwrap_or("");
    Ok(def(&d.key, with_figures(m, mass(&d.mass), Some(embodied), material, specs)))
}

fn psu(p: &'static Psu, family: &Psus) -> ModelDef {
    let m = base(&p.manufacturer, &p.model_number, AssetKind::Psu, p.year, &family.form_factor);
    let psu_kg = family.mass.kg;
    let kg = round1(PSU_FACTOR_PER_KG * psu_kg);
    let embodied =
        (kg, format!("{BOAVIZTA_UBA}: PSU 24.3 kgCO2e/kg × {psu_kg} kg (typical mass, check) = {kg} kgCO2e"));
    let specs = json!({"rated_output_w": p.rated_w, "efficiency": family.efficiency});
    def(&p.key, with_figures(m, mass(&family.mass), Some(embodied), "", specs))
}

fn nic(n: &'static Nic, family: &Nics) -> ModelDef {
    let mut m = base(&family.manufacturer, &n.model_number, AssetKind::Nic, n.year, &family.form_factor);
    m.notes = Some(family.notes.clone());
    let specs = json!({"ports": n.ports});
    def(&n.key, with_figures(m, mass(&family.mass), None, &family.material, specs))
}

fn board(b: &'static Board, family: &Boards) -> ModelDef {
    let dual = b.sockets == 2;
    let form = if dual { "dual-socket" } else { "single-socket" };
    let m = base(&b.manufacturer, &b.model_number, AssetKind::Board, b.year, form);
    let board_mass = if dual { &family.dual_socket_mass } else { &family.single_socket_mass };
    let embodied = (BOARD_EMBODIED, format!("{BOAVIZTA_UBA}: motherboard 66.1 kgCO2e per board"));
    let specs = json!({"sockets": b.sockets});
    def(&b.key, with_figures(m, mass(board_mass), Some(embodied), &family.material, specs))
}

/// A GPU baseboard: no mass or embodied figure of its own (see its notes).
fn baseboard(b: &'static Baseboard) -> ModelDef {
    let mut m = base(&b.manufacturer, &b.model_number, AssetKind::Board, b.year, &b.form_factor);
    m.notes = Some(b.notes.clone());
    def(&b.key, with_figures(m, None, None, &b.material, json!({"gpu_slots": b.gpu_slots})))
}

/// A battery: not professional IT for WEEE purposes, so no UNU key.
fn battery(b: &'static Battery) -> ModelDef {
    let mut m = base(&b.manufacturer, &b.model_number, AssetKind::Battery, b.year, &b.form_factor);
    m.unu_key = None;
    m.notes = Some(b.notes.clone());
    let specs = json!({"chemistry": b.chemistry, "nominal_voltage_v": b.nominal_voltage_v});
    def(&b.key, with_figures(m, None, None, "", specs))
}

/// The parts: CPUs, GPUs, DIMMs, drives, PSUs, NICs, boards and a rack battery.
fn parts(p: &'static Parts, fp: &Footprints) -> anyhow::Result<Vec<ModelDef>> {
    let mut out: Vec<ModelDef> = p.cpus.model.iter().map(|c| cpu(c, &p.cpus)).collect();
    out.extend(p.gpu.iter().map(gpu));
    out.extend(p.dimms.model.iter().map(|d| dimm(d, &p.dimms)));
    for d in &p.drive {
        out.push(drive(d, fp)?);
    }
    out.extend(p.psus.model.iter().map(|x| psu(x, &p.psus)));
    out.extend(p.nics.model.iter().map(|n| nic(n, &p.nics)));
    out.extend(p.boards.model.iter().map(|b| board(b, &p.boards)));
    out.extend(p.baseboard.iter().map(baseboard));
    out.extend(p.battery.iter().map(battery));
    Ok(out)
}

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
    let drives: usize = cfg.drives.iter().chain(&cfg.board_drives).map(|(_, n)| n).sum();
    let nics: usize = cfg.nics.iter().map(|(_, n)| n).sum();
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut s = format!("system board, {}, {}", plural(cfg.cpus, "CPU", "CPUs"), plural(cfg.dimms, "DIMM", "DIMMs"));
    if let Some(g) = &cfg.gpus {
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

fn server(
    sheet: &'static ServerSheet,
    fp: &Footprints,
    masses: &HashMap<&str, Option<f64>>,
) -> anyhow::Result<ModelDef> {
    let cfg = &sheet.config;
    let mut m = base(&sheet.manufacturer, &sheet.model_number, AssetKind::Server, sheet.year, &sheet.form_factor);
    m.material_profile = Some("server_whole".into());
    let mut specs = json!({"demo_configuration": describe_parts(cfg)});
    let (total, mass_source) = match &sheet.boavizta {
        Some(s) => {
            let f = fp.find(&s.manufacturer, &s.name).with_context(|| format!("{SERVERS_FILE} [{}]", cfg.server))?;
            let (kg, src) = sheet_embodied(f, &sheet.manufacturer)?;
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
            let kg = f.weight_kg.with_context(|| format!("the Boavizta sheet for {} has no weight", s.name))?;
            (kg, format!("{} product carbon footprint sheet via Boavizta", sheet.manufacturer))
        }
        None => {
            let whole = sheet
                .mass
                .as_ref()
                .with_context(|| format!("{} has neither a sheet nor a mass", sheet.model_number))?;
            (whole.kg, whole.source.clone())
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
    if let Some(p) = &sheet.max_power {
        m.max_w = Some(p.w);
        specs["max_w_source"] = json!(p.source);
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
    if let Some(extra) = sheet.notes.as_deref().filter(|n| !n.is_empty()) {
        notes.push(' ');
        notes.push_str(extra);
    }
    m.notes = Some(notes);
    m.specs = Some(specs);
    Ok(def(&cfg.server, m))
}

/// The whole demo catalog: parts first, then the server models whose masses depend on
/// them; every model that holds parts in the demo with its bill of materials.
pub fn models(fp: &Footprints) -> anyhow::Result<Vec<ModelDef>> {
    let data = demo()?;
    let mut out = parts(&data.parts, fp)?;
    let masses: HashMap<&str, Option<f64>> = out.iter().map(|d| (d.key, d.model.mass_kg)).collect();
    let mut servers = Vec::new();
    for s in &data.servers {
        servers.push(server(s, fp, &masses)?);
    }
    out.extend(servers);
    let kinds: HashMap<&str, AssetKind> = out.iter().map(|d| (d.key, d.model.kind)).collect();
    let mut bills = bills(data, &kinds)?;
    for d in &mut out {
        d.bom = bills.remove(d.key).unwrap_or_default();
    }
    Ok(out)
}

/// The bills of materials of the server models, system boards and GPU baseboards, by
/// model key, from what the demo registers in each configuration ([`ServerConfig`]).
fn bills(data: &'static Demo, kinds: &HashMap<&str, AssetKind>) -> anyhow::Result<HashMap<&'static str, Vec<BomPart>>> {
    let mut out: HashMap<&'static str, Vec<BomPart>> = HashMap::new();
    for cfg in data.configs() {
        // Where a purchase order fits another CPU, the models' bills name none.
        let other_cpu = data
            .purchase_orders
            .iter()
            .any(|(_, po)| po.configuration == cfg.key && po.cpu.as_ref().is_some_and(|c| *c != cfg.cpu));
        let cpu = (!other_cpu).then_some(cfg.cpu.as_str());
        let mut on_board = vec![(cpu, cfg.cpus), (Some(cfg.dimm.as_str()), cfg.dimms)];
        let mut baseboard = None;
        if let Some(g) = &cfg.gpus {
            match &g.baseboard {
                Some(bb) => baseboard = Some((bb.as_str(), (Some(g.gpu.as_str()), g.count))),
                None => on_board.push((Some(g.gpu.as_str()), g.count)),
            }
        }
        on_board.extend(cfg.board_drives.iter().map(|(k, n)| (Some(k.as_str()), *n)));
        let mut in_server = vec![(Some(cfg.board.as_str()), 1)];
        in_server.extend(on_board.iter().copied());
        if let Some((bb, gpus)) = baseboard {
            in_server.extend([(Some(bb), 1), gpus]);
            add_bill(&mut out, bb, lines(&[gpus], kinds, cfg)?, cfg)?;
        }
        in_server.extend(cfg.drives.iter().map(|(k, n)| (Some(k.as_str()), *n)));
        in_server.push((Some(cfg.psu.as_str()), cfg.psus));
        in_server.extend(cfg.nics.iter().map(|(k, n)| (Some(k.as_str()), *n)));
        add_bill(&mut out, cfg.board.as_str(), lines(&on_board, kinds, cfg)?, cfg)?;
        add_bill(&mut out, cfg.server.as_str(), lines(&in_server, kinds, cfg)?, cfg)?;
    }
    Ok(out)
}

/// Bill lines for (part key, count) pairs, one line per model (counts of a model named
/// twice are added). A part without a key is a CPU of no fixed model.
fn lines(
    parts: &[(Option<&'static str>, usize)],
    kinds: &HashMap<&str, AssetKind>,
    cfg: &ServerConfig,
) -> anyhow::Result<Vec<BomPart>> {
    let mut out: Vec<BomPart> = Vec::new();
    for &(key, n) in parts {
        let kind = match key {
            Some(k) => *kinds
                .get(k)
                .with_context(|| format!("configuration {} names {k}, which the demo catalog lacks", cfg.key))?,
            None => AssetKind::Cpu,
        };
        let count = u32::try_from(n)?;
        match out.iter_mut().find(|l| l.model == key && l.kind == kind) {
            Some(l) => l.count += count,
            None => out.push(BomPart { kind, model: key, count }),
        }
    }
    Ok(out)
}

/// Records a model's bill; a model two configurations share must get the same bill.
fn add_bill(
    bills: &mut HashMap<&'static str, Vec<BomPart>>,
    key: &'static str,
    bill: Vec<BomPart>,
    cfg: &ServerConfig,
) -> anyhow::Result<()> {
    match bills.get(key) {
        Some(b) if *b != bill => {
            bail!("configuration {} puts other parts in {key} than another configuration does", cfg.key)
        }
        _ => {
            bills.insert(key, bill);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<ModelDef> {
        models(&Footprints::embedded().expect("csv")).expect("catalog")
    }

    fn configs() -> impl Iterator<Item = &'static ServerConfig> {
        demo().expect("demo data").configs()
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
        for cfg in configs() {
            let own = masses[cfg.server.as_str()].expect("server mass");
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
        for cfg in configs() {
            for (key, _) in cfg.parts() {
                assert!(keys.contains(key), "{} names unknown {key}", cfg.key);
            }
            assert!(keys.contains(cfg.server.as_str()));
        }
    }

    #[test]
    fn bills_of_materials_list_what_the_demo_installs() {
        let defs = all();
        let by_key: HashMap<&str, &ModelDef> = defs.iter().map(|d| (d.key, d)).collect();
        for cfg in configs() {
            let server = by_key[cfg.server.as_str()];
            // Everything registered inside the server, counted once, by model where fixed.
            let mut expected: HashMap<&str, u32> = HashMap::new();
            for (key, n) in cfg.parts() {
                *expected.entry(key).or_default() += n as u32;
            }
            // Lines without a model are CPUs (a PO fits another one): count them as the
            // configuration's.
            let mut listed: HashMap<&str, u32> = HashMap::new();
            for l in &server.bom {
                let key = l.model.unwrap_or(cfg.cpu.as_str());
                *listed.entry(key).or_default() += l.count;
            }
            for l in server.bom.iter().filter(|l| l.model.is_none()) {
                assert_eq!(l.kind, AssetKind::Cpu, "{}: only CPUs go without a model", cfg.key);
            }
            assert_eq!(listed, expected, "{}", cfg.key);
            for d in [server, by_key[cfg.board.as_str()]] {
                let mut seen = std::collections::HashSet::new();
                assert!(!d.bom.is_empty(), "{} has a bill", d.key);
                for l in &d.bom {
                    assert!(l.kind.fits_within(d.model.kind), "{}: {:?}", d.key, l);
                    if let Some(k) = l.model {
                        assert_eq!(by_key[k].model.kind, l.kind, "{}: {k}", d.key);
                    }
                    assert!(seen.insert((l.kind, l.model)), "{} lists {:?} twice", d.key, l);
                    assert!((1..=crate::catalog::BOM_MAX_COUNT).contains(&l.count));
                }
                assert!(d.bom.len() <= crate::catalog::BOM_MAX_LINES);
            }
        }
        let r740 = by_key["srv.dell.r740"];
        let line = |kind: AssetKind| r740.bom.iter().find(|l| l.kind == kind).map(|l| (l.model, l.count));
        assert_eq!(line(AssetKind::Board), Some((Some("board.dell.r740"), 1)));
        assert_eq!(line(AssetKind::Cpu), Some((Some("cpu.xeon.6248"), 2)));
        assert_eq!(line(AssetKind::Dimm), Some((Some("dimm.samsung.32g.ddr4.2933"), 16)));
        assert_eq!(line(AssetKind::Psu), Some((Some("psu.dell.1100"), 2)));
        // R640s were bought with three CPUs over the years: the bill names none.
        let r640 = by_key["srv.dell.r640"];
        assert!(r640.bom.iter().any(|l| l.kind == AssetKind::Cpu && l.model.is_none() && l.count == 2));
        let hgx = by_key["board.nvidia.hgx-h100"];
        assert_eq!(hgx.bom, [BomPart { kind: AssetKind::Gpu, model: Some("gpu.nvidia.h100"), count: 8 }]);
        let board = by_key["board.dell.r740"];
        assert_eq!(board.bom.iter().map(|l| l.count).sum::<u32>(), 18, "2 CPUs and 16 DIMMs");
        assert!(by_key["dimm.samsung.32g.ddr4.2933"].bom.is_empty());
    }

    #[test]
    fn parts_fit_where_the_configuration_puts_them() {
        let defs = all();
        let kind = |k: &str| defs.iter().find(|d| d.key == k).map(|d| d.model.kind).expect("model");
        for cfg in configs() {
            assert_eq!(kind(&cfg.server), AssetKind::Server);
            assert!(kind(&cfg.board).fits_in(AssetKind::Server));
            assert!(kind(&cfg.cpu).fits_in(kind(&cfg.board)));
            assert!(kind(&cfg.dimm).fits_in(kind(&cfg.board)));
            if let Some(g) = &cfg.gpus {
                assert!(kind(&g.gpu).fits_in(kind(g.baseboard.as_deref().unwrap_or(&cfg.board))));
            }
            for (d, _) in &cfg.board_drives {
                assert!(kind(d).fits_in(AssetKind::Board));
            }
            for (d, _) in cfg.drives.iter().chain(&cfg.nics) {
                assert!(kind(d).fits_in(AssetKind::Server));
            }
            assert!(kind(&cfg.psu).fits_in(AssetKind::Server));
        }
    }
}
