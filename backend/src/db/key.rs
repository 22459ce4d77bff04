//! The chain key: the secret that links the hash chain, so that someone who can write to
//! the database but cannot read the key cannot recompute a chain that verifies.
//!
//! Links are HMAC-SHA-256 under this key. The key never enters the database, a log or the
//! audit trail; `Debug` prints nothing of it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// 256 random bits.
#[derive(Clone, PartialEq, Eq)]
pub struct ChainKey([u8; 32]);

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(…)")
    }
}

/// How a key in the environment or a key file must look.
pub const KEY_FORMAT: &str = "64 hexadecimal characters (256 bits), e.g. from `openssl rand -hex 32`";

impl ChainKey {
    /// A fresh random key.
    pub fn random() -> ChainKey {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        ChainKey(bytes)
    }

    /// Parses a key written as 64 hex characters (surrounding whitespace ignored).
    pub fn from_hex(s: &str) -> Result<ChainKey, String> {
        let s = s.trim();
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("a chain key must be {KEY_FORMAT}"));
        }
        let mut bytes = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(chunk).map_err(|e| e.to_string())?;
            bytes[i] = u8::from_str_radix(pair, 16).map_err(|e| e.to_string())?;
        }
        Ok(ChainKey(bytes))
    }

    /// The key as 64 hex characters (for writing a key file).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// HMAC-SHA-256 of `content` under this key, lower-case hex.
    pub fn mac(&self, content: &str) -> String {
        // Any key length is valid for HMAC, so this cannot fail; an empty MAC would never
        // verify, which is the safe outcome.
        match <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) {
            Ok(mut m) => {
                m.update(content.as_bytes());
                m.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
            }
            Err(_) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ChainKey;

    #[test]
    fn macs_are_hmac_sha256_and_depend_on_the_key() {
        // HMAC-SHA-256(key = bytes 0x00..0x1f, "reloop"), computed independently with
        // Python's hmac module.
        let key = ChainKey::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").expect("key");
        let mac = key.mac("reloop");
        assert_eq!(mac, "444b71ee015ff195f9d31f559fb78fe967816eda8eda5d9d94b9e94127f2065f");
        assert_ne!(mac, ChainKey::random().mac("reloop"));
        assert_eq!(key.mac("reloop"), mac, "deterministic");
        assert!(ChainKey::from_hex("xyz").is_err());
        assert_eq!(ChainKey::from_hex(&key.to_hex()).expect("round trip"), key);
        assert_eq!(format!("{key:?}"), "ChainKey(…)");
    }
}
