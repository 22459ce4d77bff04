//! Printable labels: a QR code that opens the item's page, with the item's tag, serial and
//! model in text, as SVG for one label or a sheet of them (an A4 sheet of 21, a 62 mm roll).
//!
//! Invariants:
//! - A label's QR code encodes exactly `{public_url}/assets/{id}` ([`item_url`]) at error
//!   correction level M with a quiet zone of four modules, so a phone opens the item's
//!   page (signing in first when needed); it encodes nothing else.
//! - Drawing is pure ([`qr`], [`svg`]): text in, SVG out, every text XML-escaped. This
//!   module writes nothing and knows no HTTP; the web edge serves what it draws.
//! - A sheet is all or nothing: at most [`MAX_SHEET`] labels, and one unreadable or
//!   unknown id refuses the whole sheet, naming that id.

pub mod qr;
pub mod read;
pub mod stock;
pub mod svg;

pub use read::{MAX_SHEET, Sheet, SheetLabel, SheetRequest, item_url, label_svg, sheet};
pub use stock::Stock;
