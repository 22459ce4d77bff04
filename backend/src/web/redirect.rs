//! Where a sign-in may send the browser next: a path on this site, never another site.
//!
//! `next` comes from the visitor (a link, a form field), so it is accepted only when, after
//! full parsing and percent-decoding, it is a plain absolute path: it starts with one `/`,
//! has no scheme and no host, no backslash, no control or whitespace character anywhere
//! (browsers strip tabs and line breaks from URLs, which turns `/\t/evil.example` into
//! `//evil.example`), and no `//`. Anything else falls back to `/`. The result is
//! re-serialised, so the `Location` header is plain ASCII.

use url::Url;

/// The fallback: the home page, which sends signed-in users on to their work.
pub const HOME: &str = "/";
const MAX_LEN: usize = 2000;

fn plain_path(s: &str) -> bool {
    s.starts_with('/')
        && !s.contains("//")
        && !s.contains('\\')
        && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// `next` if it is a safe local path (re-serialised), else [`HOME`].
pub fn safe_next(next: Option<&str>) -> String {
    let Some(n) = next.filter(|n| !n.is_empty() && n.len() <= MAX_LEN) else { return HOME.to_owned() };
    let decoded: String = percent_decode(n);
    if !plain_path(n) || !plain_path(&decoded) {
        return HOME.to_owned();
    }
    let Ok(base) = Url::parse("http://reloop.invalid/") else { return HOME.to_owned() };
    match base.join(n) {
        Ok(u) if u.origin() == base.origin() && u.username().is_empty() && u.password().is_none() => {
            let out = &u[url::Position::BeforePath..];
            if plain_path(out) { out.to_owned() } else { HOME.to_owned() }
        }
        _ => HOME.to_owned(),
    }
}

/// Percent-escapes decoded once (invalid UTF-8 replaced, so it is refused as not plain).
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn local_paths_pass_and_keep_their_query() {
        assert_eq!(safe_next(Some("/assets?kind=server&state=deployed")), "/assets?kind=server&state=deployed");
        assert_eq!(
            safe_next(Some("/assets/0190a1b2-0000-7000-8000-000000000000#history")),
            "/assets/0190a1b2-0000-7000-8000-000000000000#history"
        );
        assert_eq!(safe_next(Some("/sites")), "/sites");
        assert_eq!(safe_next(Some("/assets?q=a+b")), "/assets?q=a+b");
        assert_eq!(safe_next(Some("/assets?q=caf%C3%A9")), "/assets?q=caf%C3%A9");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_classic_bypasses_fall_back_home() {
        for bad in [
            "https://evil.example/",
            "http:evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0d%0a/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/ /evil.example",
            "/\u{0000}x",
            "/a\r\nSet-Cookie: x=y",
            "javascript:alert(1)",
            " /assets",
            "evil.example",
            "/.//evil.example",
            "/assets/../..//evil.example",
            "/\u{3000}/evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(3000)))), "/", "too long");
    }
}
