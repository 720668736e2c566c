//! What must hold for every decoded frame, whatever the input.

use std::net::IpAddr;

use hirundo_wire::{decode, Decoded, Fragment, LinkType};

/// Decodes a frame and checks that the row does not contradict itself or the input.
pub fn decode_checked(link: LinkType, data: &[u8], orig_len: u32) -> Decoded {
    let decoded = decode(link, data, orig_len);
    if let Decoded::Packet(row) = &decoded {
        let context = format!("{link:?} {data:02x?} orig {orig_len}: {row:?}");
        let wire_len = data.len().max(orig_len as usize) as u32;
        match (row.ip_version, row.src, row.dst) {
            (4, IpAddr::V4(_), IpAddr::V4(_)) => assert!(row.ip_len >= 20, "{context}"),
            (6, IpAddr::V6(_), IpAddr::V6(_)) => assert!(row.ip_len >= 40, "{context}"),
            _ => panic!("addresses do not match the version: {context}"),
        }
        assert!(row.ip_len <= wire_len, "{context}");
        assert!(row.payload_len < row.ip_len, "{context}");
        assert!(
            !row.truncated || (data.len() as u32) < orig_len,
            "{context}"
        );
        assert_eq!(
            row.tcp_flags.is_some(),
            row.tcp_options.is_some(),
            "{context}"
        );
        if row.src_port.is_some() {
            assert!(matches!(row.protocol, 6 | 17), "{context}");
        }
        if row.icmp_type.is_some() {
            assert!(matches!(row.protocol, 1 | 58), "{context}");
        }
        if row.fragment == Fragment::Later {
            assert!(
                row.src_port.is_none() && row.icmp_type.is_none(),
                "{context}"
            );
            assert!(row.tcp_flags.is_none(), "{context}");
        }
        if let Some(options) = row.tcp_options {
            assert!(options.kinds().len() <= 12, "{context}");
        }
    }
    decoded
}
