//! Condition grades (R2v3 Equipment Categorization, and the retail A–D scale mapped onto it).

use serde::{Deserialize, Serialize};

text_enum! {
    /// R2v3 functional grade.
    pub enum FunctionalGrade {
        F0 = "F0" / "F0 not categorised",
        F1 = "F1" / "F1 collectible",
        F2 = "F2" / "F2 specialty",
        F3 = "F3" / "F3 key functions working",
        F4 = "F4" / "F4 hardware functional",
        F5 = "F5" / "F5 fully functional",
        F6 = "F6" / "F6 new",
    }
}

text_enum! {
    /// R2v3 cosmetic grade.
    pub enum CosmeticGrade {
        C0 = "C0" / "C0 not categorised",
        C1 = "C1" / "C1 damaged",
        C2 = "C2" / "C2 heavy wear",
        C3 = "C3" / "C3 moderate wear",
        C4 = "C4" / "C4 light wear",
        C5 = "C5" / "C5 used good",
        C6 = "C6" / "C6 used excellent",
        C7 = "C7" / "C7 certified pre-owned",
        C8 = "C8" / "C8 unused",
        C9 = "C9" / "C9 new open box",
    }
}

text_enum! {
    /// Retail grade, as resellers quote it.
    pub enum RetailGrade {
        A = "A" / "A like new",
        B = "B" / "B light wear",
        C = "C" / "C visible wear",
        D = "D" / "D for parts / damaged",
    }
}

/// An item's grades; each is optional until someone grades it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub functional: Option<FunctionalGrade>,
    pub cosmetic: Option<CosmeticGrade>,
    pub retail: Option<RetailGrade>,
}
