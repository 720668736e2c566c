//! Constant-time weighted choice.

use rand::RngCore;

/// A table in which each item fills as many slots as its weight, so a pick is one
/// uniform index: cheaper per packet than a cumulative search, and the weights here
/// are small integers (per mille at most).
pub(crate) struct Weighted<T> {
    slots: Vec<T>,
}

impl<T: Copy> Weighted<T> {
    pub fn new(items: &[(T, usize)]) -> Self {
        let slots = items
            .iter()
            .flat_map(|&(item, weight)| std::iter::repeat_n(item, weight))
            .collect();
        Weighted { slots }
    }

    pub fn pick(&self, rng: &mut impl RngCore) -> T {
        self.at(rng.next_u32())
    }

    /// The item at `fraction / 2^32` of the table. Multiplying and shifting is faster
    /// than an unbiased `random_range`, and its bias, under 2^-22 for tables of at
    /// most 1000 slots, is far below anything the synthetic mix needs.
    pub fn at(&self, fraction: u32) -> T {
        self.slots[((u64::from(fraction) * self.slots.len() as u64) >> 32) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn picks_follow_the_weights() {
        let table = Weighted::new(&[('a', 1), ('b', 3)]);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let bs = (0..40_000).filter(|_| table.pick(&mut rng) == 'b').count();
        assert!((29_000..31_000).contains(&bs), "{bs}");
    }
}
