//! Shared by the bench binaries: a counting allocator (heap bytes live and
//! the high-water mark, which RSS is too coarse to show for small inputs), a
//! timing loop, and `NURTURE_BENCH_QUICK` for profiling under callgrind,
//! where a tenth of the iterations show the same profile in a tenth of the
//! time.
#![allow(dead_code)]

pub mod year;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; the
// counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        CALLS.fetch_add(1, Ordering::Relaxed);
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let live = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Allocations made so far (reallocations not counted).
pub fn allocations() -> usize {
    CALLS.load(Ordering::Relaxed)
}

/// Heap bytes live now.
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts a new high-water mark from what is live now.
pub fn reset_peak() {
    PEAK.store(live(), Ordering::Relaxed);
}

/// The high-water mark since `reset_peak`, above `base`.
pub fn peak_above(base: usize) -> usize {
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

pub fn mib(bytes: usize) -> f64 {
    bytes as f64 / 1_048_576.0
}

pub fn quick() -> bool {
    std::env::var_os("NURTURE_BENCH_QUICK").is_some()
}

/// `n`, or a tenth of it (at least 1) when profiling.
pub fn iters(n: u32) -> u32 {
    if quick() {
        (n / 10).max(1)
    } else {
        n
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// Runs `f` in rounds of `iterations` and returns the median seconds per call.
pub fn time_per_call(iterations: u32, rounds: usize, mut f: impl FnMut()) -> f64 {
    let iterations = iters(iterations);
    let rounds = if quick() { 1 } else { rounds };
    for _ in 0..iterations {
        f();
    }
    let samples = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_secs_f64() / f64::from(iterations)
        })
        .collect();
    median(samples)
}

/// `count` Segment-style events over 90 days for `bench/visitor.json.mjs`'s
/// pages and track events: the same visitor the wasm benchmarks score.
pub fn heavy_visitor(now: i64, count: usize) -> Vec<serde_json::Value> {
    use serde_json::json;
    let paths = [
        "/",
        "/pricing",
        "/case-studies/refinery",
        "/blog/edge-scoring",
        "/industries/retail",
        "/careers",
        "/compare/legacy",
        "/resources/guide.pdf",
        "/demo",
        "/about",
    ];
    let tracks = [
        "Download",
        "Webinar Attended",
        "Email Opened",
        "Email Clicked",
        "Form Submitted",
    ];
    (0..count)
        .map(|i| {
            let timestamp = now - ((i as i64 * 90 * 86_400_000) / count as i64);
            if i % 4 == 3 {
                json!({"type": "track", "event": tracks[i % tracks.len()], "timestamp": timestamp,
                    "messageId": format!("m{i}"), "properties": {"tags": ["retail"]}})
            } else {
                json!({"type": "page", "timestamp": timestamp, "messageId": format!("m{i}"),
                    "properties": {"path": paths[i % paths.len()], "dwellSeconds": (i * 7) % 180,
                        "tags": ["retail", "personalization"]}})
            }
        })
        .collect()
}
