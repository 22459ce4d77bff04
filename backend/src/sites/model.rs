//! A site as services return it, and the inputs that create and change one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::entities::site;
use crate::ids::SiteId;
use crate::rules::double_option;

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Site {
    pub id: SiteId,
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Grid carbon intensity in gCO2e/kWh.
    pub grid_ci_g_per_kwh: Option<f64>,
    /// Where the grid intensity figure comes from.
    pub grid_ci_source: String,
    /// Power usage effectiveness (total facility energy / IT energy).
    pub pue: Option<f64>,
    pub notes: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<site::Model> for Site {
    fn from(m: site::Model) -> Site {
        Site {
            id: m.id.into(),
            name: m.name,
            country: m.country,
            grid_ci_g_per_kwh: m.grid_ci_g_per_kwh,
            grid_ci_source: m.grid_ci_source,
            pue: m.pue,
            notes: m.notes,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    pub name: String,
    pub country: String,
    #[serde(default)]
    pub grid_ci_g_per_kwh: Option<f64>,
    #[serde(default)]
    pub grid_ci_source: Option<String>,
    #[serde(default)]
    pub pue: Option<f64>,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    pub version: i32,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub grid_ci_g_per_kwh: Option<Option<f64>>,
    #[serde(default)]
    pub grid_ci_source: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub pue: Option<Option<f64>>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl SitePatch {
    /// A patch that replaces every field with `n`'s (a blank source as ""), checked against
    /// `version`: what an edit form that shows every field submits. Absent `notes` stay.
    pub fn replacing(version: i32, n: NewSite) -> SitePatch {
        SitePatch {
            version,
            name: Some(n.name),
            country: Some(n.country),
            grid_ci_g_per_kwh: Some(n.grid_ci_g_per_kwh),
            grid_ci_source: Some(n.grid_ci_source.unwrap_or_default()),
            pue: Some(n.pue),
            notes: n.notes,
        }
    }
}
