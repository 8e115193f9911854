//! Facts relating numbers to the context's run-time length, for raw memory (`r1` = memory, `r2`
//! = its length): "every value of scalar id `a`, plus `k`, is at most the length", and "the
//! values of id `b` are those of id `a` plus `d`". Intervals cannot relate an index to a length
//! known only at run time; these facts can, so that `if (i + 4 <= len) load(mem + i)` is proven
//! in bounds, as compilers emit it for `for (i = 0; i + 4 <= len; i += 4)`.
//!
//! Facts come from unsigned 64-bit comparisons with a copy of `r2` (ids: see
//! [`CTX_LEN_ID`]); offsets from adding a constant to a linked scalar where the sum cannot wrap.
//! An id names a value that never changes, so facts stay true along a path; joins keep what
//! both sides know, and give a register whose ids differ a fresh id with the weaker fact.

use crate::scalar::Scalar;
use crate::state::{CTX_LEN_ID, State};
use crate::types::{Ptr, PtrKind, Value};
use oxbpf_core::isa::Reg;

/// The largest length a memory buffer can have (`isize::MAX` bytes): a value with a fact is
/// below it.
const LEN_MAX: i128 = i64::MAX as i128;

/// Facts and offsets a state keeps before it drops those about ids no value holds any more.
const KEEP: usize = 24;

/// How many facts one new fact may imply through offsets (chains are short; this bounds
/// offsets that would contradict each other).
const MAX_STEPS: usize = 64;

impl State {
    /// The fact about scalar id `id`: the largest `k` known with `value + k <= length`.
    pub(crate) fn len_fact(&self, id: u32) -> Option<i64> {
        if id == 0 {
            return None;
        }
        self.len_facts.iter().find(|f| f.0 == id).map(|f| f.1)
    }

    /// The largest `k` known with `v + k <= length` for every value `v` of `s`: from its id's
    /// fact, or from the length proven present and its largest value.
    pub(crate) fn slack(&self, s: &Scalar) -> Option<i64> {
        let proven = if self.facts_of_packet {
            self.pkt_min
        } else {
            self.ctx_min
        };
        let by_min = proven
            .checked_sub(s.umax)
            .and_then(|k| i64::try_from(k).ok());
        match (self.len_fact(s.id), by_min) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Records that every value of `id`, plus `k`, is at most the length, with what follows
    /// through offsets.
    pub(crate) fn add_len_fact(&mut self, id: u32, k: i64) {
        let mut work = vec![(id, k)];
        let mut steps = 0;
        while let Some((id, k)) = work.pop() {
            steps += 1;
            if id == 0 || id == CTX_LEN_ID || steps > MAX_STEPS {
                continue;
            }
            match self.len_facts.iter_mut().find(|f| f.0 == id) {
                Some(f) if f.1 >= k => continue,
                Some(f) => f.1 = k,
                None => self.len_facts.push((id, k)),
            }
            self.bound_by_len(id, k);
            for &(a, b, d) in &self.offsets {
                // b = a + d: b + k <= len gives a + (d + k) <= len, and the other way round.
                if b == id
                    && let Some(ka) = k.checked_add(d)
                {
                    work.push((a, ka));
                }
                if a == id
                    && let Some(kb) = k.checked_sub(d)
                {
                    work.push((b, kb));
                }
            }
        }
        self.forget_unheld();
    }

    /// Records that the values of id `b` are those of id `a` plus `d` (computed without
    /// wrapping), with the fact that follows for `b`.
    pub(crate) fn add_offset(&mut self, a: u32, b: u32, d: i64) {
        if a == 0 || b == 0 || a == CTX_LEN_ID {
            return;
        }
        self.offsets.push((a, b, d));
        if let Some(k) = self.len_fact(a).and_then(|k| k.checked_sub(d)) {
            self.add_len_fact(b, k);
        }
        self.forget_unheld();
    }

    /// Narrows the values of `id`, which plus `k` are at most a length: below [`LEN_MAX`].
    fn bound_by_len(&mut self, id: u32, k: i64) {
        let limit = len_limit(k);
        self.for_each_linked(id, |v| {
            if let Value::Scalar(s) = v
                && s.umax > limit
                && let Some(n) = (Scalar { umax: limit, ..*s }).synced()
            {
                *s = n;
            }
        });
    }

    /// Drops facts and offsets about ids no register or stack slot holds, once there are many.
    fn forget_unheld(&mut self) {
        if self.len_facts.len() + self.offsets.len() <= KEEP {
            return;
        }
        let mut held = Vec::new();
        for v in self.values_mut() {
            match *v {
                Value::Scalar(s) if s.id != 0 => held.push(s.id),
                Value::Ptr(p) if p.var != 0 => held.push(p.var),
                _ => {}
            }
        }
        self.len_facts.retain(|f| held.contains(&f.0));
        self.offsets
            .retain(|o| held.contains(&o.0) && held.contains(&o.1));
    }

    /// The facts of a state holding both `a` and `b` (`self`, their register-by-register join
    /// or widening): the facts both have, the weaker where they differ; and a
    /// register whose ids differed gets a fresh id with the weaker of the two facts its values
    /// had. Widening keeps a fact only where it did not weaken, so that facts cannot shrink
    /// without end around a loop.
    pub(crate) fn merge_facts(&mut self, a: &State, b: &State, widening: bool) {
        let merged = |ka: i64, kb: i64| -> Option<i64> {
            match (widening, kb < ka) {
                (true, true) => None,
                _ => Some(ka.min(kb)),
            }
        };
        self.len_facts = a
            .len_facts
            .iter()
            .filter_map(|&(id, ka)| merged(ka, b.len_fact(id)?).map(|k| (id, k)))
            .collect();
        // Offsets matter between the addition that makes them and the compare that uses them;
        // a merged state keeps none, so that states compared with it need none either.
        self.offsets.clear();
        self.merge_packet_pointers(a, b, widening);
        for f in 0..self.frames.len() {
            for r in 0..11 {
                let (Value::Scalar(x), Value::Scalar(y), Value::Scalar(mut j)) = (
                    a.frames[f].regs[r],
                    b.frames[f].regs[r],
                    self.frames[f].regs[r],
                ) else {
                    continue;
                };
                // Ids that differ (or none): a fresh one, where a fact on either side is worth
                // carrying.
                if j.id != 0 || (a.len_fact(x.id).is_none() && b.len_fact(y.id).is_none()) {
                    continue;
                }
                // Only where both sides' values fit below the largest length with the fact:
                // then bounding the merged value by it loses none of theirs (and a widening
                // stabilises).
                if let Some(k) = a
                    .slack(&x)
                    .zip(b.slack(&y))
                    .and_then(|(ka, kb)| merged(ka, kb))
                    .filter(|&k| x.umax.max(y.umax) <= len_limit(k))
                {
                    j.id = self.fresh_id();
                    self.frames[f].regs[r] = Value::Scalar(j);
                    self.len_facts.push((j.id, k));
                    self.bound_by_len(j.id, k);
                }
            }
        }
    }

    /// The largest `k` known with `offset + k <= length` for every offset packet pointer `p`
    /// may have: from its index's fact, or from the bytes proven present and its largest offset.
    fn packet_slack(&self, p: &Ptr) -> Option<i64> {
        if !self.facts_of_packet || p.kind != PtrKind::Packet || p.nullable {
            return None;
        }
        let by_var = self.len_fact(p.var).and_then(|k| k.checked_sub(p.var_off));
        let by_min = i64::try_from(self.pkt_min)
            .ok()
            .and_then(|n| n.checked_sub(p.off_max));
        match (by_var, by_min) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// After a join or widening of `a` and `b` into `self`: a packet pointer whose sides had
    /// different offsets or indexes gets an index of its own (its whole offset), with the fewer
    /// of the bytes proven after it on each side, so that the headers a parser reached along two
    /// paths (with a VLAN tag or without) stay proven, and a check of it proves those after.
    fn merge_packet_pointers(&mut self, a: &State, b: &State, widening: bool) {
        for f in 0..self.frames.len() {
            let slots = self.frames[f].stack.slots.len();
            for at in 0..11 + slots {
                let pick = |s: &State| match s.frames.get(f) {
                    Some(fr) if at < 11 => fr.regs[at],
                    Some(fr) => fr.stack.slot(at - 11).spill,
                    None => Value::Uninit,
                };
                let (Value::Ptr(x), Value::Ptr(y), Value::Ptr(mut j)) =
                    (pick(a), pick(b), pick(self))
                else {
                    continue;
                };
                if j.kind != PtrKind::Packet || j.nullable || j.var != 0 || j.fixed().is_some() {
                    continue;
                }
                // An index even without a fact: a later check of the pointer proves its bytes.
                j.var = self.fresh_id();
                j.var_off = 0;
                if let Some((ka, kb)) = a.packet_slack(&x).zip(b.packet_slack(&y))
                    && (!widening || kb >= ka)
                {
                    self.len_facts.push((j.var, ka.min(kb)));
                }
                let fr = &mut self.frames[f];
                if at < 11 {
                    fr.regs[at] = Value::Ptr(j);
                } else {
                    fr.stack.slots[at - 11].spill = Value::Ptr(j);
                }
            }
        }
    }

    /// Whether `self`'s facts cover those `old`'s continuation relied on, for the values paired
    /// by [`within`](State::within): `scalars` pairs an old scalar id with the new scalar,
    /// `vars` an old pointer index id with the new one, `ids` every old id with its new one.
    pub(crate) fn facts_within(
        &self,
        old: &State,
        scalars: &[(u32, Scalar)],
        vars: &[(u32, u32)],
        ids: impl Fn(u32) -> Option<u32>,
    ) -> bool {
        let covers = |k_old: Option<i64>, k_new: Option<i64>| match (k_old, k_new) {
            (None, _) => true,
            (Some(o), Some(n)) => n >= o,
            (Some(_), None) => false,
        };
        scalars
            .iter()
            .all(|(o, s)| covers(old.len_fact(*o), self.slack(s)))
            && vars
                .iter()
                .all(|&(o, n)| covers(old.len_fact(o), self.len_fact(n)))
            && old.offsets.iter().all(|&(a, b, d)| match (ids(a), ids(b)) {
                (Some(na), Some(nb)) => self.offsets.contains(&(na, nb, d)),
                _ => true,
            })
    }
}

/// The largest value `v` with `v + k <= LEN_MAX`.
fn len_limit(k: i64) -> u64 {
    u64::try_from((LEN_MAX - i128::from(k)).max(0)).unwrap_or(u64::MAX)
}

/// After a branch where `x rel y` holds (`le`: `x <= y`, else `x < y`, unsigned 64-bit) with
/// `x` in register `xr` (if a register) and `y` the length: the fact about `x`.
pub(crate) fn compared_with_len(st: &mut State, xr: Option<Reg>, x: Scalar, strict: bool) {
    let Some(r) = xr else {
        return;
    };
    if x.id == CTX_LEN_ID {
        return;
    }
    let id = if x.id == 0 {
        let id = st.fresh_id();
        st.set_reg(r.idx(), Value::Scalar(Scalar { id, ..x }));
        id
    } else {
        x.id
    };
    st.add_len_fact(id, i64::from(strict));
}
