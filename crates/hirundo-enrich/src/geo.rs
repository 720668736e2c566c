//! Source countries with a cache in front of the database: darknet sources repeat a lot
//! (a busy scanner sends millions of probes), and a look-up in the database tree costs
//! about 180 ns against a few for the cache.

use std::collections::HashMap;
use std::net::IpAddr;

use hirundo_geo::{CountryCode, DbInfo, GeoDb};

/// Slots of the IPv4 cache: direct-mapped, 8 bytes each (256 KiB). Small on purpose: the
/// table is read at a random slot per packet, and at 2 MiB those reads missed the CPU caches
/// and cost more than the database look-ups they saved (measured: 170 ns per packet).
const SLOTS: usize = 1 << 15;
/// IPv6 sources are rare in darknets; their cache is cleared when it grows past this.
const MAX_V6: usize = 1 << 16;

pub struct CountryCache {
    db: GeoDb,
    /// (address, country bytes or [0, 0] for none), valid when `filled`.
    v4: Vec<(u32, [u8; 2], bool)>,
    v6: HashMap<IpAddr, Option<CountryCode>>,
}

impl CountryCache {
    pub fn new(db: GeoDb) -> Self {
        CountryCache {
            db,
            v4: vec![(0, [0, 0], false); SLOTS],
            v6: HashMap::new(),
        }
    }

    pub fn info(&self) -> DbInfo {
        self.db.info()
    }

    #[inline]
    pub fn country(&mut self, addr: IpAddr) -> Option<CountryCode> {
        match addr {
            IpAddr::V4(v4) => {
                let key = u32::from(v4);
                // Fibonacci hashing spreads neighbouring addresses over the slots.
                let slot =
                    (key.wrapping_mul(0x9e37_79b9) >> (32 - SLOTS.trailing_zeros())) as usize;
                let entry = &mut self.v4[slot];
                if !(entry.2 && entry.0 == key) {
                    let country = self.db.country(addr);
                    *entry = (key, country.map_or([0, 0], |c| c.as_bytes()), true);
                }
                CountryCode::from_bytes(entry.1)
            }
            IpAddr::V6(_) => {
                if self.v6.len() >= MAX_V6 {
                    self.v6.clear();
                }
                *self.v6.entry(addr).or_insert_with(|| self.db.country(addr))
            }
        }
    }
}
