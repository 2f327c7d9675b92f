//! Access tokens for a shared server: each has a name and a role, and stores keep only
//! its hash, so a leaked database does not leak working credentials.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// What a token may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Every read: the dashboard, the JSON API's GETs, MLflow searches, exports.
    Read,
    /// Reads, and logging: creating, changing and deleting runs.
    Write,
    /// Everything, including managing tokens through the API.
    Admin,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 3] = [Role::Read, Role::Write, Role::Admin];

    /// The lowercase name used on the command line, on the wire and in stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }

    /// True when a token of this role may do what `needed` is required for.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| Error::invalid("role", s, "must be one of read, write, admin"))
    }
}

/// A token as stores list it: never the secret, only a short prefix to recognise it by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Unique among tokens not revoked; recorded on the experiments it creates.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The secret's first characters (`sxt_ab12…`), so a user can tell tokens apart.
    pub prefix: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last request that used it (updated at most once a
    /// minute per server), if any.
    pub last_used_at: Option<i64>,
    /// Unix milliseconds when revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<i64>,
}

/// What a store needs to keep a new token.
#[derive(Debug, Clone, PartialEq)]
pub struct NewToken {
    /// Passes [`validate_token_name`].
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// [`token_hash`] of the secret; the secret itself is never stored.
    pub hash: String,
    /// See [`TokenInfo::prefix`].
    pub prefix: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl NewToken {
    /// The token for `secret` (from [`token_secret`]): checks the name, keeps the hash and
    /// the first [`TOKEN_PREFIX_LEN`] characters.
    pub fn new(name: &str, role: Role, secret: &str, created_at: i64) -> Result<NewToken> {
        validate_token_name(name)?;
        Ok(NewToken {
            name: name.to_string(),
            role,
            hash: token_hash(secret),
            prefix: secret.chars().take(TOKEN_PREFIX_LEN).collect(),
            created_at,
        })
    }
}

/// Characters of the secret shown in lists.
pub const TOKEN_PREFIX_LEN: usize = 8;

/// The secret from 32 random bytes: `sxt_` and 64 hex digits. The randomness comes from
/// the caller, so the core stays free of OS calls.
pub fn token_secret(random: &[u8; 32]) -> String {
    let mut s = String::with_capacity(68);
    s.push_str("sxt_");
    s.push_str(&hex(random));
    s
}

/// What stores keep of a secret: its SHA-256, hex. Tokens are 256 random bits, so a
/// plain hash is as strong as a slow one here, and a lookup is one indexed equality.
pub fn token_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Token names: 1–64 of `A-Z a-z 0-9 . _ @ -`, so they print safely in tables and logs.
pub fn validate_token_name(name: &str) -> Result<()> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-');
    if name.is_empty() || name.len() > 64 || !name.chars().all(ok_char) {
        return Err(Error::invalid(
            "token name",
            name,
            "must be 1 to 64 characters from A-Z, a-z, 0-9, '.', '_', '@' and '-'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_weaker_ones() {
        assert!(Role::Admin.allows(Role::Write));
        assert!(Role::Write.allows(Role::Read));
        assert!(!Role::Read.allows(Role::Write));
        assert!(!Role::Write.allows(Role::Admin));
        assert_eq!("write".parse::<Role>().unwrap(), Role::Write);
        let err = "owner".parse::<Role>().unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT");
        assert!(err.to_string().contains("read, write, admin"), "{err}");
    }

    #[test]
    fn secrets_hash_to_sha256_hex() {
        let secret = token_secret(&[7u8; 32]);
        assert!(secret.starts_with("sxt_0707"));
        assert_eq!(secret.len(), 68);
        // SHA-256("abc"), the FIPS 180-2 test vector.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(token_hash(&secret), token_hash(&token_secret(&[8u8; 32])));
    }

    #[test]
    fn names_are_printable_and_bounded() {
        for good in ["alice", "ci-runner.2", "bob@team"] {
            validate_token_name(good).unwrap();
        }
        for bad in ["", "a b", "x/y", &"n".repeat(65), "é"] {
            assert!(validate_token_name(bad).is_err(), "{bad:?}");
        }
    }
}
