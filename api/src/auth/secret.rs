//! Opaque one-time secrets (refresh tokens, invitation tokens, API token secrets).
//! They carry 256 bits of randomness, so a fast SHA-256 is the right way to store them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::rngs::OsRng;
use rand::{RngCore, TryRngCore};
use sha2::{Digest, Sha256};

/// Prefix of API token secrets; it tells them apart from access tokens (JWTs).
pub const API_TOKEN_PREFIX: &str = "hsk_";

/// A fresh random secret with the given prefix.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.unwrap_err().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The refresh token that succeeds `token` in its session: derived from it with the server's
/// `key` (HMAC-SHA256), so that presenting `token` again a moment later (two tabs refreshing at
/// once) can hand out the same successor, which is stored only as a digest.
pub fn successor(key: &[u8], token: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(b"hindsight refresh successor:");
    mac.update(token.as_bytes());
    format!("hsr_{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// The stored form of a secret: lower-case hex SHA-256.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}
