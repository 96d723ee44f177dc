//! API-key handling: the bearer header rule and the SHA-256 hex hash that is the only
//! form in which keys are stored.

use sha2::{Digest, Sha256};

use crate::text::{is_js_line_terminator, is_js_whitespace, js_trim};

/// The token of an `Authorization` header value, or `None` when it is not a usable
/// bearer credential.
///
/// The rule is upstream's: the word `Bearer` in any letter case, at least one white-space
/// character, then the rest of the value; the token is that rest, trimmed, and must not
/// be empty. Other schemes, and values with a line break in the token, give `None`.
pub fn parse_bearer(header: &str) -> Option<&str> {
    let scheme = header.get(..6)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let rest = &header[6..];
    if !rest.chars().next().is_some_and(is_js_whitespace) {
        return None;
    }
    let token = js_trim(rest);
    if token.is_empty() || token.chars().any(is_js_line_terminator) {
        return None;
    }
    Some(token)
}

/// Lowercase hex SHA-256 of the token's UTF-8 bytes: what `private.api_keys.key_hash` holds.
pub fn hash_api_key(token: &str) -> String {
    hex_sha256(token.as_bytes())
}

/// Lowercase hex SHA-256 of some bytes.
pub fn hex_sha256(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_test_vectors() {
        assert_eq!(hash_api_key("test"), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        assert_eq!(hash_api_key(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn bearer_accepts_any_case_and_trims() {
        assert_eq!(parse_bearer("Bearer ns_abc"), Some("ns_abc"));
        assert_eq!(parse_bearer("bEaReR \t ns_abc  "), Some("ns_abc"));
        assert_eq!(parse_bearer("Bearer\u{A0}tok"), Some("tok"));
        assert_eq!(parse_bearer("Bearer a b"), Some("a b"));
    }

    #[test]
    fn bearer_rejects_everything_else() {
        for h in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer    ",
            "Bearerx tok",
            "Basic abc",
            "Token abc",
            "Bearer a\nb",
            "Beare",
            "Bé",
        ] {
            assert_eq!(parse_bearer(h), None, "{h:?}");
        }
    }
}
