//! Random secrets (session ids, CSRF tokens, API tokens), their stored hashes, and a
//! secret sealed for one trip through the database under a key the database never holds.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits as 64 hex characters.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the database keeps of a secret.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets without leaking where they differ through timing.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hmac(key: &str, parts: &[&[u8]]) -> Vec<u8> {
    // Any key length is valid for HMAC; an empty answer would never verify.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()) {
        Ok(mut m) => {
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok())).collect()
}

/// The keystream for `len` bytes: HMAC-SHA-256(key, "seal" | nonce | block number).
fn keystream(key: &str, nonce: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block: u32 = 0;
    while out.len() < len {
        out.extend(hmac(key, &[b"seal", nonce, &block.to_be_bytes()]));
        block += 1;
    }
    out.truncate(len);
    out
}

/// Seals `plain` under `key` (a secret the database does not keep, such as a session's
/// cookie): a random nonce, the text XORed with an HMAC-SHA-256 keystream, and a tag.
/// Whoever reads the sealed text without the key learns only its length.
pub fn seal(plain: &str, key: &str) -> String {
    let mut nonce = [0u8; 16];
    rand::rng().fill_bytes(&mut nonce);
    let stream = keystream(key, &nonce, plain.len());
    let body: Vec<u8> = plain.bytes().zip(stream).map(|(p, k)| p ^ k).collect();
    let tag = hmac(key, &[b"tag", &nonce, &body]);
    format!("{}.{}.{}", hex(&nonce), hex(&body), hex(&tag))
}

/// Opens what [`seal`] made with the same key; `None` for another key or a changed text.
pub fn unseal(sealed: &str, key: &str) -> Option<String> {
    let mut parts = sealed.split('.');
    let (nonce, body, tag) = (unhex(parts.next()?)?, unhex(parts.next()?)?, parts.next()?);
    if parts.next().is_some() || !same(&hex(&hmac(key, &[b"tag", &nonce, &body])), tag) {
        return None;
    }
    let plain: Vec<u8> = body.iter().zip(keystream(key, &nonce, body.len())).map(|(c, k)| c ^ k).collect();
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_random_and_compared_in_full() {
        let (a, b) = (super::random_hex(), super::random_hex());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(super::same(&a, &a.clone()));
        assert!(!super::same(&a, &b));
        assert!(!super::same("abc", "abcd"));
        assert_eq!(super::digest("x").len(), 64);
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_unchanged() {
        let (key, secret) = (super::random_hex(), format!("rl_{}", super::random_hex()));
        let sealed = super::seal(&secret, &key);
        assert!(!sealed.contains(&secret[3..]), "the secret does not show through");
        assert_eq!(super::unseal(&sealed, &key).as_deref(), Some(secret.as_str()));
        assert_ne!(super::seal(&secret, &key), sealed, "a fresh nonce each time");
        assert_eq!(super::unseal(&sealed, &super::random_hex()), None, "another key");
        let mut parts: Vec<String> = sealed.split('.').map(str::to_owned).collect();
        let flipped = if parts[1].starts_with('0') { "1" } else { "0" };
        parts[1].replace_range(0..1, flipped);
        assert_eq!(super::unseal(&parts.join("."), &key), None, "a changed text");
        assert_eq!(super::unseal("nonsense", &key), None);
    }
}
