//! A downstream vendor as services return it, its certifications and standing, and the
//! inputs that create and change one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::entities::downstream_vendor as dv;
use crate::error::{AppError, AppResult};
use crate::ids::VendorId;
use crate::rules::eol::in_annex_vii;
use crate::rules::{CertScheme, VendorRole};

/// Days before expiry from which a certification is warned about.
pub const EXPIRY_NOTICE_DAYS: i64 = 60;

/// One certification a vendor holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    pub scheme: CertScheme,
    /// The certificate's number, as printed on it.
    pub number: String,
    /// The last day the certificate is valid.
    pub expires_on: NaiveDate,
}

/// Whether a vendor may receive lots on a given day, and what to warn about.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Standing {
    /// At least one e-waste certification (R2v3, e-Stewards, EN 50625, WEEELABEX) is valid.
    pub certified: bool,
    /// Expired, soon-expiring and missing certifications, in words.
    pub warnings: Vec<String>,
}

/// A vendor's standing on `today`: pure, so it is tested without a database.
pub fn standing(certs: &[Certification], today: NaiveDate) -> Standing {
    let mut s = Standing::default();
    for c in certs {
        let days = (c.expires_on - today).num_days();
        if days < 0 {
            s.warnings.push(format!("{} certificate {} expired on {}", c.scheme.label(), c.number, c.expires_on));
        } else {
            if c.scheme.is_ewaste_standard() {
                s.certified = true;
            }
            if days <= EXPIRY_NOTICE_DAYS {
                s.warnings.push(format!(
                    "{} certificate {} expires on {} (in {days} day(s))",
                    c.scheme.label(),
                    c.number,
                    c.expires_on
                ));
            }
        }
    }
    if !s.certified {
        s.warnings.insert(
            0,
            "no valid e-waste certification (R2v3, e-Stewards, EN 50625 or WEEELABEX): R2v3 and e-Stewards require certified downstream vendors".into(),
        );
    }
    s
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Vendor {
    pub id: VendorId,
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Whether the country is in Basel Annex VII (OECD, EU, Liechtenstein): hazardous lots
    /// may go elsewhere only with an export override.
    pub annex_vii: bool,
    pub address: String,
    pub role: VendorRole,
    pub certifications: Vec<Certification>,
    /// The standing on the day the vendor was read.
    pub standing: Standing,
    pub notes: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Vendor {
    /// The vendor of a row, with its standing on `today`.
    pub fn from_row(m: dv::Model, today: NaiveDate) -> AppResult<Vendor> {
        let role = VendorRole::parse(&m.role)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable vendor role {:?}", m.role)))?;
        let certifications: Vec<Certification> = serde_json::from_value(m.certifications)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("unreadable certifications of vendor {}: {e}", m.id)))?;
        Ok(Vendor {
            id: VendorId(m.id),
            annex_vii: in_annex_vii(&m.country),
            standing: standing(&certifications, today),
            name: m.name,
            country: m.country,
            address: m.address,
            role,
            certifications,
            notes: m.notes,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVendor {
    pub name: String,
    pub country: String,
    #[serde(default)]
    pub address: Option<String>,
    pub role: Option<VendorRole>,
    #[serde(default)]
    pub certifications: Vec<Certification>,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorPatch {
    pub version: i32,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub role: Option<VendorRole>,
    /// Replaces the whole list.
    #[serde(default)]
    pub certifications: Option<Vec<Certification>>,
    #[serde(default)]
    pub notes: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn standing_names_expired_soon_and_missing_certificates() {
        let today = d("2026-06-01");
        let r2 = Certification { scheme: CertScheme::R2v3, number: "R2-1".into(), expires_on: d("2027-01-31") };
        let es = Certification { scheme: CertScheme::EStewards, number: "ES-9".into(), expires_on: d("2026-05-31") };
        let iso = Certification { scheme: CertScheme::Iso14001, number: "EMS-3".into(), expires_on: d("2026-07-01") };
        let s = standing(&[r2.clone(), es.clone()], today);
        assert!(s.certified);
        assert_eq!(s.warnings, vec!["e-Stewards certificate ES-9 expired on 2026-05-31".to_owned()]);
        let s = standing(&[es, iso], today);
        assert!(!s.certified, "ISO 14001 alone does not certify e-waste handling");
        assert!(s.warnings[0].starts_with("no valid e-waste certification"), "{:?}", s.warnings);
        assert!(
            s.warnings.iter().any(|w| w.contains("ISO 14001 certificate EMS-3 expires on 2026-07-01 (in 30 day(s))"))
        );
        assert!(!standing(&[], today).certified);
        // Valid through its last day.
        assert!(standing(&[r2], d("2027-01-31")).certified);
    }
}
