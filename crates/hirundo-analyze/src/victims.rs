//! DoS victims inferred from backscatter: the replies that attacked hosts send to the spoofed
//! source addresses of a flood, some of which fall in the telescope.
//!
//! The rule follows the RS-DoS attack vectors of CAIDA's corsaro (`corsaro_dos`): a vector
//! ends after 300 s without packets (its interval and timeout) and counts as an attack with
//! at least 25 packets, at least 60 s from first to last packet, and at least 30 packets in
//! its busiest 60-second window (corsaro 3 slides that window by 10 s; here it slides by
//! packet, so the peak is never lower). Those numbers were set for the UCSD telescope, a /8.
//! Spoofed sources are spread over the whole address space, so a /24 sensor receives
//! 1/65536 as much backscatter as a /8: a flood that gives a /8 thousands of replies a minute
//! gives a /24 a few. The per-minute test therefore defaults to 0 (off) and is configurable;
//! the packet, duration and quiet-gap tests keep corsaro's values.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat};

use crate::model::Victim;

/// Width of the window of [`VictimRule::min_packets_per_minute`].
const MINUTE: i64 = 60;

/// Backscatter from one victim in one second to one source port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackscatterSample {
    /// Address of the host that sent the replies.
    pub victim: String,
    /// Unix seconds.
    pub second: i64,
    pub packets: u64,
    /// Source port of the replies: the attacked service.
    pub port: u16,
}

/// When a victim's backscatter is an attack. See the module documentation for the origin of
/// the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VictimRule {
    /// An attack ends after this many seconds without packets (corsaro: 300).
    pub quiet_gap_secs: i64,
    /// Fewest packets in an attack (corsaro: 25).
    pub min_packets: u64,
    /// Shortest attack, first packet to last (corsaro: 60 s).
    pub min_duration_secs: i64,
    /// Fewest packets in the busiest 60 s (corsaro: 30; 0 here, for small telescopes).
    pub min_packets_per_minute: u64,
}

impl Default for VictimRule {
    fn default() -> Self {
        VictimRule {
            quiet_gap_secs: 300,
            min_packets: 25,
            min_duration_secs: 60,
            min_packets_per_minute: 0,
        }
    }
}

impl VictimRule {
    /// The rule in English, for the report's `method.backscatter`.
    pub fn rule_text(&self) -> String {
        let mut text = format!(
            "A DoS victim is a host whose replies to spoofed packets (backscatter) reach the \
             sensors; an attack is a run of its replies with no silence longer than {} s, kept \
             if it has at least {} packets and lasts at least {} s",
            self.quiet_gap_secs, self.min_packets, self.min_duration_secs
        );
        if self.min_packets_per_minute > 0 {
            let peak = format!(
                " with at least {} packets in its busiest minute",
                self.min_packets_per_minute
            );
            text.push_str(&peak);
        }
        text.push_str(" (after CAIDA corsaro's RS-DoS thresholds).");
        text
    }
}

/// One attack on one victim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attack {
    pub victim: String,
    pub packets: u64,
    /// Unix seconds of the first and last packet.
    pub start_secs: i64,
    pub end_secs: i64,
    /// Source ports of the replies, most packets first (ties by port).
    pub ports: Vec<u16>,
}

impl Attack {
    /// The report's row for this attack, times in RFC 3339 UTC.
    pub fn to_victim(&self, country: Option<String>) -> Victim {
        Victim {
            victim: self.victim.clone(),
            packets: self.packets,
            start: rfc3339(self.start_secs),
            end: rfc3339(self.end_secs),
            ports: self.ports.clone(),
            country,
        }
    }
}

/// Unix seconds as RFC 3339 UTC; the bare number for instants chrono cannot represent.
fn rfc3339(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).map_or_else(
        || secs.to_string(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// The attacks in `samples` (any order), most packets first, then by victim and start.
/// Samples with no packets are ignored.
pub fn attacks(samples: &[BackscatterSample], rule: &VictimRule) -> Vec<Attack> {
    let mut sorted: Vec<&BackscatterSample> = samples.iter().filter(|s| s.packets > 0).collect();
    sorted.sort_unstable_by(|a, b| a.victim.cmp(&b.victim).then(a.second.cmp(&b.second)));
    let mut found: Vec<Attack> = sorted
        .chunk_by(|a, b| {
            a.victim == b.victim && b.second.saturating_sub(a.second) <= rule.quiet_gap_secs
        })
        .filter_map(|run| attack(run, rule))
        .collect();
    found.sort_by(|a, b| {
        (b.packets.cmp(&a.packets))
            .then_with(|| a.victim.cmp(&b.victim))
            .then(a.start_secs.cmp(&b.start_secs))
    });
    found
}

/// The attack made of `run` (one victim's samples in time order), if it passes the rule.
fn attack(run: &[&BackscatterSample], rule: &VictimRule) -> Option<Attack> {
    let (first, last) = (run.first()?, run.last()?);
    let packets = run
        .iter()
        .fold(0u64, |sum, s| sum.saturating_add(s.packets));
    let duration = last.second.saturating_sub(first.second);
    let keep = packets >= rule.min_packets
        && duration >= rule.min_duration_secs
        && peak_per_minute(run) >= rule.min_packets_per_minute;
    keep.then(|| Attack {
        victim: first.victim.clone(),
        packets,
        start_secs: first.second,
        end_secs: last.second,
        ports: ports_by_packets(run),
    })
}

/// The most packets in any 60 consecutive seconds of `run` (in time order).
fn peak_per_minute(run: &[&BackscatterSample]) -> u64 {
    let (mut peak, mut in_window, mut tail) = (0u64, 0u64, 0usize);
    for head in run {
        in_window = in_window.saturating_add(head.packets);
        // Drop what is 60 s or more older than `head`; `tail` never passes `head`, whose own
        // second is inside the window.
        while let Some(old) = run
            .get(tail)
            .filter(|old| head.second.saturating_sub(old.second) >= MINUTE)
        {
            in_window = in_window.saturating_sub(old.packets);
            tail += 1;
        }
        peak = peak.max(in_window);
    }
    peak
}

fn ports_by_packets(run: &[&BackscatterSample]) -> Vec<u16> {
    let mut by_port: HashMap<u16, u64> = HashMap::new();
    for s in run {
        let count = by_port.entry(s.port).or_default();
        *count = count.saturating_add(s.packets);
    }
    let mut ports: Vec<(u16, u64)> = by_port.into_iter().collect();
    ports.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ports.into_iter().map(|(port, _)| port).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(victim: &str, second: i64, packets: u64, port: u16) -> BackscatterSample {
        BackscatterSample {
            victim: victim.to_string(),
            second,
            packets,
            port,
        }
    }

    /// `count` samples of `packets` each, every `step` seconds from `start`.
    fn flood(
        victim: &str,
        start: i64,
        step: i64,
        count: i64,
        packets: u64,
    ) -> Vec<BackscatterSample> {
        (0..count)
            .map(|i| sample(victim, start + i * step, packets, 80))
            .collect()
    }

    #[test]
    fn a_steady_trickle_is_one_attack() {
        // 40 packets over 20 minutes, one every 30 s: a /24's view of a flood.
        let found = attacks(&flood("192.0.2.1", 1000, 30, 40, 1), &VictimRule::default());
        assert_eq!(found.len(), 1);
        let a = &found[0];
        assert_eq!(
            (a.packets, a.start_secs, a.end_secs),
            (40, 1000, 1000 + 39 * 30)
        );
        assert_eq!(a.ports, [80]);
    }

    #[test]
    fn a_long_quiet_gap_splits_two_attacks_of_one_victim() {
        let mut samples = flood("v", 0, 10, 30, 1);
        samples.extend(flood("v", 290 + 301, 10, 50, 1));
        let found = attacks(&samples, &VictimRule::default());
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].packets, found[0].start_secs), (50, 591));
        assert_eq!(
            (found[1].packets, found[1].start_secs, found[1].end_secs),
            (30, 0, 290)
        );
        // A gap of exactly 300 s does not split.
        let mut samples = flood("v", 0, 10, 30, 1);
        samples.extend(flood("v", 290 + 300, 10, 50, 1));
        assert_eq!(attacks(&samples, &VictimRule::default()).len(), 1);
    }

    #[test]
    fn short_or_small_bursts_are_dropped() {
        let rule = VictimRule::default();
        // 60 packets within 59 s: too short.
        assert!(attacks(&flood("v", 0, 1, 60, 1), &rule).is_empty());
        // 24 packets over 10 minutes: too few.
        assert!(attacks(&flood("v", 0, 25, 24, 1), &rule).is_empty());
        // 25 packets over exactly 60 s: kept.
        let mut edge = flood("v", 0, 2, 24, 1);
        edge.push(sample("v", 60, 1, 80));
        let found = attacks(&edge, &rule);
        assert_eq!(
            (found.len(), found[0].packets, found[0].end_secs),
            (1, 25, 60)
        );
        // A sample without packets does not stretch an attack to 60 s.
        let mut empty_tail = flood("v", 0, 2, 25, 1);
        empty_tail.push(sample("v", 60, 0, 80));
        assert!(attacks(&empty_tail, &rule).is_empty());
    }

    #[test]
    fn the_per_minute_test_is_off_by_default_and_corsaros_when_asked() {
        let slow = flood("v", 0, 10, 60, 1); // 6 packets a minute for 10 minutes
        assert_eq!(attacks(&slow, &VictimRule::default()).len(), 1);
        let corsaro = VictimRule {
            min_packets_per_minute: 30,
            ..VictimRule::default()
        };
        assert!(attacks(&slow, &corsaro).is_empty());
        // 24 more packets in seconds 100..=146: with the trickle's 6, 30 in one minute.
        let mut burst = slow.clone();
        burst.extend(flood("v", 100, 2, 24, 1));
        assert_eq!(attacks(&burst, &corsaro).len(), 1);
        // One fewer and no minute reaches 30.
        let mut almost = slow;
        almost.extend(flood("v", 100, 2, 23, 1));
        assert!(attacks(&almost, &corsaro).is_empty());
    }

    #[test]
    fn peak_per_minute_slides_over_samples() {
        let run = [
            sample("v", 0, 5, 1),
            sample("v", 30, 5, 1),
            sample("v", 59, 5, 1),
            sample("v", 60, 7, 1),
        ];
        let refs: Vec<&BackscatterSample> = run.iter().collect();
        // Window ending at 59 holds 0, 30, 59 (15); ending at 60 holds 30, 59, 60 (17).
        assert_eq!(peak_per_minute(&refs), 17);
        assert_eq!(peak_per_minute(&[]), 0);
    }

    #[test]
    fn unsorted_input_of_many_victims_is_handled() {
        let mut samples = flood("b", 0, 20, 40, 2);
        samples.extend(flood("a", 0, 20, 40, 2));
        samples.extend(flood("c", 0, 20, 40, 1));
        samples.push(sample("a", 400, 3, 443));
        samples.push(sample("a", 420, 0, 22)); // no packets: ignored
        samples.reverse();
        samples.swap(3, 70);
        let found = attacks(&samples, &VictimRule::default());
        let rows: Vec<(&str, u64)> = found
            .iter()
            .map(|a| (a.victim.as_str(), a.packets))
            .collect();
        assert_eq!(rows, [("a", 83), ("b", 80), ("c", 40)]);
        assert_eq!(found[0].ports, [80, 443]);
        assert_eq!((found[0].start_secs, found[0].end_secs), (0, 780));
    }

    #[test]
    fn ports_are_ordered_by_packets_then_number() {
        let run = [
            sample("v", 0, 5, 443),
            sample("v", 1, 5, 80),
            sample("v", 2, 9, 22),
            sample("v", 3, 1, 443),
        ];
        let refs: Vec<&BackscatterSample> = run.iter().collect();
        assert_eq!(ports_by_packets(&refs), [22, 443, 80]);
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let samples = [
            sample("v", i64::MIN, u64::MAX, 1),
            sample("v", i64::MIN + 1, u64::MAX, 2),
            sample("v", i64::MAX, u64::MAX, 3),
            sample("w", i64::MAX - 100, 1, 3),
        ];
        let rule = VictimRule {
            quiet_gap_secs: i64::MAX,
            min_packets: 0,
            min_duration_secs: i64::MIN,
            min_packets_per_minute: u64::MAX,
        };
        let found = attacks(&samples, &rule);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].packets, u64::MAX);
        assert!(attacks(&[], &VictimRule::default()).is_empty());
        assert_eq!(found[0].to_victim(None).start, i64::MIN.to_string());
    }

    #[test]
    fn to_victim_writes_rfc3339_utc() {
        let a = Attack {
            victim: "198.51.100.7".into(),
            packets: 99,
            start_secs: 1_570_000_000,
            end_secs: 1_570_000_600,
            ports: vec![443],
        };
        let v = a.to_victim(Some("NL".into()));
        assert_eq!(v.start, "2019-10-02T07:06:40Z");
        assert_eq!(v.end, "2019-10-02T07:16:40Z");
        assert_eq!(
            (v.packets, v.ports, v.country),
            (99, vec![443], Some("NL".into()))
        );
    }

    #[test]
    fn rule_text_states_the_numbers() {
        let text = VictimRule::default().rule_text();
        for needle in ["300 s", "25 packets", "60 s", "corsaro"] {
            assert!(text.contains(needle), "{text}");
        }
        assert!(!text.contains("minute"));
        let strict = VictimRule {
            min_packets_per_minute: 30,
            ..VictimRule::default()
        };
        assert!(strict
            .rule_text()
            .contains("at least 30 packets in its busiest minute"));
    }
}
