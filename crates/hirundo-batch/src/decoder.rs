//! Frames in, packets out, every frame accounted for: the one decoding loop body that
//! `hirundo ingest` (capture files) and `hirundo sensor` (live capture) share, so both count
//! malformed, non-IP and unsupported frames the same way.

use hirundo_wire::{decode, Decoded, LinkType, PacketRepr};

use crate::FrameCounts;

/// Decodes frames and counts what each turned out to be.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    counts: FrameCounts,
    /// The last LINKTYPE_ number seen and what it maps to: frames come in long runs of one
    /// link type, and the mapping is a match over many values.
    link: Option<(u32, Option<LinkType>)>,
}

impl FrameDecoder {
    /// Decodes one frame captured at `ts_ns` on a link of LINKTYPE_ `linktype`; returns the
    /// packet if it is an IP packet. Every frame is counted.
    #[inline]
    pub fn decode(
        &mut self,
        ts_ns: i64,
        linktype: u32,
        data: &[u8],
        orig_len: u32,
    ) -> Option<PacketRepr> {
        self.counts.frames += 1;
        let Some(link) = self.link_type(linktype) else {
            self.counts.unsupported_link(linktype);
            return None;
        };
        match decode(link, data, orig_len) {
            Decoded::Packet(packet) => {
                self.counts.packet(ts_ns, &packet);
                Some(packet)
            }
            Decoded::NonIp(kind) => {
                self.counts.non_ip(kind);
                None
            }
            Decoded::Malformed(reason) => {
                self.counts.malformed(ts_ns, reason);
                None
            }
        }
    }

    fn link_type(&mut self, linktype: u32) -> Option<LinkType> {
        match self.link {
            Some((known, link)) if known == linktype => link,
            _ => {
                let link = LinkType::from_linktype(linktype);
                self.link = Some((linktype, link));
                link
            }
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> &FrameCounts {
        &self.counts
    }

    /// The counts so far, starting again from zero (a sensor's next batch).
    pub fn take_counts(&mut self) -> FrameCounts {
        std::mem::take(&mut self.counts)
    }
}
