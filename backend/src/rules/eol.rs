//! End of life: downstream vendors and their certifications, recycling lots, treatment
//! routes, the materials a recovery report speaks of, WEEE categories with their Annex V
//! targets, and the Basel export rule e-Stewards applies.
//!
//! Invariants (pure; the `vendors` and `recycling` services apply them):
//! - A lot goes `open` → `shipped` → `recovered`; only an open lot's contents change.
//! - A hazardous lot leaves for a country outside Basel Annex VII (OECD, EU, Liechtenstein)
//!   only with an explicit override and its reason ([`export_needs_override`]).
//! - Rates are by weight of what entered treatment (the lot's net weight at the scale);
//!   the targets are WEEE Directive 2012/19/EU Annex V, Part 3.

use super::kind::AssetKind;

text_enum! {
    /// What a downstream vendor does with what it receives.
    pub enum VendorRole {
        Refurbisher = "refurbisher" / "Refurbisher",
        Recycler = "recycler" / "Recycler",
        Smelter = "smelter" / "Smelter or refiner",
        Broker = "broker" / "Broker",
    }
}

text_enum! {
    /// A certification a downstream vendor holds.
    pub enum CertScheme {
        R2v3 = "r2v3" / "R2v3",
        EStewards = "e_stewards" / "e-Stewards",
        En50625 = "en_50625" / "EN 50625",
        Weeelabex = "weeelabex" / "WEEELABEX",
        Iso14001 = "iso_14001" / "ISO 14001",
    }
}

impl CertScheme {
    /// Whether the scheme certifies e-waste handling itself (R2v3, e-Stewards, EN 50625,
    /// WEEELABEX). ISO 14001 is an environmental management system: worth recording, but no
    /// downstream standard accepts it in their place.
    pub fn is_ewaste_standard(self) -> bool {
        !matches!(self, CertScheme::Iso14001)
    }
}

text_enum! {
    /// How a lot is treated downstream (the routes `refdata/recovery_rates.csv` has yields for).
    pub enum TreatmentRoute {
        ManualDismantlingThenIntegratedSmelter = "manual_dismantling_then_integrated_smelter" / "Manual dismantling, then an integrated smelter",
        ShreddingFirst = "shredding_first" / "Shredding first",
        HddMagnetRecyclingAcidFree = "hdd_magnet_recycling_acid_free" / "HDD magnet recycling (acid-free)",
        GlobalAverageEol = "global_average_eol" / "Global average end-of-life treatment",
    }
}

text_enum! {
    /// A material a recycler reports recovering.
    pub enum Material {
        Steel = "steel" / "Steel (iron)",
        Aluminium = "aluminium" / "Aluminium",
        Copper = "copper" / "Copper",
        Gold = "gold" / "Gold",
        Silver = "silver" / "Silver",
        Palladium = "palladium" / "Palladium",
        Cobalt = "cobalt" / "Cobalt",
        Neodymium = "neodymium" / "Neodymium",
        Plastics = "plastics" / "Plastics",
        Other = "other" / "Other materials",
    }
}

text_enum! {
    /// Where a recycling lot is.
    pub enum LotStatus {
        Open = "open" / "Open (being filled)",
        Shipped = "shipped" / "Shipped",
        Recovered = "recovered" / "Recovered (report received)",
    }
}

text_enum! {
    /// Which table of reference factors a factor belongs to.
    pub enum FactorKind {
        Content = "content" / "Material content (g per kg of item)",
        Yield = "yield" / "Recovery yield (share of the content recovered)",
    }
}

text_enum! {
    /// WEEE Directive 2012/19/EU Annex III categories that data-centre hardware falls in.
    pub enum WeeeCategory {
        Screens = "screens" / "Category 2: screens and monitors",
        LargeEquipment = "large_equipment" / "Category 4: large equipment",
        SmallIt = "small_it" / "Category 6: small IT and telecommunication equipment",
    }
}

/// Minimum targets of WEEE Directive 2012/19/EU Annex V, Part 3 (from 15 August 2018).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Targets {
    /// Share of the input recovered (recycled, prepared for re-use, or to energy recovery).
    pub recovery: f64,
    /// Share of the input prepared for re-use and recycled.
    pub reuse_and_recycling: f64,
}

impl WeeeCategory {
    /// The category's number in Annex III.
    pub fn number(self) -> u8 {
        match self {
            WeeeCategory::Screens => 2,
            WeeeCategory::LargeEquipment => 4,
            WeeeCategory::SmallIt => 6,
        }
    }

    pub fn targets(self) -> Targets {
        match self {
            WeeeCategory::Screens => Targets { recovery: 0.80, reuse_and_recycling: 0.70 },
            WeeeCategory::LargeEquipment => Targets { recovery: 0.85, reuse_and_recycling: 0.80 },
            WeeeCategory::SmallIt => Targets { recovery: 0.75, reuse_and_recycling: 0.55 },
        }
    }

    /// The category of a catalog model's UNU-KEY (the UNU e-waste statistics guidelines'
    /// mapping of UNU-KEYs 0301–0309 onto the EU-6 categories): professional IT (0307,
    /// servers) is large equipment; small IT, desktops, printers and telecom equipment are
    /// small IT; laptops and monitors are screens. Other keys: unknown.
    pub fn for_unu_key(key: &str) -> Option<WeeeCategory> {
        match key.trim() {
            "0307" => Some(WeeeCategory::LargeEquipment),
            "0301" | "0302" | "0304" | "0305" | "0306" => Some(WeeeCategory::SmallIt),
            "0303" | "0308" | "0309" => Some(WeeeCategory::Screens),
            _ => None,
        }
    }
}

/// Basel Convention Annex VII: the OECD members, the EU member states and Liechtenstein
/// (ISO 3166-1 alpha-2). The Basel Ban Amendment, which e-Stewards applies, forbids exporting
/// hazardous waste from these countries to any other.
pub const BASEL_ANNEX_VII: &[&str] = &[
    // OECD (38 members)
    "AT", "AU", "BE", "CA", "CH", "CL", "CO", "CR", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HU", "IE",
    "IL", "IS", "IT", "JP", "KR", "LT", "LU", "LV", "MX", "NL", "NO", "NZ", "PL", "PT", "SE", "SI", "SK", "TR", "US",
    // EU members outside the OECD, and Liechtenstein
    "BG", "CY", "HR", "MT", "RO", "LI",
];

/// Whether `country` (ISO 3166-1 alpha-2) is in Basel Annex VII.
pub fn in_annex_vii(country: &str) -> bool {
    let c = country.trim().to_ascii_uppercase();
    BASEL_ANNEX_VII.contains(&c.as_str())
}

/// Whether shipping a lot to `country` needs an explicit override (with its reason):
/// hazardous e-waste may not go to a country outside Annex VII (e-Stewards, Basel Ban).
pub fn export_needs_override(country: &str, hazardous: bool) -> bool {
    hazardous && !in_annex_vii(country)
}

impl AssetKind {
    /// Whether scrap of this kind is hazardous waste when shipped for recycling: it carries
    /// printed circuit boards (lead solder, capacitors) or batteries (Basel Annex VIII
    /// A1180; EU waste code 16 02 13*). Chassis, fans, CPUs on their own and other items
    /// are not counted as hazardous.
    pub fn is_hazardous_scrap(self) -> bool {
        use AssetKind::*;
        matches!(self, Server | Board | Gpu | Dimm | Hdd | Ssd | Nvme | Psu | Nic | Battery)
    }
}

/// A gap between the lot's weight at the scale and the masses registered for its contents
/// larger than this share of the scale weight is a warning: something is missing or
/// unregistered.
pub const WEIGHT_GAP_WARNING: f64 = 0.10;

/// Whether `net_kg` (the scale) and `registered_kg` (the registry) disagree by more than
/// [`WEIGHT_GAP_WARNING`] of the scale weight.
pub fn weight_gap_is_large(net_kg: f64, registered_kg: f64) -> bool {
    net_kg > 0.0 && (net_kg - registered_kg).abs() > WEIGHT_GAP_WARNING * net_kg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_v_targets_by_category() {
        assert_eq!(WeeeCategory::for_unu_key("0307"), Some(WeeeCategory::LargeEquipment));
        assert_eq!(WeeeCategory::for_unu_key(" 0302 "), Some(WeeeCategory::SmallIt));
        assert_eq!(WeeeCategory::for_unu_key(""), None);
        let t = WeeeCategory::LargeEquipment.targets();
        assert_eq!((t.recovery, t.reuse_and_recycling), (0.85, 0.80));
        let t = WeeeCategory::SmallIt.targets();
        assert_eq!((t.recovery, t.reuse_and_recycling), (0.75, 0.55));
        assert_eq!(WeeeCategory::LargeEquipment.number(), 4);
    }

    #[test]
    fn hazardous_lots_stay_within_annex_vii_unless_overridden() {
        assert_eq!(BASEL_ANNEX_VII.len(), 38 + 6);
        assert!(in_annex_vii("de") && in_annex_vii("US") && in_annex_vii("BG"));
        assert!(!export_needs_override("GH", false), "non-hazardous scrap may go anywhere");
        assert!(export_needs_override("GH", true) && export_needs_override("IN", true));
        assert!(!export_needs_override("NL", true));
        assert!(AssetKind::Server.is_hazardous_scrap() && AssetKind::Battery.is_hazardous_scrap());
        assert!(!AssetKind::Chassis.is_hazardous_scrap() && !AssetKind::Fan.is_hazardous_scrap());
    }

    #[test]
    fn weight_gaps_over_a_tenth_warn() {
        assert!(!weight_gap_is_large(100.0, 95.0));
        assert!(!weight_gap_is_large(100.0, 110.0));
        assert!(weight_gap_is_large(100.0, 89.0));
        assert!(weight_gap_is_large(100.0, 111.0));
        assert!(!CertScheme::Iso14001.is_ewaste_standard() && CertScheme::R2v3.is_ewaste_standard());
    }
}
