//! Webhook signing secrets: made here, shown once, and stored encrypted with the server's key
//! (AES-256-GCM), so that a database dump alone cannot sign a message. The same key seals the
//! bodies of queued emails (they may carry one-time links) and signs unsubscribe links.

use std::io::Write as _;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::Context as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::{RngCore, TryRngCore};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// The prefix of a signing secret as the Standard Webhooks libraries read it.
const PREFIX: &str = "whsec_";
/// Written before each sealed secret: the format, so that another can follow.
const SEALED: &str = "v1:";
const NONCE_BYTES: usize = 12;

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    OsRng.unwrap_err().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// Seals and opens secrets with the server's key, and signs links with a key derived from it.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    mac_key: [u8; 32],
}

impl SecretBox {
    /// A box for `key` (any length: its SHA-256 is the AES key).
    pub fn new(key: &[u8]) -> Self {
        let mac_key = Sha256::new().chain_update(b"hindsight link signatures\0").chain_update(key).finalize().into();
        Self { cipher: Aes256Gcm::new(&Sha256::digest(key)), mac_key }
    }

    /// An HMAC-SHA256 of `message`, for links that must prove they were made here.
    pub fn sign(&self, message: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether `signature` is `message`'s, or its leading bytes (compared in constant time).
    pub fn verify(&self, message: &str, signature: &[u8]) -> bool {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        mac.verify_truncated_left(signature).is_ok()
    }

    /// The configured key, or the one kept in `file` (generated there on first start,
    /// readable by its owner only).
    pub fn from_config(key: Option<&str>, file: &Path) -> anyhow::Result<Self> {
        if let Some(key) = key {
            anyhow::ensure!(key.len() >= 32, "the encryption key must be at least 32 bytes long");
            return Ok(Self::new(key.as_bytes()));
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(file) {
            Ok(mut out) => {
                let key = generate();
                out.write_all(key.as_bytes())
                    .with_context(|| format!("cannot write the encryption key file {}", file.display()))?;
                tracing::info!(file = %file.display(), "generated the key that encrypts stored secrets; keep it apart from database dumps");
                Ok(Self::new(key.as_bytes()))
            }
            // Made earlier, or just now by another server starting in the same directory: read
            // it once it holds its key.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                for _ in 0..50 {
                    let key = std::fs::read_to_string(file)
                        .with_context(|| format!("cannot read the encryption key file {}", file.display()))?;
                    if !key.trim().is_empty() {
                        return Ok(Self::new(key.trim().as_bytes()));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                anyhow::bail!("the encryption key file {} is empty", file.display())
            }
            Err(e) => Err(e).with_context(|| format!("cannot create the encryption key file {}", file.display())),
        }
    }

    pub fn seal(&self, secret: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        OsRng.unwrap_err().fill_bytes(&mut nonce);
        let sealed = self.cipher.encrypt(&Nonce::from(nonce), secret.as_bytes()).expect("AES-GCM seals any length");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        format!("{SEALED}{}", STANDARD.encode(out))
    }

    /// The secret; an internal error when it was sealed with another key (servers that do not
    /// share `--encryption-key`) or is damaged.
    pub fn open(&self, sealed: &str) -> AppResult<String> {
        let unreadable = || {
            AppError::internal(anyhow::anyhow!(
                "a stored secret cannot be decrypted: it was sealed with another encryption key"
            ))
        };
        let bytes = sealed.strip_prefix(SEALED).and_then(|b64| STANDARD.decode(b64).ok()).ok_or_else(unreadable)?;
        if bytes.len() < NONCE_BYTES {
            return Err(unreadable());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| unreadable())?;
        let plain = self.cipher.decrypt(&Nonce::from(nonce), ciphertext).map_err(|_| unreadable())?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_only() {
        let secret = generate();
        assert!(secret.starts_with("whsec_"));
        let sealed = SecretBox::new(b"one key of at least thirty-two bytes").seal(&secret);
        assert!(!sealed.contains(&secret[PREFIX.len()..]));
        assert_eq!(SecretBox::new(b"one key of at least thirty-two bytes").open(&sealed).unwrap(), secret);
        assert!(SecretBox::new(b"another key of at least thirty-two bytes").open(&sealed).is_err());
        // Each seal draws its own nonce.
        assert_ne!(sealed, SecretBox::new(b"one key of at least thirty-two bytes").seal(&secret));
    }

    #[test]
    fn a_key_file_is_generated_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("hindsight-key-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hindsight.key");
        let sealed = SecretBox::from_config(None, &file).unwrap().seal("whsec_x");
        assert_eq!(SecretBox::from_config(None, &file).unwrap().open(&sealed).unwrap(), "whsec_x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).ok();
    }
}
