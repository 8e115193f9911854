//! Loop heads and the bounds their iteration counts give. A loop head is an instruction a
//! backward jump lands on. At a head every local's number starts a [`Drift`] (its value here
//! plus 0), which additions carry around the loop; what comes back along each path tells, for
//! each local, whether it is its own value at the last pass plus a number in a range.
//!
//! A *counter* is a local that every path around the loop brings back strictly greater (or
//! strictly smaller), by at least `s`: between two arrivals from outside the loop, at most
//! `(hi - lo) / s` arrivals come around it, where `lo` is its least value arriving from outside
//! and `hi` its greatest coming around. A local
//! that each path around brings back changed by a number in `d` is then, at the head, its value
//! on arrival from outside plus at most that many numbers in `d`: `sum += ctx.readU8(i)` under
//! `i++` stays far inside ±2^53 without `| 0`, where widening alone would give up.
//!
//! Why it is sound: an arrival whose locals all lost their drift (it came from outside, or
//! every local was written afresh) starts every chain over; an arrival where some local kept
//! its drift but a counter did not disqualifies the counter. So along any run, the arrivals
//! since a local's chain last started are at most the counter's, and the counter's values at
//! them are the one it arrived with from outside, then ones it came around with: values the
//! arrivals computed from the head's states, whatever bounds those states were given.

use crate::step::State;
use crate::value::{Drift, Head, INF, Range, Val};
use std::collections::{HashMap, HashSet};

/// The indices of the instructions backward jumps land on.
pub(crate) fn heads(f: &crate::bytecode::Function) -> HashSet<usize> {
    let at: HashMap<u32, usize> = f.code.iter().enumerate().map(|(i, x)| (x.pc, i)).collect();
    crate::analyze::jumps(f)
        .filter_map(|(i, t)| at.get(&t).copied().filter(|&t| t <= i))
        .collect()
}

/// What arrivals at a loop head told about one local.
#[derive(Clone, Copy, Debug, Default)]
struct Chain {
    /// The join of its numbers on arrivals where it has no drift from this head.
    entry: Option<Range>,
    /// The join of its drifts on arrivals where it has one.
    step: Option<Range>,
    /// The join of its numbers on those arrivals.
    back: Option<Range>,
    /// It had no drift on an arrival where another local did.
    broken: bool,
    /// It held something other than a number on some arrival.
    other: bool,
}

/// What the arrivals at one loop head told so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Trail {
    chains: Vec<Chain>,
}

impl Trail {
    /// Notes an arrival at `head` with the state `s`.
    pub(crate) fn record(&mut self, head: Head, s: &State) {
        if self.chains.len() < s.locals.len() {
            self.chains.resize(s.locals.len(), Chain::default());
        }
        let own = |l: usize, v: &Val| v.drift().filter(|d| d.of(head, l as u16));
        let around = s
            .locals
            .iter()
            .enumerate()
            .any(|(l, v)| own(l, v).is_some());
        for (l, (v, c)) in s.locals.iter().zip(&mut self.chains).enumerate() {
            match (own(l, v), v) {
                (Some(d), Val::Num { r, .. }) => {
                    c.step = Some(c.step.map_or(d.d, |s| s.join(d.d)));
                    c.back = Some(c.back.map_or(*r, |b| b.join(*r)));
                }
                (None, Val::Num { r, .. }) => {
                    c.entry = Some(c.entry.map_or(*r, |e| e.join(*r)));
                    c.broken |= around;
                }
                _ => c.other = true,
            }
        }
    }

    /// For each counter, the most arrivals around the loop between two from outside it: its
    /// values at the arrivals of one chain rise (or fall) by at least its step, from one it
    /// arrived with from outside to ones it came around with.
    fn trips(&self) -> Vec<(usize, i128)> {
        self.chains
            .iter()
            .enumerate()
            .filter_map(|(l, c)| {
                let (Some(s), Some(e), Some(b)) = (c.step, c.entry, c.back) else {
                    return None;
                };
                if c.broken || c.other {
                    return None;
                }
                let (by, span) = if s.lo >= 1 {
                    (s.lo, b.hi - e.lo)
                } else if s.hi <= -1 {
                    (-s.hi, e.hi - b.lo)
                } else {
                    return None;
                };
                (span < INF).then(|| (l, span.max(0) / by))
            })
            .collect()
    }

    /// The state at `head` from the join of its arrivals: each local bounded by the trip count
    /// a counter gives, then every drift started afresh. Counters are ranked by their step
    /// (the smallest first, then by local): a counter is bounded only by those ranked before it,
    /// so that no two bound each other (which would only creep up together).
    pub(crate) fn bound(&self, head: Head, mut st: State) -> State {
        let mut trips = self.trips();
        let step = |l: usize| {
            self.chains[l]
                .step
                .map_or(INF, |s| s.lo.abs().min(s.hi.abs()))
        };
        trips.sort_by_key(|&(l, _)| (step(l), l));
        for (l, (c, v)) in self.chains.iter().zip(&mut st.locals).enumerate() {
            let before = trips.iter().position(|t| t.0 == l).unwrap_or(trips.len());
            let Some(k) = trips[..before].iter().map(|t| t.1).min() else {
                continue;
            };
            let (Some(e), Some(s), false, Val::Num { r, .. }) = (c.entry, c.step, c.other, v)
            else {
                continue;
            };
            let times = |d: i128| d.saturating_mul(k).clamp(-INF, INF);
            let lo = (e.lo + times(s.lo.min(0))).max(-INF);
            let hi = (e.hi + times(s.hi.max(0))).min(INF);
            *r = Range::new(r.lo.max(lo), r.hi.min(hi));
        }
        for (l, v) in st.locals.iter_mut().enumerate() {
            if let Val::Num { drift, .. } = v {
                *drift = Some(Drift::start(head, l as u16));
            }
        }
        for v in st.stack.iter_mut().chain(st.pairs.iter_mut().flatten()) {
            if let Val::Num { drift, .. } = v {
                *drift = None;
            }
        }
        st
    }
}
