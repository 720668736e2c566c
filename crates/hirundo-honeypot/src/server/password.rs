//! What becomes of passwords before they reach the store: the operator may keep them (they
//! are mostly factory defaults that bots try), hash them, or leave them out.

use std::fmt::Write as _;
use std::str::FromStr;

/// The operator's choice for passwords in stored events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordPolicy {
    /// Stored as typed.
    Keep,
    /// Stored as `sha256:<64 lowercase hex digits>` of the UTF-8 password: equal passwords
    /// can still be counted and matched against a dictionary, but a person who typed a real
    /// password by mistake does not find it in clear in the store. Unsalted on purpose (a salt
    /// would defeat the counting), so a weak password can be recovered by guessing.
    Hash,
    /// Not stored (the event keeps the user name).
    Omit,
}

impl PasswordPolicy {
    /// The password as it is to be stored.
    pub fn apply(self, password: Option<String>) -> Option<String> {
        match self {
            PasswordPolicy::Keep => password,
            PasswordPolicy::Hash => password.map(|password| sha256_hex(&password)),
            PasswordPolicy::Omit => None,
        }
    }

    /// The name [`FromStr`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordPolicy::Keep => "keep",
            PasswordPolicy::Hash => "hash",
            PasswordPolicy::Omit => "omit",
        }
    }
}

/// A policy name that is none of `keep`, `hash`, `omit`.
#[derive(Debug, thiserror::Error)]
#[error("unknown password policy {0:?} (expected keep, hash or omit)")]
pub struct UnknownPasswordPolicy(pub String);

impl FromStr for PasswordPolicy {
    type Err = UnknownPasswordPolicy;

    fn from_str(name: &str) -> Result<PasswordPolicy, UnknownPasswordPolicy> {
        match name {
            "keep" => Ok(PasswordPolicy::Keep),
            "hash" => Ok(PasswordPolicy::Hash),
            "omit" => Ok(PasswordPolicy::Omit),
            _ => Err(UnknownPasswordPolicy(name.to_owned())),
        }
    }
}

fn sha256_hex(password: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, password.as_bytes());
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for byte in digest.as_ref() {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        let password = || Some("xc3511".to_owned());
        assert_eq!(
            PasswordPolicy::Keep.apply(password()).as_deref(),
            Some("xc3511")
        );
        assert_eq!(PasswordPolicy::Omit.apply(password()), None);
        assert_eq!(PasswordPolicy::Hash.apply(None), None);
    }

    #[test]
    fn hash_is_sha256_hex() {
        // printf '' | sha256sum; printf 'password' | sha256sum
        assert_eq!(
            PasswordPolicy::Hash.apply(Some(String::new())).unwrap(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            PasswordPolicy::Hash.apply(Some("password".into())).unwrap(),
            "sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
        );
    }

    #[test]
    fn names_round_trip() {
        for policy in [
            PasswordPolicy::Keep,
            PasswordPolicy::Hash,
            PasswordPolicy::Omit,
        ] {
            assert_eq!(policy.as_str().parse::<PasswordPolicy>().unwrap(), policy);
        }
        assert!("md5".parse::<PasswordPolicy>().is_err());
    }
}
