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

/// The stored form of a secret: lower-case hex SHA-256.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}
