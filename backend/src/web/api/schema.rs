//! OpenAPI schemas for the rules floor's vocabulary. `rules` knows nothing of OpenAPI, so
//! its types get their schemas here, built from the same lists the wire uses: every value
//! is documented in its wire spelling (`in_stock`, `asset_manager`), with its label.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::SchemaType};
use utoipa::{PartialSchema, ToSchema};

use crate::rules::{
    AssetKind, CertScheme, ChipSupply, CosmeticGrade, DemandScenario, Destination, Disposition, DueReason,
    EfficiencyPath, EventKind, FactorKind, FaultCategory, FunctionalGrade, Grade, KernelChoice, KernelSource,
    LineSource, LotStatus, Material, MethodClass, PartAction, PartOrigin, Permission, PomUnit, Release, RepairOutcome,
    RetailGrade, Role, SanitizationResult, State, Technique, TestResult, TreatmentRoute, VendorRole, Verification,
    WeeeCategory, WorkStatus, WorkloadTier,
};

/// A closed vocabulary as a string enum: the wire spellings, and their labels in the
/// description.
fn vocabulary(about: &str, values: &[(&'static str, &'static str)]) -> RefOr<Schema> {
    let labels: Vec<String> = values.iter().map(|(v, l)| format!("`{v}`: {l}")).collect();
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(values.iter().map(|(v, _)| *v)))
        .description(Some(format!("{about} One of: {}.", labels.join("; "))))
        .into()
}

macro_rules! vocabulary_schema {
    ($($ty:ident: $about:literal),* $(,)?) => {$(
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                let values: Vec<(&'static str, &'static str)> = $ty::ALL.iter().map(|v| (v.as_str(), v.label())).collect();
                vocabulary($about, &values)
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($ty))
            }
        }
    )*};
}

vocabulary_schema! {
    AssetKind: "What an item is.",
    State: "Where an item is in its life.",
    WorkloadTier: "The workload an item serves.",
    Disposition: "The next life of an item, as the policy engine suggests it.",
    DueReason: "Why an item is due for a decision on the fleet view.",
    Role: "A user's role.",
    Permission: "What a route requires.",
    EventKind: "What a ledger entry records.",
    FunctionalGrade: "R2v3 functional grade.",
    CosmeticGrade: "R2v3 cosmetic grade.",
    RetailGrade: "Retail grade, as resellers quote it.",
    FaultCategory: "Why an item came to the bench.",
    RepairOutcome: "How a repair ended.",
    WorkStatus: "Whether a repair order or dismantle job is open.",
    TestResult: "A part's functional test at the bench.",
    Destination: "Where a harvested or removed part goes (its pool).",
    PartOrigin: "How a part came to wait in a pool.",
    PartAction: "What a repair did with a part.",
    LineSource: "Why a dismantle job expects a part.",
    MethodClass: "NIST SP 800-88 method class.",
    Technique: "How the data was removed.",
    Verification: "How the result was verified.",
    SanitizationResult: "Whether the sanitization and its verification succeeded.",
    Release: "What a device is released to.",
    VendorRole: "What a downstream vendor does.",
    CertScheme: "A downstream vendor's certification scheme.",
    TreatmentRoute: "How a recycling lot is treated downstream.",
    Material: "A material a recovery report speaks of.",
    LotStatus: "Where a recycling lot is.",
    FactorKind: "Which table of reference factors a factor belongs to.",
    WeeeCategory: "A WEEE Directive 2012/19/EU Annex III category.",
    KernelChoice: "Which lifespan kernel a fleet forecast uses.",
    KernelSource: "Where a forecast's lifespan kernel comes from.",
    DemandScenario: "Users and model counts of the demand-driven model.",
    ChipSupply: "The chip-supply columns of the demand-driven model.",
    EfficiencyPath: "The efficiency columns of the demand-driven model.",
    PomUnit: "What a procurement series counts.",
}

/// The documentation twin of [`Grade`] (same fields, same wire shape).
#[derive(utoipa::ToSchema)]
#[schema(as = Grade)]
#[allow(dead_code)]
struct GradeDoc {
    functional: Option<FunctionalGrade>,
    cosmetic: Option<CosmeticGrade>,
    retail: Option<RetailGrade>,
}

impl PartialSchema for Grade {
    fn schema() -> RefOr<Schema> {
        GradeDoc::schema()
    }
}

impl ToSchema for Grade {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Grade")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        GradeDoc::schemas(schemas);
    }
}

/// The documentation twin of `rules::Page` for response bodies: `body = PageDoc<Asset>`
/// (documented as `Page`, so generated clients read `PageAsset`).
#[derive(utoipa::ToSchema)]
#[schema(as = Page)]
#[allow(dead_code)]
pub struct PageDoc<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_are_documented_in_their_wire_spelling() {
        let doc = serde_json::to_value(State::schema()).expect("schema");
        let values: Vec<&str> = doc["enum"].as_array().expect("enum").iter().filter_map(|v| v.as_str()).collect();
        assert_eq!(values, State::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>());
        assert!(values.contains(&"in_stock") && !values.contains(&"InStock"));
        let doc = serde_json::to_value(Role::schema()).expect("schema");
        assert!(doc["enum"].as_array().expect("enum").contains(&serde_json::json!("asset_manager")));
    }

    #[test]
    fn the_page_twin_has_the_wire_fields() {
        let page = crate::rules::Page { items: vec![1], next_cursor: None };
        let wire = serde_json::to_value(&page).expect("page");
        let keys: Vec<&String> = wire.as_object().expect("object").keys().collect();
        let doc = serde_json::to_value(PageDoc::<i32>::schema()).expect("schema");
        let documented: Vec<&String> = doc["properties"].as_object().expect("properties").keys().collect();
        assert_eq!(keys, documented);
    }
}
