//! Quality measures of ranked lists and pair scores, for `trendwatch eval related`: precision
//! at k, average precision, ROC AUC and threshold accuracy (fixed, and chosen by
//! cross-validation).

/// Share of relevant items among the first `k` of `ranked` (a list shorter than `k` counts
/// its missing places as misses).
pub fn precision_at(ranked: &[bool], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    ranked.iter().take(k).filter(|r| **r).count() as f64 / k as f64
}

/// Average precision of a ranking against `relevant_total` relevant items (those never
/// ranked count as found at no precision).
pub fn average_precision(ranked: &[bool], relevant_total: usize) -> f64 {
    if relevant_total == 0 {
        return 0.0;
    }
    let (mut hits, mut sum) = (0usize, 0.0f64);
    for (i, r) in ranked.iter().enumerate() {
        if *r {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    sum / relevant_total as f64
}

/// Area under the ROC curve of `scores` for the positive `labels`: the probability that a
/// random positive outscores a random negative, ties counting half.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mid-ranks of tied scores (Mann–Whitney U).
    let mut ranks = vec![0.0f64; scores.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = mid;
        }
        i = j + 1;
    }
    let pos = labels.iter().filter(|l| **l).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(labels)
        .filter(|(_, l)| **l)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Share of pairs decided right by "positive when score ≥ threshold".
pub fn accuracy_at(scores: &[f64], labels: &[bool], threshold: f64) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    let right = scores
        .iter()
        .zip(labels)
        .filter(|(s, l)| (**s >= threshold) == **l)
        .count();
    right as f64 / scores.len() as f64
}

/// The threshold with the best accuracy on the given pairs (midpoints between scores).
pub fn best_threshold(scores: &[f64], labels: &[bool]) -> f64 {
    let mut sorted: Vec<f64> = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let mut candidates: Vec<f64> = sorted.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    candidates.extend(sorted.first().map(|s| s - 1e-9));
    candidates.extend(sorted.last().map(|s| s + 1e-9));
    candidates
        .into_iter()
        .map(|t| (accuracy_at(scores, labels, t), t))
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map_or(0.0, |(_, t)| t)
}

/// Accuracy with a threshold chosen by `folds`-fold cross-validation: each fold is decided by
/// the best threshold of the other folds (folds are interleaved, item i in fold i mod folds).
pub fn cross_validated_accuracy(scores: &[f64], labels: &[bool], folds: usize) -> f64 {
    if scores.is_empty() || folds < 2 {
        return 0.0;
    }
    let mut right = 0usize;
    for f in 0..folds {
        let (mut ts, mut tl) = (Vec::new(), Vec::new());
        for i in (0..scores.len()).filter(|i| i % folds != f) {
            ts.push(scores[i]);
            tl.push(labels[i]);
        }
        let t = best_threshold(&ts, &tl);
        right += (0..scores.len())
            .filter(|i| i % folds == f)
            .filter(|&i| (scores[i] >= t) == labels[i])
            .count();
    }
    right as f64 / scores.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        let r = [true, false, true, false, false];
        assert!((precision_at(&r, 5) - 0.4).abs() < 1e-12);
        assert!((precision_at(&r, 2) - 0.5).abs() < 1e-12);
        // AP with 3 relevant, two found at ranks 1 and 3: (1/1 + 2/3) / 3.
        assert!((average_precision(&r, 3) - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        // Positives 0.9, 0.4; negatives 0.5, 0.1: 3 of 4 pairs ordered right.
        let s = [0.9, 0.4, 0.5, 0.1];
        let l = [true, true, false, false];
        assert!((roc_auc(&s, &l) - 0.75).abs() < 1e-12);
        assert!((roc_auc(&[0.5, 0.5], &[true, false]) - 0.5).abs() < 1e-12);
        assert!((accuracy_at(&s, &l, 0.45) - 0.5).abs() < 1e-12);
        let t = best_threshold(&s, &l);
        assert!((accuracy_at(&s, &l, t) - 0.75).abs() < 1e-12);
        let sep = [0.9, 0.8, 0.7, 0.2, 0.1, 0.05, 0.85, 0.15, 0.75, 0.12];
        let lab = [
            true, true, true, false, false, false, true, false, true, false,
        ];
        assert!((cross_validated_accuracy(&sep, &lab, 5) - 1.0).abs() < 1e-12);
    }
}
