//! Evidence → per-category scores → labels and verdict, in the label guide's order.
//!
//! Each rule contributes its weight once (its strongest hit); a category's score combines its
//! rules as a noisy-or, `1 - Π(1 - wᵢ)`, so one strong phrase (weight ≥ 0.5) or two weaker ones
//! together cross the labeling threshold of 0.5, and more evidence only ever raises the score.

use crate::lexicon::{Rule, RuleKind};
use crate::Category;

/// A category is labeled when its score reaches this.
pub const THRESHOLD: f64 = 0.5;

/// Combines weights as a noisy-or: one rule's strongest hit each.
pub(crate) fn noisy_or<'a>(rules: &[Rule], hit_rules: impl Iterator<Item = &'a usize>, want: RuleKind) -> f64 {
    let mut best: Vec<(usize, f64)> = Vec::new();
    for &r in hit_rules {
        if rules[r].kind != want {
            continue;
        }
        match best.iter_mut().find(|(i, _)| *i == r) {
            Some((_, w)) => *w = w.max(rules[r].weight),
            None => best.push((r, rules[r].weight)),
        }
    }
    1.0 - best.iter().fold(1.0, |acc, (_, w)| acc * (1.0 - w))
}

/// The labels given per-category scores and whether an explicit offer was made.
///
/// `polite_reminder` stands beside a harsher label only when the message makes an offer.
pub(crate) fn labels(scores: &[f64; 4], offer: bool) -> Vec<Category> {
    let mut labels: Vec<Category> = Category::ALL.into_iter().filter(|c| scores[c.index()] >= THRESHOLD).collect();
    if labels.len() > 1 && labels[0] == Category::PoliteReminder && !offer {
        labels.remove(0);
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polite_beside_harsher_only_with_offer() {
        let s = [0.8, 0.0, 0.9, 0.0];
        assert_eq!(labels(&s, false), vec![Category::Threat]);
        assert_eq!(labels(&s, true), vec![Category::PoliteReminder, Category::Threat]);
        assert_eq!(labels(&[0.8, 0.0, 0.0, 0.0], false), vec![Category::PoliteReminder]);
        assert!(labels(&[0.49, 0.3, 0.0, 0.0], false).is_empty());
    }
}
