//! Agreement between a clustering and gold labels: NMI, pair-counting precision / recall /
//! F1 and B-cubed F1, as used by the news-stream clustering literature (Miranda et al. 2018
//! report pairwise F1; MStream reports NMI).

use serde::Serialize;
use std::collections::HashMap;

/// Scores of one clustering against gold labels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClusterScores {
    /// Normalised mutual information (arithmetic-mean normalisation, as scikit-learn).
    pub nmi: f64,
    /// Pairwise precision: of the pairs put together, the share that belong together.
    pub pairwise_precision: f64,
    /// Pairwise recall: of the pairs that belong together, the share put together.
    pub pairwise_recall: f64,
    /// Harmonic mean of the two.
    pub pairwise_f1: f64,
    /// B-cubed F1 (item-averaged precision and recall).
    pub bcubed_f1: f64,
    /// Number of predicted clusters.
    pub clusters: usize,
    /// Number of gold classes.
    pub classes: usize,
    /// Number of items.
    pub items: usize,
}

fn pairs(n: u64) -> f64 {
    (n * n.saturating_sub(1) / 2) as f64
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Scores `predicted` against `gold`, item by item (same length, any label types).
pub fn score<P: std::hash::Hash + Eq, G: std::hash::Hash + Eq>(
    predicted: &[P],
    gold: &[G],
) -> ClusterScores {
    assert_eq!(
        predicted.len(),
        gold.len(),
        "one predicted label per gold label"
    );
    let n = predicted.len();
    let mut pid: HashMap<&P, usize> = HashMap::new();
    let mut gid: HashMap<&G, usize> = HashMap::new();
    let mut joint: HashMap<(usize, usize), u64> = HashMap::new();
    for (p, g) in predicted.iter().zip(gold) {
        let np = pid.len();
        let ng = gid.len();
        let a = *pid.entry(p).or_insert(np);
        let b = *gid.entry(g).or_insert(ng);
        *joint.entry((a, b)).or_insert(0) += 1;
    }
    let mut csize = vec![0u64; pid.len()];
    let mut gsize = vec![0u64; gid.len()];
    for (&(a, b), &c) in &joint {
        csize[a] += c;
        gsize[b] += c;
    }
    let nf = n.max(1) as f64;
    let entropy = |sizes: &[u64]| -> f64 {
        sizes
            .iter()
            .filter(|&&s| s > 0)
            .map(|&s| {
                let p = s as f64 / nf;
                -p * p.ln()
            })
            .sum()
    };
    let (hc, hg) = (entropy(&csize), entropy(&gsize));
    let mi: f64 = joint
        .iter()
        .map(|(&(a, b), &c)| {
            let pab = c as f64 / nf;
            pab * (pab / ((csize[a] as f64 / nf) * (gsize[b] as f64 / nf))).ln()
        })
        .sum();
    let nmi = if hc + hg == 0.0 {
        1.0
    } else {
        2.0 * mi / (hc + hg)
    };
    let tp: f64 = joint.values().map(|&c| pairs(c)).sum();
    let pred_pairs: f64 = csize.iter().map(|&c| pairs(c)).sum();
    let gold_pairs: f64 = gsize.iter().map(|&c| pairs(c)).sum();
    let pp = if pred_pairs == 0.0 {
        1.0
    } else {
        tp / pred_pairs
    };
    let pr = if gold_pairs == 0.0 {
        1.0
    } else {
        tp / gold_pairs
    };
    // B-cubed: each item's precision is |its cluster ∩ its class| / |its cluster|.
    let (mut bp, mut br) = (0.0, 0.0);
    for (&(a, b), &c) in &joint {
        let c = c as f64;
        bp += c * c / csize[a] as f64;
        br += c * c / gsize[b] as f64;
    }
    ClusterScores {
        nmi,
        pairwise_precision: pp,
        pairwise_recall: pr,
        pairwise_f1: f1(pp, pr),
        bcubed_f1: f1(bp / nf, br / nf),
        clusters: csize.len(),
        classes: gsize.len(),
        items: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_hand_computed() {
        let s = score(&[1, 1, 2, 2], &["a", "a", "b", "b"]);
        assert!((s.nmi - 1.0).abs() < 1e-12 && s.pairwise_f1 == 1.0 && s.bcubed_f1 == 1.0);
        // Predicted {0,1,2} {3}; gold {0,1} {2,3}.
        let s = score(&[1, 1, 1, 2], &["a", "a", "b", "b"]);
        // Pairs together: (0,1) (0,2) (1,2): one of them right; gold pairs (0,1) (2,3).
        assert!((s.pairwise_precision - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.pairwise_recall - 0.5).abs() < 1e-12);
        assert!((s.pairwise_f1 - 0.4).abs() < 1e-12);
        // B-cubed precision: items 0,1: 2/3 each, item 2: 1/3, item 3: 1 → 2.666/4;
        // recall: items 0,1: 1, item 2: 1/2, item 3: 1/2 → 3/4.
        let (bp, br) = (2.666_666_666_666_667 / 4.0, 0.75);
        assert!((s.bcubed_f1 - 2.0 * bp * br / (bp + br)).abs() < 1e-9);
        assert_eq!((s.clusters, s.classes, s.items), (2, 2, 4));
        // Every item alone: precision 1, recall 0.
        let s = score(&[1, 2, 3, 4], &["a", "a", "b", "b"]);
        assert_eq!((s.pairwise_precision, s.pairwise_recall), (1.0, 0.0));
    }
}
