//! Newtype identifiers. Every id is a UUIDv7: time-ordered, so B-tree inserts append and
//! keyset pagination by id is creation order.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            pub const WHAT: &'static str = $what;

            /// A fresh time-ordered id.
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map($name)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                $name(u)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

id_type!(
    /// An asset: a server, board or chip.
    AssetId,
    "asset"
);
id_type!(
    /// A site (data centre, lab, warehouse).
    SiteId,
    "site"
);
id_type!(
    /// A hardware model in the catalog.
    ModelId,
    "hardware model"
);
id_type!(
    /// One entry in the lifecycle ledger.
    EventId,
    "event"
);
id_type!(
    /// A user account.
    UserId,
    "user"
);
id_type!(
    /// A personal API token.
    TokenId,
    "API token"
);
id_type!(
    /// An audit-trail entry.
    AuditId,
    "audit entry"
);
id_type!(
    /// A repair order.
    RepairId,
    "repair order"
);
id_type!(
    /// A dismantle job.
    JobId,
    "dismantle job"
);
id_type!(
    /// One expected part of a dismantle job.
    LineId,
    "harvest line"
);
id_type!(
    /// A part's stay in the spare pool, the resale stock or the recycling bin.
    StayId,
    "pool entry"
);
id_type!(
    /// A downstream vendor (refurbisher, recycler, smelter, broker).
    VendorId,
    "downstream vendor"
);
id_type!(
    /// A recycling lot.
    LotId,
    "recycling lot"
);
