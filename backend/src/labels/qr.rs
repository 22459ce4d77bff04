//! A QR code as a matrix of modules, and that matrix as SVG path data.

use qrcode::{Color, EcLevel, QrCode, Version};

use crate::error::{AppError, AppResult};

/// Light modules around the code on every side: the quiet zone scanners need.
pub const QUIET_ZONE: usize = 4;

/// The modules of one QR code (error correction level M), row by row.
pub struct QrMatrix {
    width: usize,
    version: i16,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `text` at error correction level M in the smallest version that holds it.
    pub fn encode(text: &str) -> AppResult<QrMatrix> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("encoding {} characters as a QR code: {e}", text.len())))?;
        let version = match code.version() {
            Version::Normal(v) | Version::Micro(v) => v,
        };
        Ok(QrMatrix {
            width: code.width(),
            version,
            dark: code.to_colors().into_iter().map(|c| c == Color::Dark).collect(),
        })
    }

    /// Modules across the code itself.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Modules across the code with its quiet zone on both sides: the drawing's extent.
    pub fn extent(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// The QR version (1–40): 4 or 5 for an item's address.
    pub fn version(&self) -> i16 {
        self.version
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// Path data drawing every dark module as a unit square in module units, offset by the
    /// quiet zone: one closed subpath per horizontal run of dark modules,
    /// `M{x} {y}h{n}v1h-{n}z`.
    pub fn path_data(&self) -> String {
        let mut d = String::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.width && self.is_dark(x, y) {
                    x += 1;
                }
                let n = x - start;
                d.push_str(&format!("M{} {}h{n}v1h-{n}z", start + QUIET_ZONE, y + QUIET_ZONE));
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::{QUIET_ZONE, QrMatrix};

    #[test]
    fn an_items_address_fits_version_4_or_5() {
        let url = "https://reloop.example.com/assets/0190a1b2-0000-7000-8000-000000000000";
        let qr = QrMatrix::encode(url).expect("encodes");
        assert!((4..=5).contains(&qr.version()), "version {}", qr.version());
        assert_eq!(qr.width(), 17 + 4 * qr.version() as usize);
        assert_eq!(qr.extent(), qr.width() + 8);
    }

    #[test]
    fn the_path_covers_exactly_the_dark_modules() {
        let qr = QrMatrix::encode("http://127.0.0.1/assets/x").expect("encodes");
        let mut painted = vec![false; qr.extent() * qr.extent()];
        for sub in qr.path_data().split('z').filter(|s| !s.is_empty()) {
            let (m, rest) = sub.trim_start_matches('M').split_once('h').expect("h");
            let (x, y) = m.split_once(' ').expect("x y");
            let (x, y): (usize, usize) = (x.parse().expect("x"), y.parse().expect("y"));
            let n: usize = rest.split_once('v').expect("v").0.parse().expect("n");
            for i in 0..n {
                painted[y * qr.extent() + x + i] = true;
            }
        }
        for y in 0..qr.extent() {
            for x in 0..qr.extent() {
                let inside = (QUIET_ZONE..QUIET_ZONE + qr.width()).contains(&x)
                    && (QUIET_ZONE..QUIET_ZONE + qr.width()).contains(&y);
                let dark = inside && qr.is_dark(x - QUIET_ZONE, y - QUIET_ZONE);
                assert_eq!(painted[y * qr.extent() + x], dark, "module {x},{y}");
            }
        }
    }

    #[test]
    fn too_much_text_is_an_error_not_a_panic() {
        assert!(QrMatrix::encode(&"x".repeat(5000)).is_err());
    }
}
