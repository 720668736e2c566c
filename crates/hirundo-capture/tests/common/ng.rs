//! Hand-made pcapng blocks, for what no installed tool writes: big-endian sections, the
//! simple and obsolete packet blocks, power-of-2 time resolution, custom and unknown
//! blocks. tshark still reads every such file as the reference.

pub const SHB: u32 = 0x0a0d_0d0a;
pub const IDB: u32 = 1;
pub const OPB: u32 = 2;
pub const SPB: u32 = 3;
pub const EPB: u32 = 6;
pub const CUSTOM: u32 = 0x0000_0bad;
pub const IF_TSRESOL: u16 = 9;
pub const IF_TSOFFSET: u16 = 14;

/// Writes 16- and 32-bit fields in one byte order.
#[derive(Clone, Copy)]
pub struct Order {
    pub big_endian: bool,
}

pub const LE: Order = Order { big_endian: false };
pub const BE: Order = Order { big_endian: true };

impl Order {
    pub fn u16(self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    pub fn u32(self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    pub fn i64(self, v: i64) -> [u8; 8] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// A block: type, total length, body padded to 32 bits, total length.
    pub fn block(self, kind: u32, body: &[u8]) -> Vec<u8> {
        let padded = body.len().next_multiple_of(4);
        let len = (12 + padded) as u32;
        let mut out = Vec::with_capacity(len as usize);
        out.extend(self.u32(kind));
        out.extend(self.u32(len));
        out.extend(body);
        out.resize(8 + padded, 0);
        out.extend(self.u32(len));
        out
    }

    /// An option: code, length, value padded to 32 bits.
    pub fn option(self, code: u16, value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(self.u16(code));
        out.extend(self.u16(value.len() as u16));
        out.extend(value);
        out.resize(4 + value.len().next_multiple_of(4), 0);
        out
    }

    /// Ends an option list.
    pub fn end_of_options(self) -> Vec<u8> {
        self.option(0, &[])
    }

    pub fn section_header(self) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(self.u32(0x1a2b_3c4d));
        body.extend(self.u16(1));
        body.extend(self.u16(0));
        body.extend(self.i64(-1)); // section length unknown
        self.block(SHB, &body)
    }

    pub fn interface(self, linktype: u16, snaplen: u32, options: &[Vec<u8>]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(self.u16(linktype));
        body.extend(self.u16(0));
        body.extend(self.u32(snaplen));
        if !options.is_empty() {
            options.iter().for_each(|o| body.extend(o));
            body.extend(self.end_of_options());
        }
        self.block(IDB, &body)
    }

    pub fn enhanced(self, if_id: u32, ts: u64, orig_len: u32, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(self.u32(if_id));
        body.extend(self.u32((ts >> 32) as u32));
        body.extend(self.u32(ts as u32));
        body.extend(self.u32(data.len() as u32));
        body.extend(self.u32(orig_len));
        body.extend(data);
        self.block(EPB, &body)
    }

    pub fn simple(self, orig_len: u32, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(self.u32(orig_len));
        body.extend(data);
        self.block(SPB, &body)
    }

    pub fn obsolete(self, if_id: u16, ts: u64, orig_len: u32, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(self.u16(if_id));
        body.extend(self.u16(0)); // drops
        body.extend(self.u32((ts >> 32) as u32));
        body.extend(self.u32(ts as u32));
        body.extend(self.u32(data.len() as u32));
        body.extend(self.u32(orig_len));
        body.extend(data);
        self.block(OPB, &body)
    }

    /// A custom block with a private enterprise number and some payload.
    pub fn custom(self, pen: u32, payload: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(self.u32(pen));
        body.extend(payload);
        self.block(CUSTOM, &body)
    }
}

/// The blocks of a little-endian pcapng file: (type, whole block bytes).
pub fn split_blocks(file: &[u8]) -> Vec<(u32, &[u8])> {
    let mut blocks = Vec::new();
    let mut rest = file;
    while rest.len() >= 12 {
        let kind = u32::from_le_bytes(rest[0..4].try_into().unwrap());
        let len = u32::from_le_bytes(rest[4..8].try_into().unwrap()) as usize;
        blocks.push((kind, &rest[..len]));
        rest = &rest[len..];
    }
    assert!(rest.is_empty(), "trailing bytes after the last block");
    blocks
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// Rewrites a little-endian pcapng (as editcap writes it) in big-endian order. Options
/// whose byte order this does not know are dropped; interfaces keep their time stamp
/// resolution and offset, packets keep their data.
pub fn to_big_endian(file: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (kind, block) in split_blocks(file) {
        match kind {
            SHB => out.extend(BE.section_header()),
            IDB => {
                let linktype = u16::from_le_bytes([block[8], block[9]]);
                let snaplen = le_u32(block, 12);
                out.extend(BE.interface(linktype, snaplen, &clock_options(block, BE)));
            }
            EPB => {
                let ts = (u64::from(le_u32(block, 12)) << 32) | u64::from(le_u32(block, 16));
                let caplen = le_u32(block, 20) as usize;
                let data = &block[28..28 + caplen];
                out.extend(BE.enhanced(le_u32(block, 8), ts, le_u32(block, 24), data));
            }
            other => panic!("to_big_endian does not know block type {other:#x}"),
        }
    }
    out
}

/// The if_tsresol and if_tsoffset options of a little-endian IDB, rewritten in `order`.
fn clock_options(idb: &[u8], order: Order) -> Vec<Vec<u8>> {
    let mut options = Vec::new();
    let mut at = 16;
    while at + 4 <= idb.len() - 4 {
        let code = u16::from_le_bytes([idb[at], idb[at + 1]]);
        let len = usize::from(u16::from_le_bytes([idb[at + 2], idb[at + 3]]));
        let value = &idb[at + 4..at + 4 + len];
        match code {
            0 => break,
            IF_TSRESOL => options.push(order.option(code, value)),
            IF_TSOFFSET => {
                let offset = i64::from_le_bytes(value.try_into().unwrap());
                options.push(order.option(code, &order.i64(offset)));
            }
            _ => {}
        }
        at += 4 + len.next_multiple_of(4);
    }
    options
}
