//! Password policy and argon2id hashing, run on the blocking pool.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::{AppError, AppResult};

pub const MIN_LEN: usize = 12;
/// Longer inputs are refused before hashing, so a huge "password" cannot tie up a core.
pub const MAX_LEN: usize = 256;

/// Argon2id, 19 MiB, 2 iterations, 1 lane: OWASP's recommended minimum.
fn hasher() -> Argon2<'static> {
    Argon2::default()
}

/// Why `password` is not acceptable, or `None`.
pub fn weakness(password: &str, username: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Some(format!("must be at least {MIN_LEN} characters"));
    }
    if chars > MAX_LEN {
        return Some(format!("must be at most {MAX_LEN} characters"));
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Some("must not contain the username".into());
    }
    // zxcvbn knows the most common passwords, names and keyboard walks; a score below 3
    // means it would fall to an offline guesser quickly.
    let estimate = zxcvbn::zxcvbn(password, &[username, "reloop"]);
    if (estimate.score() as u8) < 3 {
        return Some("is too common or too easy to guess; try a longer passphrase".into());
    }
    None
}

pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("the hashing task failed: {e}")))?
}

/// A hash of a random password, verified against when the username is unknown so that
/// both cases take the same time.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hasher().hash_password(crate::auth::secret::random_hex().as_bytes()).map(|h| h.to_string()).unwrap_or_default()
    })
}

/// Whether `password` matches `stored` (or, with `None`, burns the same time and fails).
pub async fn verify(password: String, stored: Option<String>) -> bool {
    if password.chars().count() > MAX_LEN {
        return false;
    }
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let ok = hasher().verify_password(password.as_bytes(), hash.as_str()).is_ok();
        ok && known
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::weakness;

    #[test]
    fn common_short_and_personal_passwords_are_refused() {
        assert!(weakness("short", "alice").is_some());
        assert!(weakness("password1234", "alice").is_some(), "common");
        assert!(weakness("qwertyuiop123", "alice").is_some(), "keyboard walk");
        assert!(weakness("alice-alice-alice", "alice").is_some(), "contains the username");
        assert!(weakness(&"x".repeat(300), "alice").is_some());
        assert_eq!(weakness("violet tractor sings at noon", "alice"), None);
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_fail() {
        let h = super::hash("violet tractor sings at noon".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(super::verify("violet tractor sings at noon".into(), Some(h.clone())).await);
        assert!(!super::verify("violet tractor sings at night".into(), Some(h)).await);
        assert!(!super::verify("anything".into(), None).await);
    }
}
