//! A space-saving counter (Metwally et al.): the most frequent keys of an unbounded stream in a
//! fixed number of slots. Counts are exact until the first eviction; after that each count may
//! overstate the truth by at most its `error`, and any key more frequent than `total / capacity`
//! is guaranteed to be present.

use std::collections::HashMap;

/// Counts keys in at most `capacity` slots.
#[derive(Debug, Clone)]
pub struct SpaceSaving {
    capacity: usize,
    slots: HashMap<String, (u64, u64)>,
    evicted: bool,
}

impl SpaceSaving {
    /// An empty counter with room for `capacity` keys (at least 1).
    pub fn new(capacity: usize) -> SpaceSaving {
        SpaceSaving { capacity: capacity.max(1), slots: HashMap::new(), evicted: false }
    }

    /// Counts one occurrence of `key`.
    pub fn add(&mut self, key: &str) {
        if let Some(slot) = self.slots.get_mut(key) {
            slot.0 += 1;
            return;
        }
        if self.slots.len() < self.capacity {
            self.slots.insert(key.to_string(), (1, 0));
            return;
        }
        // The linear scan only runs on an eviction, which needs a new distinct key while every
        // slot is taken; the capacity is a few hundred, so this stays cheap beside classifying.
        let (victim, min) = self
            .slots
            .iter()
            .min_by(|a, b| a.1 .0.cmp(&b.1 .0).then_with(|| b.0.cmp(a.0)))
            .map(|(k, v)| (k.clone(), v.0))
            .expect("a full counter has slots");
        self.slots.remove(&victim);
        self.slots.insert(key.to_string(), (min + 1, min));
        self.evicted = true;
    }

    /// True while no key has been evicted: every count is exact.
    pub fn exact(&self) -> bool {
        !self.evicted
    }

    /// The `n` largest counts as `(key, count, error)`, largest first, ties by key.
    pub fn top(&self, n: usize) -> Vec<(String, u64, u64)> {
        let mut all: Vec<(String, u64, u64)> = self.slots.iter().map(|(k, v)| (k.clone(), v.0, v.1)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_below_capacity() {
        let mut s = SpaceSaving::new(3);
        for k in ["a", "b", "a", "c", "a", "b"] {
            s.add(k);
        }
        assert!(s.exact());
        assert_eq!(s.top(2), vec![("a".into(), 3, 0), ("b".into(), 2, 0)]);
    }

    #[test]
    fn a_heavy_key_survives_a_flood_of_distinct_ones() {
        let mut s = SpaceSaving::new(4);
        for i in 0..1000 {
            s.add("heavy");
            s.add(&format!("noise{i}"));
        }
        assert!(!s.exact());
        let top = s.top(1);
        assert_eq!(top[0].0, "heavy");
        // The count never understates, and overstates by at most its error.
        assert!(top[0].1 >= 1000 && top[0].1 - top[0].2 <= 1000);
        assert!(s.slots.len() <= 4);
    }
}
