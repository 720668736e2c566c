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

/// Weighted choice among items with arbitrary non-negative weights (a cumulative table
/// searched by bisection): for the scenario's mixes, whose weights change day by day.
pub(crate) struct Cumulative<T> {
    items: Vec<T>,
    bounds: Vec<f64>,
}

impl<T: Copy> Cumulative<T> {
    /// None when no weight is above zero.
    pub fn new(items: impl IntoIterator<Item = (T, f64)>) -> Option<Self> {
        let mut total = 0.0;
        let (items, bounds) = items
            .into_iter()
            .filter(|&(_, w)| w > 0.0)
            .map(|(item, w)| {
                total += w;
                (item, total)
            })
            .unzip();
        let table = Cumulative { items, bounds };
        (total > 0.0).then_some(table)
    }

    pub fn pick(&self, rng: &mut impl RngCore) -> T {
        let total = *self.bounds.last().expect("a table has items");
        let u = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * total;
        let i = self
            .bounds
            .partition_point(|&b| b <= u)
            .min(self.items.len() - 1);
        self.items[i]
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

    #[test]
    fn cumulative_picks_follow_fractional_weights_and_skip_zeros() {
        let table = Cumulative::new([('a', 0.25), ('z', 0.0), ('b', 0.75)]).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let picks: Vec<char> = (0..40_000).map(|_| table.pick(&mut rng)).collect();
        let bs = picks.iter().filter(|&&c| c == 'b').count();
        assert!((29_000..31_000).contains(&bs), "{bs}");
        assert!(!picks.contains(&'z'));
        assert!(Cumulative::new([('a', 0.0)]).is_none());
    }
}
