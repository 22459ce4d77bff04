//! Data sanitization in the NIST SP 800-88 vocabulary (Rev. 1, and IEEE 2883-2022 for
//! device-specific techniques): what a record says, and which releases a passing record
//! allows.
//!
//! Invariants (pure; `sanitization` and `lifecycle::gate` apply them):
//! - A technique belongs to its method class (an overwrite clears or purges; shredding
//!   destroys; a block erase or cryptographic erase purges).
//! - A sampled verification names its sample share, 0 < share < 1.
//! - A passing `clear` record allows reuse inside the organisation only; leaving it (a
//!   transfer out) needs `purge` (NIST SP 800-88 Rev. 1 §4.6: media leaving organisational
//!   control is purged or destroyed); a `destroy` record allows recycling and never reuse.

text_enum! {
    /// The NIST SP 800-88 method class.
    pub enum MethodClass {
        Clear = "clear" / "Clear",
        Purge = "purge" / "Purge",
        Destroy = "destroy" / "Destroy",
    }
}

text_enum! {
    /// How the data was removed.
    pub enum Technique {
        Overwrite = "overwrite" / "Overwrite",
        BlockErase = "block_erase" / "Block erase",
        CryptoErase = "crypto_erase" / "Cryptographic erase",
        Degauss = "degauss" / "Degauss",
        Shred = "shred" / "Shred",
        Disintegrate = "disintegrate" / "Disintegrate",
        Pulverize = "pulverize" / "Pulverize",
        Incinerate = "incinerate" / "Incinerate",
    }
}

text_enum! {
    /// How the result was verified.
    pub enum Verification {
        Full = "full" / "Full verification",
        Sampled = "sampled" / "Sampled verification",
    }
}

text_enum! {
    /// Whether the sanitization (and its verification) succeeded.
    pub enum SanitizationResult {
        Passed = "passed" / "Passed",
        Failed = "failed" / "Failed",
    }
}

text_enum! {
    /// What a device (or an item holding one) is being released to.
    pub enum Release {
        Reuse = "reuse" / "reuse in the organisation",
        Transfer = "transfer" / "transfer out of the organisation",
        Recycling = "recycling" / "recycling",
    }
}

impl Technique {
    /// The method classes this technique can achieve.
    pub fn classes(self) -> &'static [MethodClass] {
        use MethodClass::*;
        match self {
            Technique::Overwrite => &[Clear, Purge],
            Technique::BlockErase | Technique::CryptoErase | Technique::Degauss => &[Purge],
            Technique::Shred | Technique::Disintegrate | Technique::Pulverize | Technique::Incinerate => &[Destroy],
        }
    }
}

impl MethodClass {
    /// Whether a passing record of this class allows `release`.
    pub fn allows(self, release: Release) -> bool {
        match (self, release) {
            (MethodClass::Destroy, Release::Recycling) => true,
            (MethodClass::Destroy, _) => false,
            (MethodClass::Clear, Release::Transfer) => false,
            (MethodClass::Clear | MethodClass::Purge, _) => true,
        }
    }
}

/// Why a sanitization record is inconsistent, or `None`: the technique must achieve the
/// class, and a sampled verification needs a share in (0, 1).
pub fn record_problem(
    class: MethodClass,
    technique: Technique,
    verification: Verification,
    share: Option<f64>,
) -> Option<(&'static str, String)> {
    if !technique.classes().contains(&class) {
        let names: Vec<&str> = technique.classes().iter().map(|c| c.as_str()).collect();
        return Some((
            "technique",
            format!(
                "{} achieves {}, not {}",
                technique.label().to_lowercase(),
                super::text_enum::one_of(&names),
                class
            ),
        ));
    }
    match (verification, share) {
        (Verification::Sampled, Some(s)) if s > 0.0 && s < 1.0 => None,
        (Verification::Sampled, _) => Some((
            "sample_share",
            "a sampled verification needs the share sampled, between 0 and 1 (0.1 = 10 %)".into(),
        )),
        (Verification::Full, Some(_)) => Some(("sample_share", "is only for a sampled verification".into())),
        (Verification::Full, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destroy_allows_recycling_only_and_clear_stays_inside() {
        assert!(MethodClass::Destroy.allows(Release::Recycling));
        assert!(!MethodClass::Destroy.allows(Release::Reuse) && !MethodClass::Destroy.allows(Release::Transfer));
        assert!(MethodClass::Clear.allows(Release::Reuse) && !MethodClass::Clear.allows(Release::Transfer));
        assert!(Release::ALL.iter().all(|r| MethodClass::Purge.allows(*r)));
    }

    #[test]
    fn records_must_be_consistent() {
        use MethodClass::*;
        assert!(record_problem(Purge, Technique::CryptoErase, Verification::Full, None).is_none());
        assert!(record_problem(Clear, Technique::Overwrite, Verification::Sampled, Some(0.1)).is_none());
        let (field, msg) = record_problem(Clear, Technique::Shred, Verification::Full, None).unwrap_or_default();
        assert_eq!(field, "technique");
        assert!(msg.contains("achieves destroy"), "{msg}");
        assert_eq!(
            record_problem(Purge, Technique::BlockErase, Verification::Sampled, None).map(|p| p.0),
            Some("sample_share")
        );
        assert_eq!(
            record_problem(Purge, Technique::BlockErase, Verification::Sampled, Some(1.0)).map(|p| p.0),
            Some("sample_share")
        );
        assert_eq!(
            record_problem(Purge, Technique::BlockErase, Verification::Full, Some(0.5)).map(|p| p.0),
            Some("sample_share")
        );
    }
}
