//! Data parallelism for CPU-bound loops (tokenising, scoring, parsing). Pure computation on
//! the caller's data: no I/O happens here.

/// Maps `f` over `items` on every core (see [`par_ranges`]), keeping the order. Scoped std
/// threads rather than a thread-pool dependency: a few such loops need nothing more.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    if items.len() < 64 {
        return items.iter().enumerate().map(|(i, t)| f(i, t)).collect();
    }
    par_ranges(items.len(), |r| r.map(|i| f(i, &items[i])).collect())
}

/// Runs `f` on `0..n` split into contiguous ranges and concatenates the results in order.
/// For loops whose per-range set-up (scratch space) is costly: there are about sixteen
/// ranges per core, handed out as threads become free, so a thread that drew the costlier
/// documents does not leave the other cores idle at the end.
pub fn par_ranges<R: Send>(
    n: usize,
    f: impl Fn(std::ops::Range<usize>) -> Vec<R> + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(8);
    if threads <= 1 || n < 2 {
        return f(0..n);
    }
    let step = n.div_ceil(threads * 16).max(64);
    let chunks = n.div_ceil(step);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let mut parts: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(chunks))
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if c >= chunks {
                            return done;
                        }
                        done.push((c, f(c * step..((c + 1) * step).min(n))));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    parts.sort_unstable_by_key(|(c, _)| *c);
    parts.into_iter().flat_map(|(_, part)| part).collect()
}
