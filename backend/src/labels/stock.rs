//! The label stock a label is drawn for: its size, and how many fit on one printed page.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

/// Label stock in common use at a refurbisher's bench.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum Stock {
    /// A4 sheets of 21 labels, 3 × 7, 63.5 × 38.1 mm (Avery L7160/L7163).
    #[default]
    #[serde(rename = "a4-21")]
    A4x21,
    /// 62 mm continuous roll, one 62 × 29 mm label at a time (Brother QL, DK-22205).
    #[serde(rename = "roll-62")]
    Roll62,
}

impl Stock {
    pub const ALL: &'static [Stock] = &[Stock::A4x21, Stock::Roll62];

    /// The spelling in URLs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Stock::A4x21 => "a4-21",
            Stock::Roll62 => "roll-62",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Stock::A4x21 => "A4 sheet, 21 labels (63.5 × 38.1 mm)",
            Stock::Roll62 => "62 mm continuous roll (62 × 29 mm)",
        }
    }

    pub fn parse(s: &str) -> Option<Stock> {
        Stock::ALL.iter().copied().find(|k| k.as_str() == s.trim())
    }

    /// A `layout` parameter: absent or blank means the default (A4); anything else must be
    /// one of the stocks.
    pub fn from_param(value: Option<&str>) -> AppResult<Stock> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(Stock::default()),
            Some(v) => Stock::parse(v)
                .ok_or_else(|| AppError::invalid("layout", format!("must be a4-21 or roll-62, not {v:?}"))),
        }
    }

    /// One label's width and height in millimetres.
    pub fn size_mm(self) -> (f64, f64) {
        match self {
            Stock::A4x21 => (63.5, 38.1),
            Stock::Roll62 => (62.0, 29.0),
        }
    }

    /// Labels on one printed page.
    pub fn per_page(self) -> usize {
        match self {
            Stock::A4x21 => 21,
            Stock::Roll62 => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Stock;

    #[test]
    fn layouts_parse_strictly_and_default_to_a4() {
        assert_eq!(Stock::from_param(None).ok(), Some(Stock::A4x21));
        assert_eq!(Stock::from_param(Some(" ")).ok(), Some(Stock::A4x21));
        assert_eq!(Stock::from_param(Some("roll-62")).ok(), Some(Stock::Roll62));
        let err = Stock::from_param(Some("letter")).expect_err("unknown");
        assert!(err.to_string().contains("letter"), "{err}");
        for s in Stock::ALL {
            assert_eq!(Stock::parse(s.as_str()), Some(*s));
        }
    }
}
