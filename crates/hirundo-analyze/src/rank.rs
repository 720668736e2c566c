//! Rankings by packets with each key's rank in the previous period (Tables 1 and 2).
//!
//! Keys are ordered by packets, most first, ties broken by key ascending so that a ranking
//! never depends on hash order. Keys with zero packets are not ranked: a port nobody sent to
//! has no place in a table, and its previous rank is "not seen" rather than last.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

/// One row of a ranking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranked<K> {
    /// 1-based rank in the current period.
    pub rank: u32,
    pub key: K,
    pub packets: u64,
    /// Rank among all keys of the previous period, or `None` if the key had no packets then.
    pub previous_rank: Option<u32>,
    /// Packets in the previous period (0 if unseen).
    pub previous_packets: u64,
}

/// The top `n` keys of `current`, each with its rank among all keys of `previous`.
pub fn rank<K, S>(
    current: &HashMap<K, u64, S>,
    previous: &HashMap<K, u64, S>,
    n: usize,
) -> Vec<Ranked<K>>
where
    K: Ord + Hash + Clone,
    S: BuildHasher,
{
    // The previous period is ranked in full: a port 13th then and 2nd now must say 13.
    let previous_ranks: HashMap<&K, u32> = ordered(previous)
        .into_iter()
        .enumerate()
        .map(|(i, (key, _))| (key, rank_number(i)))
        .collect();
    let mut top = ordered(current);
    top.truncate(n);
    top.into_iter()
        .enumerate()
        .map(|(i, (key, packets))| Ranked {
            rank: rank_number(i),
            key: key.clone(),
            packets,
            previous_rank: previous_ranks.get(key).copied(),
            previous_packets: previous.get(key).copied().unwrap_or(0),
        })
        .collect()
}

/// Every key of `current` with packets, ranked.
pub fn rank_all<K, S>(current: &HashMap<K, u64, S>, previous: &HashMap<K, u64, S>) -> Vec<Ranked<K>>
where
    K: Ord + Hash + Clone,
    S: BuildHasher,
{
    rank(current, previous, usize::MAX)
}

/// The keys with packets, most packets first, ties by key ascending.
fn ordered<K: Ord, S>(counts: &HashMap<K, u64, S>) -> Vec<(&K, u64)> {
    let mut rows: Vec<(&K, u64)> = counts
        .iter()
        .filter(|(_, &packets)| packets > 0)
        .map(|(key, &packets)| (key, packets))
        .collect();
    rows.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    rows
}

/// The 1-based rank of position `index`; beyond u32 (never in practice) ranks saturate.
fn rank_number(index: usize) -> u32 {
    u32::try_from(index).map_or(u32::MAX, |i| i.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(rows: &[(&'static str, u64)]) -> HashMap<&'static str, u64> {
        rows.iter().copied().collect()
    }

    fn keys<K: Clone>(ranked: &[Ranked<K>]) -> Vec<K> {
        ranked.iter().map(|r| r.key.clone()).collect()
    }

    #[test]
    fn ranks_by_packets_then_key() {
        let current = counts(&[("c", 10), ("a", 10), ("b", 30), ("d", 5)]);
        let ranked = rank_all(&current, &HashMap::new());
        assert_eq!(keys(&ranked), ["b", "a", "c", "d"]);
        assert_eq!(
            ranked.iter().map(|r| r.rank).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert_eq!(ranked[0].packets, 30);
        assert!(ranked
            .iter()
            .all(|r| r.previous_rank.is_none() && r.previous_packets == 0));
    }

    #[test]
    fn previous_rank_counts_every_previous_key_not_only_the_top() {
        // As in the TSUBAME report: 1433/TCP was far down before and third now.
        let mut previous: HashMap<String, u64> =
            (0..20).map(|i| (format!("p{i:02}"), 1000 - i)).collect();
        previous.insert("1433/tcp".into(), 500);
        previous.insert("23/tcp".into(), 5000);
        let current: HashMap<String, u64> = [("23/tcp", 900), ("1433/tcp", 800), ("p03", 850)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let ranked = rank(&current, &previous, 2);
        assert_eq!(keys(&ranked), ["23/tcp", "p03"]);
        assert_eq!(ranked[0].previous_rank, Some(1));
        assert_eq!(ranked[0].previous_packets, 5000);
        assert_eq!(ranked[1].previous_rank, Some(5));
        let all = rank_all(&current, &previous);
        assert_eq!(all[2].key, "1433/tcp");
        assert_eq!((all[2].rank, all[2].previous_rank), (3, Some(22)));
    }

    #[test]
    fn ties_in_the_previous_period_are_ranked_by_key_too() {
        let previous = counts(&[("b", 7), ("a", 7), ("c", 9)]);
        let current = counts(&[("a", 1), ("b", 2)]);
        let ranked = rank_all(&current, &previous);
        assert_eq!(ranked[0].key, "b");
        assert_eq!(ranked[0].previous_rank, Some(3));
        assert_eq!(ranked[1].previous_rank, Some(2));
    }

    #[test]
    fn zero_packets_are_not_ranked_in_either_period() {
        let previous = counts(&[("a", 0), ("b", 3)]);
        let current = counts(&[("a", 4), ("b", 0), ("c", 0)]);
        let ranked = rank_all(&current, &previous);
        assert_eq!(keys(&ranked), ["a"]);
        assert_eq!(ranked[0].previous_rank, None);
        assert_eq!(ranked[0].previous_packets, 0);
    }

    #[test]
    fn n_limits_the_rows() {
        let current = counts(&[("a", 1), ("b", 2), ("c", 3)]);
        assert!(rank(&current, &current, 0).is_empty());
        assert_eq!(keys(&rank(&current, &current, 2)), ["c", "b"]);
        assert_eq!(rank(&current, &current, 10).len(), 3);
        assert!(rank_all(&HashMap::<u16, u64>::new(), &HashMap::new()).is_empty());
    }

    #[test]
    fn works_with_other_hashers_and_keys() {
        use std::collections::hash_map::RandomState;
        let current: HashMap<(String, u16), u64, RandomState> =
            [(("tcp".to_string(), 23), 9), (("udp".to_string(), 53), 9)]
                .into_iter()
                .collect();
        let ranked = rank_all(&current, &HashMap::default());
        assert_eq!(ranked[0].key, ("tcp".to_string(), 23));
        assert_eq!(rank_number(usize::MAX), u32::MAX);
    }
}
