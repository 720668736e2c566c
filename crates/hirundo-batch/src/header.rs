//! The uncompressed part of a batch: who sent it, which of the sensor's batches it is, and
//! what its frames became.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Accounting;

/// What a batch says about itself, in front of its records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchHeader {
    /// Names this batch: a retried upload carries the same id, so the collector stores it once.
    pub id: BatchId,
    /// The sensor that captured the frames.
    pub sensor: String,
    /// The sensor's running batch number, so that the collector can notice a missing batch.
    pub seq: u64,
    /// When the sensor made the batch, ns since the Unix epoch (UTC).
    pub created_at_ns: i64,
    /// How many records follow; [`crate::encode`] writes the length of the records it is given.
    pub records: u64,
    /// Where every frame of the batch went.
    pub accounting: Accounting,
}

/// 16 random bytes naming a batch; written as 32 lowercase hex digits, in JSON too.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct BatchId([u8; 16]);

impl BatchId {
    /// A new id from the thread's cryptographically secure generator: ids of different
    /// sensors never collide in practice, with no coordination between them.
    pub fn random() -> BatchId {
        BatchId(rand::random())
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BatchId({self})")
    }
}

/// A batch id that is not 32 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("batch id {0:?} is not 32 lowercase hex digits")]
pub struct ParseBatchIdError(String);

impl FromStr for BatchId {
    type Err = ParseBatchIdError;

    /// Lowercase only, so that each id has one spelling and ids compare as strings.
    fn from_str(s: &str) -> Result<BatchId, ParseBatchIdError> {
        let error = || ParseBatchIdError(s.to_owned());
        let digits = s.as_bytes();
        if digits.len() != 32 {
            return Err(error());
        }
        let mut bytes = [0; 16];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let (Some(hi), Some(lo)) = (hex_value(pair[0]), hex_value(pair[1])) else {
                return Err(error());
            };
            *byte = hi << 4 | lo;
        }
        Ok(BatchId(bytes))
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

impl From<BatchId> for String {
    fn from(id: BatchId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for BatchId {
    type Error = ParseBatchIdError;

    fn try_from(s: String) -> Result<BatchId, ParseBatchIdError> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_text_round_trips_and_is_strict() {
        let id = BatchId::random();
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<BatchId>(), Ok(id));
        assert_ne!(BatchId::random(), id);
        let zero_one = format!("{}01", "0".repeat(30));
        assert_eq!(zero_one.parse::<BatchId>().map(|id| id.0[15]), Ok(1));
        for bad in ["", "00", &"A".repeat(32), &"g".repeat(32), &"0".repeat(33)] {
            assert!(bad.parse::<BatchId>().is_err(), "{bad:?} parsed");
        }
        // Multi-byte characters must not be split into bogus digit pairs.
        assert!(format!("{}é", "0".repeat(30)).parse::<BatchId>().is_err());
    }

    #[test]
    fn id_is_a_hex_string_in_json() {
        let id: BatchId = "00112233445566778899aabbccddeeff".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""00112233445566778899aabbccddeeff""#);
        assert_eq!(serde_json::from_str::<BatchId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<BatchId>(r#""00""#).is_err());
        assert!(serde_json::from_str::<BatchId>("17").is_err());
    }
}
