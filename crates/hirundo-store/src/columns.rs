//! Column accumulators for [`PacketBatchBuilder`](crate::PacketBatchBuilder).
//!
//! Written by hand rather than with Arrow's builders because these are on ingest's per-packet
//! path: a plain `Vec` push and one validity bit cost about a fifth of Arrow's generic
//! `append_option`, and addresses are formatted straight into the value buffer (measured:
//! Arrow's builders and `Display` made batch building as slow as Parquet encoding).

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use arrow::array::builder::BooleanBufferBuilder;
use arrow::array::{ArrayRef, BooleanArray, PrimitiveArray, StringArray};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::ArrowPrimitiveType;

/// Validity bits of a nullable column.
pub(crate) struct Validity {
    bits: BooleanBufferBuilder,
    nulls: usize,
}

impl Validity {
    fn with_capacity(rows: usize) -> Self {
        Validity {
            bits: BooleanBufferBuilder::new(rows),
            nulls: 0,
        }
    }

    #[inline]
    fn push(&mut self, valid: bool) {
        self.bits.append(valid);
        self.nulls += usize::from(!valid);
    }

    /// The null buffer, or None when every value is valid.
    fn finish(&mut self) -> Option<NullBuffer> {
        let bits = self.bits.finish();
        let nulls = std::mem::take(&mut self.nulls);
        (nulls > 0).then(|| NullBuffer::new(bits))
    }
}

/// A fixed-width column; with validity bits when nullable.
pub(crate) struct Fixed<T: ArrowPrimitiveType> {
    values: Vec<T::Native>,
    validity: Option<Validity>,
}

impl<T: ArrowPrimitiveType> Fixed<T> {
    pub(crate) fn required(rows: usize) -> Self {
        Fixed {
            values: Vec::with_capacity(rows),
            validity: None,
        }
    }

    pub(crate) fn nullable(rows: usize) -> Self {
        Fixed {
            values: Vec::with_capacity(rows),
            validity: Some(Validity::with_capacity(rows)),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, value: T::Native) {
        self.values.push(value);
    }

    #[inline]
    pub(crate) fn push_option(&mut self, value: Option<T::Native>) {
        self.values.push(value.unwrap_or_default());
        self.validity
            .as_mut()
            .expect("push_option on a nullable column")
            .push(value.is_some());
    }

    pub(crate) fn finish(&mut self) -> PrimitiveArray<T> {
        let rows = self.values.capacity();
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(rows));
        let nulls = self.validity.as_mut().and_then(Validity::finish);
        PrimitiveArray::new(ScalarBuffer::from(values), nulls)
    }

    pub(crate) fn finish_ref(&mut self) -> ArrayRef {
        Arc::new(self.finish())
    }
}

/// A UTF-8 column written byte by byte; always nullable-capable.
pub(crate) struct Text {
    offsets: Vec<i32>,
    bytes: Vec<u8>,
    validity: Validity,
}

impl Text {
    pub(crate) fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Text {
            offsets,
            bytes: Vec::with_capacity(bytes),
            validity: Validity::with_capacity(rows),
        }
    }

    /// Ends the value whose bytes were just appended.
    #[inline]
    fn end_value(&mut self, valid: bool) {
        let end = i32::try_from(self.bytes.len()).expect("a batch holds under 2 GiB of text");
        self.offsets.push(end);
        self.validity.push(valid);
    }

    #[inline]
    pub(crate) fn push_str(&mut self, value: &str) {
        self.bytes.extend_from_slice(value.as_bytes());
        self.end_value(true);
    }

    #[inline]
    pub(crate) fn push_option(&mut self, value: Option<&str>) {
        match value {
            Some(v) => self.push_str(v),
            None => self.end_value(false),
        }
    }

    /// Appends an address in its usual text form (dotted quad, RFC 5952 for IPv6).
    #[inline]
    pub(crate) fn push_addr(&mut self, addr: IpAddr) {
        match addr {
            IpAddr::V4(v4) => {
                let [a, b, c, d] = v4.octets();
                push_decimal(&mut self.bytes, a);
                for octet in [b, c, d] {
                    self.bytes.push(b'.');
                    push_decimal(&mut self.bytes, octet);
                }
                self.end_value(true);
            }
            IpAddr::V6(v6) => self.push_ipv6(v6),
        }
    }

    #[cold]
    fn push_ipv6(&mut self, v6: Ipv6Addr) {
        use std::io::Write as _;
        let _ = write!(self.bytes, "{v6}");
        self.end_value(true);
    }

    /// Appends small numbers joined by commas (`2,4,8,1,3`).
    #[inline]
    pub(crate) fn push_list(&mut self, values: &[u8]) {
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.bytes.push(b',');
            }
            push_decimal(&mut self.bytes, *value);
        }
        self.end_value(true);
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        let rows = self.offsets.capacity().saturating_sub(1);
        let fresh = Text::with_capacity(rows, self.bytes.capacity());
        let Text {
            offsets,
            bytes,
            mut validity,
        } = std::mem::replace(self, fresh);
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        Arc::new(StringArray::new(
            offsets,
            Buffer::from_vec(bytes),
            validity.finish(),
        ))
    }
}

/// A required boolean column.
pub(crate) struct Flags {
    bits: BooleanBufferBuilder,
}

impl Flags {
    pub(crate) fn with_capacity(rows: usize) -> Self {
        Flags {
            bits: BooleanBufferBuilder::new(rows),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, value: bool) {
        self.bits.append(value);
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        let bits: BooleanBuffer = self.bits.finish();
        Arc::new(BooleanArray::new(bits, None))
    }
}

/// Decimal digits of a byte, most significant first, without leading zeros.
#[inline]
fn push_decimal(out: &mut Vec<u8>, value: u8) {
    if value >= 100 {
        out.push(b'0' + value / 100);
    }
    if value >= 10 {
        out.push(b'0' + (value / 10) % 10);
    }
    out.push(b'0' + value % 10);
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;
    use arrow::datatypes::UInt16Type;

    #[test]
    fn addresses_format_like_std() {
        let samples = [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.100.9",
            "192.168.1.20",
            "2001:db8::1",
            "::",
        ];
        let mut text = Text::with_capacity(4, 16);
        for s in samples {
            text.push_addr(s.parse().unwrap());
        }
        let array = text.finish();
        let array = array.as_any().downcast_ref::<StringArray>().unwrap();
        let got: Vec<&str> = array.iter().map(Option::unwrap).collect();
        assert_eq!(got, samples);
    }

    #[test]
    fn nulls_lists_and_reuse_after_finish() {
        let mut text = Text::with_capacity(2, 8);
        text.push_list(&[2, 4, 8, 1, 3]);
        text.push_option(None);
        text.push_list(&[]);
        let first = text.finish();
        assert_eq!(first.len(), 3);
        assert_eq!(first.null_count(), 1);
        text.push_str("x");
        let second = text.finish();
        let second = second.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(second.value(0), "x");
        assert_eq!(second.null_count(), 0);
        let first = first.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!((first.value(0), first.value(2)), ("2,4,8,1,3", ""));
    }

    #[test]
    fn fixed_columns_keep_nulls_in_place() {
        let mut ports = Fixed::<UInt16Type>::nullable(4);
        ports.push_option(Some(23));
        ports.push_option(None);
        ports.push_option(Some(445));
        let array = ports.finish();
        assert_eq!(
            array.iter().collect::<Vec<_>>(),
            [Some(23), None, Some(445)]
        );
        ports.push_option(Some(1));
        assert_eq!(ports.finish().null_count(), 0);
    }
}
