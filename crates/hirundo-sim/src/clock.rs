//! Capture timestamps.

use rand::Rng;

/// Timestamps for `packets` packets spread evenly over `[start, start + span)`: packet
/// `i` falls at a random instant of its own slot `[start + span*i/n, start +
/// span*(i+1)/n)`, so time never goes backwards and no gap is left. The slot bounds
/// advance by integer quotient and remainder, exact for any span without 128-bit
/// division per packet.
pub(crate) struct Clock {
    slot_start: i64,
    step: i64,
    remainder: u64,
    carry: u64,
    packets: u64,
}

impl Clock {
    /// `span_ns` must not be negative.
    pub fn new(start_ns: i64, span_ns: i64, packets: u64) -> Self {
        let packets = packets.max(1);
        let span = span_ns.unsigned_abs();
        Clock {
            slot_start: start_ns,
            step: (span / packets) as i64,
            remainder: span % packets,
            carry: 0,
            packets,
        }
    }

    /// The next packet's timestamp in nanoseconds.
    pub fn tick(&mut self, rng: &mut impl Rng) -> i64 {
        let start = self.slot_start;
        self.carry += self.remainder;
        self.slot_start += self.step;
        if self.carry >= self.packets {
            self.carry -= self.packets;
            self.slot_start += 1;
        }
        let width = self.slot_start - start;
        if width > 0 {
            start + rng.random_range(0..width)
        } else {
            start
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn slots_tile_the_span_exactly() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut clock = Clock::new(1_000, 100, 7);
        let ticks: Vec<i64> = (0..7).map(|_| clock.tick(&mut rng)).collect();
        assert!(ticks.windows(2).all(|w| w[0] <= w[1]), "{ticks:?}");
        assert!(
            ticks.iter().all(|t| (1_000..1_100).contains(t)),
            "{ticks:?}"
        );
        assert_eq!(clock.slot_start, 1_100);
    }

    #[test]
    fn more_packets_than_nanoseconds_share_instants() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut clock = Clock::new(0, 3, 10);
        let ticks: Vec<i64> = (0..10).map(|_| clock.tick(&mut rng)).collect();
        assert!(ticks.windows(2).all(|w| w[0] <= w[1]), "{ticks:?}");
        assert_eq!(clock.slot_start, 3);
    }
}
