//! The demo fleet's data files (`backend/refdata/demo/`: sites, purchase orders, buyers,
//! parts, server models and their configurations), compiled into the binary and read into
//! typed records. Reading validates them: unknown fields are refused, keys are unique,
//! every reference (a configuration's parts, a purchase order's configuration, CPU and
//! site) resolves, and every error names the file and the row or key. The story logic
//! and the formulas that derive figures stay in Rust (`plan`, `catalog`).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use anyhow::{Context, anyhow, bail};
use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::rules::{AssetKind, WorkloadTier};

/// How errors name the files (relative to `backend/`).
pub const SITES_FILE: &str = "refdata/demo/sites.toml";
pub const PO_FILE: &str = "refdata/demo/purchase_orders.csv";
pub const BUYERS_FILE: &str = "refdata/demo/buyers.toml";
pub const PARTS_FILE: &str = "refdata/demo/parts.toml";
pub const SERVERS_FILE: &str = "refdata/demo/servers.toml";
pub const DOWNSTREAM_FILE: &str = "refdata/demo/downstream.toml";

/// The texts of the data files.
#[derive(Clone, Copy, Debug)]
pub struct Files<'a> {
    pub sites: &'a str,
    pub purchase_orders: &'a str,
    pub buyers: &'a str,
    pub parts: &'a str,
    pub servers: &'a str,
    pub downstream: &'a str,
}

impl Files<'static> {
    /// The files as shipped in the repository.
    pub const EMBEDDED: Files<'static> = Files {
        sites: include_str!("../../refdata/demo/sites.toml"),
        purchase_orders: include_str!("../../refdata/demo/purchase_orders.csv"),
        buyers: include_str!("../../refdata/demo/buyers.toml"),
        parts: include_str!("../../refdata/demo/parts.toml"),
        servers: include_str!("../../refdata/demo/servers.toml"),
        downstream: include_str!("../../refdata/demo/downstream.toml"),
    };
}

// --- sites ------------------------------------------------------------------------------

/// The story's names for the sites (each appears exactly once in `sites.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub enum SiteKey {
    #[serde(rename = "fra")]
    Fra,
    #[serde(rename = "sto")]
    Sto,
    #[serde(rename = "dub")]
    Dub,
    #[serde(rename = "iad")]
    Iad,
    #[serde(rename = "warehouse")]
    Wh,
}

impl SiteKey {
    pub const ALL: [SiteKey; 5] = [SiteKey::Fra, SiteKey::Sto, SiteKey::Dub, SiteKey::Iad, SiteKey::Wh];
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteDef {
    pub key: SiteKey,
    pub name: String,
    pub country: String,
    #[serde(rename = "grid_ci_g_per_kwh")]
    pub grid_ci: f64,
    pub pue: Option<f64>,
    /// Short code used in actor names.
    pub code: String,
    pub notes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SitesFile {
    grid_ci_source: String,
    site: Vec<SiteDef>,
}

// --- purchase orders and buyers -----------------------------------------------------------

/// One row of `purchase_orders.csv`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoRow {
    /// Delivery date.
    pub date: NaiveDate,
    /// A configuration key (`servers.toml`).
    pub configuration: String,
    /// A CPU fitted instead of the configuration's own.
    pub cpu: Option<String>,
    /// How many servers.
    pub servers: usize,
    pub site: SiteKey,
    pub workload: WorkloadTier,
    pub custodian: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buyers {
    /// Recipients of whole servers resold or donated.
    pub servers: Vec<String>,
    /// The buyer of harvested drives that are not kept as spares.
    pub drives: String,
}

// --- downstream vendors -------------------------------------------------------------------

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoVendor {
    pub key: String,
    pub name: String,
    pub country: String,
    pub role: crate::rules::VendorRole,
    pub address: String,
    /// Where lots are handed to the vendor.
    pub place: String,
    /// Who receives them there.
    pub contact: String,
    /// The lots (by name) this vendor receives instead of the first vendor.
    pub receives: Vec<String>,
    pub certifications: Vec<crate::vendors::Certification>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Downstream {
    pub vendors: Vec<DemoVendor>,
    pub carrier: String,
    pub driver: String,
    pub smelter: String,
    pub smelter_place: String,
}

impl Downstream {
    /// The vendor that receives the lot named `lot`.
    pub fn vendor_for(&self, lot: &str) -> &DemoVendor {
        self.vendors.iter().find(|v| v.receives.iter().any(|r| r == lot)).unwrap_or(&self.vendors[0])
    }
}

// --- parts --------------------------------------------------------------------------------

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mass {
    pub kg: f64,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Embodied {
    pub kgco2e: f64,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Power {
    pub w: f64,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Die {
    pub mm2: f64,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Perf {
    pub value: f64,
    pub unit: String,
}

/// A row of the Boavizta CSV, by manufacturer and name as spelt there.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetRef {
    pub manufacturer: String,
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cpus {
    pub mass: Mass,
    pub model: Vec<Cpu>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cpu {
    pub key: String,
    pub manufacturer: String,
    pub model_number: String,
    pub year: i32,
    pub socket: String,
    pub cores: i32,
    pub tdp_w: f64,
    pub die: Option<Die>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gpu {
    pub key: String,
    pub manufacturer: String,
    pub model_number: String,
    pub year: i32,
    pub form_factor: String,
    pub vram_gb: f64,
    pub max_w: f64,
    pub perf: Perf,
    pub memory: String,
    pub interconnect: Option<String>,
    pub mass: Mass,
    pub embodied: Option<Embodied>,
    pub notes: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimms {
    pub form_factor: String,
    pub registered: bool,
    pub ecc: bool,
    pub material: String,
    pub mass: Mass,
    pub model: Vec<Dimm>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimm {
    pub key: String,
    pub manufacturer: String,
    pub model_number: String,
    pub year: i32,
    pub gb: f64,
    /// "DDR4" or "DDR5".
    pub generation: String,
    pub speed_mt_s: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drive {
    pub key: String,
    /// hdd, ssd or nvme.
    pub kind: AssetKind,
    pub manufacturer: String,
    pub model_number: String,
    pub year: i32,
    pub form_factor: String,
    pub capacity_tb: f64,
    pub rpm: Option<u32>,
    pub interface: String,
    pub material: Option<String>,
    pub mass: Mass,
    /// The vendor footprint sheet, if the Boavizta data has one.
    pub boavizta: Option<SheetRef>,
    /// Add the sheet's whole-life total to the model's notes.
    #[serde(default)]
    pub sheet_total_note: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Psus {
    pub form_factor: String,
    pub efficiency: String,
    pub mass: Mass,
    pub model: Vec<Psu>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Psu {
    pub key: String,
    pub manufacturer: String,
    pub model_number: String,
    pub year: i32,
    pub rated_w: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nics {
    pub manufacturer: String,
    pub form_factor: String,
    pub material: String,
    pub mass: Mass,
    pub notes: String,
    pub model: Vec<Nic>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nic {
    pub key: String,
    pub model_number: String,
    pub year: i32,
    pub ports: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boards {
    pub material: String,
    pub dual_socket_mass: Mass,
    pub single_socket_mass: Mass,
    pub model: Vec<Board>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    pub key: String,
    pub manufacturer: String,
    pub model_number: String,
    pub year: i32,
    /// 1 or 2.
    pub sockets: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseboard {
    pub key: String,
    pub manufacturer: String,
    pub model_number: String,
    pub year: i32,
    pub form_factor: String,
    pub gpu_slots: u32,
    pub material: String,
    pub notes: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Battery {
    pub key: String,
    pub manufacturer: String,
    pub model_number: String,
    pub year: i32,
    pub form_factor: String,
    pub chemistry: String,
    pub nominal_voltage_v: u32,
    pub notes: String,
}

/// `parts.toml`, in the order the catalog lists the families.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parts {
    pub cpus: Cpus,
    #[serde(default)]
    pub gpu: Vec<Gpu>,
    pub dimms: Dimms,
    #[serde(default)]
    pub drive: Vec<Drive>,
    pub psus: Psus,
    pub nics: Nics,
    pub boards: Boards,
    #[serde(default)]
    pub baseboard: Vec<Baseboard>,
    #[serde(default)]
    pub battery: Vec<Battery>,
}

/// The family a part key belongs to, for checking what a configuration names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Cpu,
    Gpu,
    Dimm,
    Drive,
    Psu,
    Nic,
    Board,
    Baseboard,
    Battery,
}

impl Family {
    fn label(self) -> &'static str {
        match self {
            Family::Cpu => "a CPU",
            Family::Gpu => "a GPU",
            Family::Dimm => "a DIMM",
            Family::Drive => "a drive",
            Family::Psu => "a PSU",
            Family::Nic => "a NIC",
            Family::Board => "a system board",
            Family::Baseboard => "a GPU baseboard",
            Family::Battery => "a battery",
        }
    }
}

impl Parts {
    /// Every part as (family, key, manufacturer, model number), in file order.
    fn index(&self) -> Vec<(Family, &str, &str, &str)> {
        let mut out = Vec::new();
        for c in &self.cpus.model {
            out.push((Family::Cpu, c.key.as_str(), c.manufacturer.as_str(), c.model_number.as_str()));
        }
        for g in &self.gpu {
            out.push((Family::Gpu, g.key.as_str(), g.manufacturer.as_str(), g.model_number.as_str()));
        }
        for d in &self.dimms.model {
            out.push((Family::Dimm, d.key.as_str(), d.manufacturer.as_str(), d.model_number.as_str()));
        }
        for d in &self.drive {
            out.push((Family::Drive, d.key.as_str(), d.manufacturer.as_str(), d.model_number.as_str()));
        }
        for p in &self.psus.model {
            out.push((Family::Psu, p.key.as_str(), p.manufacturer.as_str(), p.model_number.as_str()));
        }
        for n in &self.nics.model {
            out.push((Family::Nic, n.key.as_str(), self.nics.manufacturer.as_str(), n.model_number.as_str()));
        }
        for b in &self.boards.model {
            out.push((Family::Board, b.key.as_str(), b.manufacturer.as_str(), b.model_number.as_str()));
        }
        for b in &self.baseboard {
            out.push((Family::Baseboard, b.key.as_str(), b.manufacturer.as_str(), b.model_number.as_str()));
        }
        for b in &self.battery {
            out.push((Family::Battery, b.key.as_str(), b.manufacturer.as_str(), b.model_number.as_str()));
        }
        out
    }

    /// Every mass with the key it belongs to (family masses under the family's name).
    fn masses(&self) -> Vec<(&str, &Mass)> {
        let mut out = vec![
            ("[cpus]", &self.cpus.mass),
            ("[dimms]", &self.dimms.mass),
            ("[psus]", &self.psus.mass),
            ("[nics]", &self.nics.mass),
            ("[boards] dual_socket_mass", &self.boards.dual_socket_mass),
            ("[boards] single_socket_mass", &self.boards.single_socket_mass),
        ];
        out.extend(self.gpu.iter().map(|g| (g.key.as_str(), &g.mass)));
        out.extend(self.drive.iter().map(|d| (d.key.as_str(), &d.mass)));
        out
    }
}

// --- servers --------------------------------------------------------------------------------

/// GPUs of a GPU server and where they sit.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSet {
    pub gpu: String,
    pub count: usize,
    /// A separate GPU baseboard (HGX) in the server, or `None` for cards on the main board.
    pub baseboard: Option<String>,
}

/// What the demo registers inside one server of a model, by part key.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The key purchase orders use.
    pub key: String,
    /// The server model's catalog key.
    pub server: String,
    pub board: String,
    pub cpu: String,
    pub cpus: usize,
    pub dimm: String,
    pub dimms: usize,
    pub gpus: Option<GpuSet>,
    /// Drives on the main board (M.2).
    pub board_drives: Vec<(String, usize)>,
    /// Drives in the server's bays.
    pub drives: Vec<(String, usize)>,
    pub psu: String,
    pub psus: usize,
    pub nics: Vec<(String, usize)>,
}

impl ServerConfig {
    /// Every part registered inside the server, as (part key, count).
    pub fn parts(&self) -> Vec<(&str, usize)> {
        let mut out = vec![(self.board.as_str(), 1), (self.cpu.as_str(), self.cpus), (self.dimm.as_str(), self.dimms)];
        if let Some(g) = &self.gpus {
            out.push((g.gpu.as_str(), g.count));
            if let Some(b) = &g.baseboard {
                out.push((b.as_str(), 1));
            }
        }
        out.extend(self.board_drives.iter().map(|(k, n)| (k.as_str(), *n)));
        out.extend(self.drives.iter().map(|(k, n)| (k.as_str(), *n)));
        out.push((self.psu.as_str(), self.psus));
        out.extend(self.nics.iter().map(|(k, n)| (k.as_str(), *n)));
        out
    }

    pub fn has_gpus(&self) -> bool {
        self.gpus.is_some()
    }
}

/// A server model: its vendor sheet (if any), what the demo knows besides, and the
/// configuration the demo builds it in.
#[derive(Clone, Debug)]
pub struct ServerSheet {
    pub config: ServerConfig,
    pub manufacturer: String,
    pub model_number: String,
    pub boavizta: Option<SheetRef>,
    pub year: i32,
    pub form_factor: String,
    /// The whole server's mass when there is no sheet, with its source.
    pub mass: Option<Mass>,
    pub max_power: Option<Power>,
    pub notes: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServersFile {
    server: Vec<ServerRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerRecord {
    config: String,
    key: String,
    manufacturer: String,
    model_number: String,
    year: i32,
    form_factor: String,
    boavizta: Option<SheetRef>,
    mass: Option<Mass>,
    max_power: Option<Power>,
    notes: Option<String>,
    configuration: ConfigRecord,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigRecord {
    board: String,
    cpu: String,
    cpus: usize,
    dimm: String,
    dimms: usize,
    gpus: Option<GpuSet>,
    #[serde(default)]
    board_drives: Vec<(String, usize)>,
    #[serde(default)]
    drives: Vec<(String, usize)>,
    psu: String,
    psus: usize,
    #[serde(default)]
    nics: Vec<(String, usize)>,
}

// --- the whole ----------------------------------------------------------------------------

/// Everything the data files hold, validated.
#[derive(Clone, Debug)]
pub struct Demo {
    /// The source every site's grid intensity is recorded with.
    pub grid_ci_source: String,
    /// In file order (the order the sites are created in).
    pub sites: Vec<SiteDef>,
    /// In delivery order, with the line each row is on.
    pub purchase_orders: Vec<(u64, PoRow)>,
    pub buyers: Buyers,
    pub downstream: Downstream,
    pub parts: Parts,
    pub servers: Vec<ServerSheet>,
}

impl Demo {
    /// The site with this key (every key has one: reading checks it).
    pub fn site(&self, key: SiteKey) -> &SiteDef {
        self.sites.iter().find(|s| s.key == key).unwrap_or(&self.sites[0])
    }

    /// The configuration with this key.
    pub fn config(&self, key: &str) -> anyhow::Result<&ServerConfig> {
        self.configs().find(|c| c.key == key).with_context(|| format!("no demo server configuration {key:?}"))
    }

    /// Every configuration, in `servers.toml` order.
    pub fn configs(&self) -> impl Iterator<Item = &ServerConfig> {
        self.servers.iter().map(|s| &s.config)
    }
}

/// The data compiled into the binary, read (and checked) once.
pub fn demo() -> anyhow::Result<&'static Demo> {
    static DEMO: OnceLock<Result<Demo, String>> = OnceLock::new();
    match DEMO.get_or_init(|| parse(&Files::EMBEDDED).map_err(|e| format!("{e:#}"))) {
        Ok(d) => Ok(d),
        Err(e) => Err(anyhow!("reading the demo data: {e}")),
    }
}

fn toml_file<T: DeserializeOwned>(file: &str, text: &str) -> anyhow::Result<T> {
    toml::from_str(text).map_err(|e| anyhow!("{file}: {}", e.to_string().trim_end()))
}

/// Reads and checks the data files.
pub fn parse(files: &Files) -> anyhow::Result<Demo> {
    let sites: SitesFile = toml_file(SITES_FILE, files.sites)?;
    check_sites(&sites.site)?;
    let buyers: Buyers = toml_file(BUYERS_FILE, files.buyers)?;
    if buyers.servers.is_empty() {
        bail!("{BUYERS_FILE}: `servers` lists no buyer");
    }
    let downstream: Downstream = toml_file(DOWNSTREAM_FILE, files.downstream)?;
    let mut vendor_keys = HashSet::new();
    for v in &downstream.vendors {
        if !vendor_keys.insert(v.key.as_str()) {
            bail!("{DOWNSTREAM_FILE}: vendor key {:?} appears twice", v.key);
        }
    }
    if downstream.vendors.is_empty() {
        bail!("{DOWNSTREAM_FILE}: `vendors` lists no vendor");
    }
    let parts: Parts = toml_file(PARTS_FILE, files.parts)?;
    let families = check_parts(&parts)?;
    let servers_file: ServersFile = toml_file(SERVERS_FILE, files.servers)?;
    let servers = check_servers(servers_file, &parts, &families)?;
    let configs: HashSet<&str> = servers.iter().map(|s| s.config.key.as_str()).collect();
    let purchase_orders = read_purchase_orders(files.purchase_orders, &configs, &families)?;
    Ok(Demo {
        grid_ci_source: sites.grid_ci_source,
        sites: sites.site,
        purchase_orders,
        buyers,
        downstream,
        parts,
        servers,
    })
}

fn check_sites(sites: &[SiteDef]) -> anyhow::Result<()> {
    let mut keys = HashSet::new();
    let mut names = HashSet::new();
    let mut codes = HashSet::new();
    for s in sites {
        if !keys.insert(s.key) {
            bail!("{SITES_FILE}: site {:?} appears twice", s.name);
        }
        if !names.insert(crate::text::key(&s.name)) {
            bail!("{SITES_FILE}: two sites are named {:?}", s.name);
        }
        if !codes.insert(s.code.as_str()) {
            bail!("{SITES_FILE}: site {:?}: code {:?} is taken", s.name, s.code);
        }
        if !(s.grid_ci.is_finite() && s.grid_ci >= 0.0) {
            bail!("{SITES_FILE}: site {:?}: grid_ci_g_per_kwh {} is not a non-negative number", s.name, s.grid_ci);
        }
        if let Some(p) = s.pue
            && !(p.is_finite() && p >= 1.0)
        {
            bail!("{SITES_FILE}: site {:?}: pue {p} is below 1", s.name);
        }
    }
    for k in SiteKey::ALL {
        if !keys.contains(&k) {
            bail!("{SITES_FILE}: the demo story needs a site with key {k:?}, and there is none");
        }
    }
    Ok(())
}

/// Checks `parts.toml` and returns each key's family.
fn check_parts(parts: &Parts) -> anyhow::Result<HashMap<&str, Family>> {
    let mut families = HashMap::new();
    let mut labels = HashSet::new();
    for (family, key, manufacturer, number) in parts.index() {
        if families.insert(key, family).is_some() {
            bail!("{PARTS_FILE}: key {key:?} appears twice");
        }
        if !labels.insert(crate::catalog::model_key(manufacturer, number)) {
            bail!("{PARTS_FILE} [{key}]: {manufacturer} {number} is already another part");
        }
    }
    for (key, m) in parts.masses() {
        if !(m.kg.is_finite() && m.kg >= 0.0) {
            bail!("{PARTS_FILE} {key}: mass {} kg is not a non-negative number", m.kg);
        }
    }
    for d in &parts.dimms.model {
        if !matches!(d.generation.as_str(), "DDR4" | "DDR5") {
            bail!("{PARTS_FILE} [{}]: generation {:?} is neither DDR4 nor DDR5", d.key, d.generation);
        }
    }
    for d in &parts.drive {
        if !matches!(d.kind, AssetKind::Hdd | AssetKind::Ssd | AssetKind::Nvme) {
            bail!("{PARTS_FILE} [{}]: kind {} is not a drive (hdd, ssd or nvme)", d.key, d.kind);
        }
        if d.sheet_total_note && d.boavizta.is_none() {
            bail!("{PARTS_FILE} [{}]: sheet_total_note needs a boavizta sheet", d.key);
        }
    }
    for b in &parts.boards.model {
        if !matches!(b.sockets, 1 | 2) {
            bail!("{PARTS_FILE} [{}]: sockets {} (the demo knows single- and dual-socket boards)", b.key, b.sockets);
        }
    }
    Ok(families)
}

fn check_servers(
    file: ServersFile,
    parts: &Parts,
    families: &HashMap<&str, Family>,
) -> anyhow::Result<Vec<ServerSheet>> {
    let mut configs = HashSet::new();
    let mut keys = HashSet::new();
    let mut labels: HashSet<String> =
        parts.index().iter().map(|(_, _, m, n)| crate::catalog::model_key(m, n)).collect();
    let mut out = Vec::new();
    for r in file.server {
        let key = r.key;
        let at = format!("{SERVERS_FILE} [{key}]");
        if !configs.insert(r.config.clone()) {
            bail!("{at}: configuration key {:?} is taken", r.config);
        }
        if families.contains_key(key.as_str()) || !keys.insert(key.clone()) {
            bail!("{at}: key {key:?} is taken");
        }
        if !labels.insert(crate::catalog::model_key(&r.manufacturer, &r.model_number)) {
            bail!("{at}: {} {} is already another model", r.manufacturer, r.model_number);
        }
        match (&r.boavizta, &r.mass) {
            (Some(_), Some(_)) => bail!("{at}: give either boavizta (the sheet) or mass, not both"),
            (None, None) => bail!("{at}: give boavizta (the sheet) or, without a sheet, mass"),
            (_, Some(m)) if !(m.kg.is_finite() && m.kg > 0.0) => bail!("{at}: mass {} kg is not positive", m.kg),
            _ => {}
        }
        let c = r.configuration;
        let want = |part: &str, family: Family, slot: &str| -> anyhow::Result<()> {
            match families.get(part) {
                Some(f) if *f == family => Ok(()),
                Some(_) => bail!("{at}: configuration {slot} {part:?} is not {} in {PARTS_FILE}", family.label()),
                None => bail!("{at}: configuration {slot} names {part:?}, which {PARTS_FILE} lacks"),
            }
        };
        let count = |n: usize, slot: &str| -> anyhow::Result<()> {
            if n == 0 { bail!("{at}: configuration {slot}: a count of 0") } else { Ok(()) }
        };
        want(&c.board, Family::Board, "board")?;
        want(&c.cpu, Family::Cpu, "cpu")?;
        count(c.cpus, "cpus")?;
        want(&c.dimm, Family::Dimm, "dimm")?;
        count(c.dimms, "dimms")?;
        if let Some(g) = &c.gpus {
            want(&g.gpu, Family::Gpu, "gpus.gpu")?;
            count(g.count, "gpus.count")?;
            if let Some(b) = &g.baseboard {
                want(b, Family::Baseboard, "gpus.baseboard")?;
            }
        }
        for (slot, list, family) in [
            ("board_drives", &c.board_drives, Family::Drive),
            ("drives", &c.drives, Family::Drive),
            ("nics", &c.nics, Family::Nic),
        ] {
            for (part, n) in list {
                want(part, family, slot)?;
                count(*n, slot)?;
            }
        }
        want(&c.psu, Family::Psu, "psu")?;
        count(c.psus, "psus")?;
        out.push(ServerSheet {
            config: ServerConfig {
                key: r.config,
                server: key,
                board: c.board,
                cpu: c.cpu,
                cpus: c.cpus,
                dimm: c.dimm,
                dimms: c.dimms,
                gpus: c.gpus,
                board_drives: c.board_drives,
                drives: c.drives,
                psu: c.psu,
                psus: c.psus,
                nics: c.nics,
            },
            manufacturer: r.manufacturer,
            model_number: r.model_number,
            boavizta: r.boavizta,
            year: r.year,
            form_factor: r.form_factor,
            mass: r.mass,
            max_power: r.max_power,
            notes: r.notes,
        });
    }
    Ok(out)
}

fn read_purchase_orders(
    text: &str,
    configs: &HashSet<&str>,
    families: &HashMap<&str, Family>,
) -> anyhow::Result<Vec<(u64, PoRow)>> {
    let mut rdr = csv::ReaderBuilder::new().comment(Some(b'#')).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = rdr.headers().with_context(|| format!("{PO_FILE}: reading the header line"))?.clone();
    let mut out: Vec<(u64, PoRow)> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.with_context(|| format!("{PO_FILE}: reading a row"))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let at = format!("{PO_FILE} line {line}");
        let row: PoRow = rec.deserialize(Some(&headers)).map_err(|e| anyhow!("{at}: {e}"))?;
        if !configs.contains(row.configuration.as_str()) {
            bail!("{at}: configuration {:?} is not in {SERVERS_FILE}", row.configuration);
        }
        if let Some(cpu) = &row.cpu
            && families.get(cpu.as_str()) != Some(&Family::Cpu)
        {
            bail!("{at}: cpu {cpu:?} is not a CPU in {PARTS_FILE}");
        }
        if row.servers == 0 {
            bail!("{at}: an order of 0 servers");
        }
        if let Some((_, prev)) = out.last()
            && row.date < prev.date
        {
            bail!("{at}: delivered {}, before the row above ({}): list orders by date", row.date, prev.date);
        }
        out.push((line, row));
    }
    if out.is_empty() {
        bail!("{PO_FILE}: no purchase order");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut Files<'static>)) -> anyhow::Result<Demo> {
        let mut files = Files::EMBEDDED;
        f(&mut files);
        parse(&files)
    }

    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }

    fn err(r: anyhow::Result<Demo>) -> String {
        format!("{:#}", r.expect_err("refused"))
    }

    #[test]
    fn the_embedded_files_read() {
        let d = demo().expect("demo data");
        assert_eq!(d.sites.len(), 5);
        assert_eq!(d.purchase_orders.len(), 29);
        assert_eq!(d.servers.len(), 17);
        assert_eq!(d.parts.index().len(), 60);
        assert_eq!(d.site(SiteKey::Wh).code, "utr");
        assert_eq!(d.config("r640").expect("r640").server, "srv.dell.r640");
        let (line, first) = &d.purchase_orders[0];
        assert_eq!((first.date.to_string().as_str(), first.configuration.as_str()), ("2015-04-13", "r630"));
        assert!(*line > 1, "line numbers count the comment lines too");
        assert!(d.purchase_orders.iter().any(|(_, p)| p.cpu.is_none()));
        assert!(d.purchase_orders.iter().any(|(_, p)| p.cpu.as_deref() == Some("cpu.xeon.6130")));
    }

    #[test]
    fn an_unknown_field_is_refused_naming_the_file_and_field() {
        let parts = leak(Files::EMBEDDED.parts.replace("die = { mm2 = 485.0,", "die = { dye_mm2 = 485.0,"));
        let e = err(with(|f| f.parts = parts));
        assert!(e.contains("refdata/demo/parts.toml") && e.contains("dye_mm2"), "{e}");

        let sites = leak(Files::EMBEDDED.sites.replace("pue = 1.35", "pue = 1.35\nPUE = 1.35"));
        let e = err(with(|f| f.sites = sites));
        assert!(e.contains("sites.toml") && e.contains("PUE"), "{e}");

        let pos = leak(Files::EMBEDDED.purchase_orders.replace(",workload,custodian\n", ",workload,team\n"));
        let e = err(with(|f| f.purchase_orders = pos));
        assert!(e.contains("purchase_orders.csv line 16") && e.contains("team"), "{e}");
    }

    #[test]
    fn a_configuration_naming_a_missing_part_is_refused() {
        let servers = leak(Files::EMBEDDED.servers.replacen("psu = \"psu.dell.750\"", "psu = \"psu.dell.7500\"", 1));
        let e = err(with(|f| f.servers = servers));
        assert!(e.contains("servers.toml [srv.dell.r640]") && e.contains("psu.dell.7500"), "{e}");

        let servers = leak(Files::EMBEDDED.servers.replacen("cpu = \"cpu.xeon.6248\"", "cpu = \"psu.dell.750\"", 1));
        let e = err(with(|f| f.servers = servers));
        assert!(e.contains("[srv.dell.r640]") && e.contains("is not a CPU"), "{e}");
    }

    #[test]
    fn a_purchase_order_naming_a_missing_configuration_cpu_or_site_is_refused() {
        let pos = leak(Files::EMBEDDED.purchase_orders.replacen(",r740,,16,fra,", ",r741,,16,fra,", 1));
        let e = err(with(|f| f.purchase_orders = pos));
        assert!(e.contains("purchase_orders.csv line 19") && e.contains("r741"), "{e}");

        let pos = leak(Files::EMBEDDED.purchase_orders.replacen("cpu.xeon.6130", "cpu.xeon.9999", 1));
        let e = err(with(|f| f.purchase_orders = pos));
        assert!(e.contains("line 18") && e.contains("cpu.xeon.9999"), "{e}");

        let pos = leak(Files::EMBEDDED.purchase_orders.replacen(",16,fra,", ",16,ams,", 1));
        let e = err(with(|f| f.purchase_orders = pos));
        assert!(e.contains("line 19") && e.contains("ams"), "{e}");
    }

    #[test]
    fn keys_must_be_unique() {
        let parts = leak(Files::EMBEDDED.parts.replacen("key = \"cpu.xeon.6248\"", "key = \"cpu.xeon.6130\"", 1));
        let e = err(with(|f| f.parts = parts));
        assert!(e.contains("parts.toml") && e.contains("cpu.xeon.6130") && e.contains("twice"), "{e}");

        let servers = leak(Files::EMBEDDED.servers.replacen("config = \"r740\"", "config = \"r640\"", 1));
        let e = err(with(|f| f.servers = servers));
        assert!(e.contains("servers.toml [srv.dell.r740]") && e.contains("\"r640\" is taken"), "{e}");

        let sites = leak(Files::EMBEDDED.sites.replacen("key = \"sto\"", "key = \"fra\"", 1));
        let e = err(with(|f| f.sites = sites));
        assert!(e.contains("sites.toml") && e.contains("Stockholm STO1"), "{e}");
    }
}
