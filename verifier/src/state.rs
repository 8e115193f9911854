//! The abstract state on one path: call frames (registers and stack), the proven lengths of the
//! regions whose length is only known at run time, and the ring-buffer records held.

use crate::scalar::Scalar;
use crate::types::{Ptr, PtrKind, Value};
use smallvec::SmallVec;
use std::fmt;

/// One 8-byte stack slot: which of its bytes were written, and the register spilled into it (by
/// an aligned store of 1, 2, 4 or 8 bytes), if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Slot {
    /// Bit `i`: byte `i` of the slot (from its lowest address) is initialised.
    pub(crate) init: u8,
    /// The spilled register, or [`Value::Uninit`]. A spill narrower than 8 bytes holds a scalar:
    /// the register's low bytes, zero-extended, as a load of that width reads them back.
    pub(crate) spill: Value,
    /// The byte of the slot where the spill starts.
    pub(crate) at: u8,
    /// The spill's width in bytes (0 with no spill).
    pub(crate) len: u8,
}

const EMPTY: Slot = Slot::EMPTY;

impl Slot {
    /// Never written: no byte initialised, no spill.
    pub(crate) const EMPTY: Slot = Slot {
        init: 0,
        spill: Value::Uninit,
        at: 0,
        len: 0,
    };

    /// Whether `other` holds its spill in the same bytes.
    fn spill_placed_as(&self, other: &Slot) -> bool {
        self.spill == Value::Uninit && other.spill == Value::Uninit
            || (self.at, self.len) == (other.at, other.len)
    }

    /// Forgets the spill (the bytes stay initialised).
    pub(crate) fn forget_spill(&mut self) {
        self.spill = Value::Uninit;
        self.at = 0;
        self.len = 0;
    }
}

/// A frame's stack, slot 0 being the 8 bytes just below `r10`. It grows as the program
/// touches deeper slots.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Stack {
    pub(crate) slots: Vec<Slot>,
}

impl Stack {
    /// The slot and byte within it of stack offset `off` (negative, from `r10`).
    pub(crate) fn locate(off: i64) -> (usize, u32) {
        let depth = (-off - 1) as usize; // bytes below r10, 0-based
        let slot = depth / 8;
        // Byte 7 of slot 0 is at r10 - 1; byte 0 at r10 - 8.
        (slot, 7 - (depth % 8) as u32)
    }

    /// The slot, if it was ever touched.
    pub(crate) fn slot(&self, i: usize) -> Slot {
        self.slots.get(i).copied().unwrap_or(EMPTY)
    }

    /// The slot, to change.
    pub(crate) fn slot_mut(&mut self, i: usize) -> &mut Slot {
        if self.slots.len() <= i {
            self.slots.resize(i + 1, EMPTY);
        }
        &mut self.slots[i]
    }

    /// Whether the byte at offset `off` is initialised.
    pub(crate) fn byte_init(&self, off: i64) -> bool {
        let (s, b) = Stack::locate(off);
        self.slot(s).init & (1 << b) != 0
    }

    /// Marks the byte at `off` initialised.
    pub(crate) fn set_init(&mut self, off: i64) {
        let (s, b) = Stack::locate(off);
        self.slot_mut(s).init |= 1 << b;
    }
}

/// One call frame.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Frame {
    /// `r0` to `r10`.
    pub(crate) regs: [Value; 11],
    /// Its stack.
    pub(crate) stack: Stack,
    /// Where the caller continues when this frame exits (unused for frame 0).
    pub(crate) ret_pc: usize,
}

/// The abstract state of one path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct State {
    /// Call frames, the entry function's first.
    pub(crate) frames: Vec<Frame>,
    /// Bytes of the context proven present (for a context whose length is known at run time).
    pub(crate) ctx_min: u64,
    /// Bytes of packet data proven present.
    pub(crate) pkt_min: u64,
    /// Bytes of metadata proven present before the packet data.
    pub(crate) meta_min: u64,
    /// Ids of the ring-buffer records held (to submit or discard), with the instruction that
    /// reserved each.
    pub(crate) refs: Vec<(u32, usize)>,
    /// The `bpf_spin_lock` held, if any: the map whose value holds it and the id of the value
    /// pointer it was taken through.
    pub(crate) lock: Option<(u32, u32)>,
    /// The next fresh id.
    pub(crate) next_id: u32,
    /// `(id, k)`: every value of scalar id `id`, plus `k`, is at most the context's run-time
    /// length (see `relate`).
    pub(crate) len_facts: Vec<(u32, i64)>,
    /// `(a, b, d)`: the values of id `b` are those of id `a` plus `d`, computed without wrapping.
    pub(crate) offsets: Vec<(u32, u32, i64)>,
    /// Whether the length the facts bound is the packet's (a packet context, whose own length
    /// is fixed) rather than the context's (raw memory).
    pub(crate) facts_of_packet: bool,
    /// Which registers lost a packet pointer to a call that may move the packet (for the
    /// message of a later read only: no comparison of states sees it).
    pub(crate) stale: StalePacket,
}

/// The registers of the innermost frame whose packet pointers a call dropped, and the call.
/// Diagnostic only: equal to every other, hashed as nothing, so that pruning ignores it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StalePacket {
    /// Bit `r` for register `r`.
    pub(crate) regs: u16,
    /// The call's instruction index.
    pub(crate) at: usize,
}

impl StalePacket {
    /// The call that dropped register `r`'s packet pointer, if one did.
    pub(crate) fn of(&self, r: usize) -> Option<usize> {
        (self.regs & (1 << r) != 0).then_some(self.at)
    }
}

impl PartialEq for StalePacket {
    fn eq(&self, _: &StalePacket) -> bool {
        true
    }
}

impl Eq for StalePacket {}

impl std::hash::Hash for StalePacket {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// The id scalars equal to the context's run-time length carry (`r2` at entry, and copies).
pub(crate) const CTX_LEN_ID: u32 = 1;

impl State {
    /// The innermost frame.
    pub(crate) fn cur(&self) -> &Frame {
        self.frames.last().expect("a state has a frame")
    }

    /// The innermost frame, to change.
    pub(crate) fn cur_mut(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("a state has a frame")
    }

    /// Index of the innermost frame.
    pub(crate) fn depth(&self) -> u8 {
        (self.frames.len() - 1) as u8
    }

    /// Register `r` of the innermost frame.
    pub(crate) fn reg(&self, r: usize) -> Value {
        self.cur().regs[r]
    }

    /// Sets register `r` of the innermost frame.
    pub(crate) fn set_reg(&mut self, r: usize, v: Value) {
        self.cur_mut().regs[r] = v;
    }

    /// A fresh id.
    pub(crate) fn fresh_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// Every register and spilled slot of every frame.
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        self.frames.iter_mut().flat_map(|f| {
            f.regs
                .iter_mut()
                .chain(f.stack.slots.iter_mut().map(|s| &mut s.spill))
        })
    }

    /// Applies `f` to every value whose id is `id` (scalars linked by a copy, or copies of a
    /// helper's pointer result).
    pub(crate) fn for_each_linked(&mut self, id: u32, mut f: impl FnMut(&mut Value)) {
        if id == 0 {
            return;
        }
        for v in self.values_mut() {
            let linked = match v {
                Value::Scalar(s) => s.id == id,
                Value::Ptr(p) => p.id == id,
                Value::Uninit => false,
            };
            if linked {
                f(v);
            }
        }
    }

    /// Whether every concrete state of `self` is one of `old`'s, so that `old`'s verified
    /// continuation covers it. `live` masks the innermost frame's registers that are read before
    /// being written from here on.
    pub(crate) fn within(&self, old: &State, live: u16) -> bool {
        if self.frames.len() != old.frames.len()
            || self.ctx_min < old.ctx_min
            || self.pkt_min < old.pkt_min
            || self.meta_min < old.meta_min
            || self.refs.len() != old.refs.len()
            || self.lock.map(|l| l.0) != old.lock.map(|l| l.0)
        {
            return false;
        }
        // Most states compared here differ in a live register's kind or range: find that
        // first, before pairing ids.
        let last = self.frames.len() - 1;
        let (cur, was) = (&self.frames[last], &old.frames[last]);
        if (0..11).rev().any(|r| {
            live & (1 << r) != 0
                && match (&cur.regs[r], &was.regs[r]) {
                    (_, Value::Uninit) => false,
                    (Value::Scalar(a), Value::Scalar(b)) => !b.includes(a),
                    (Value::Ptr(a), Value::Ptr(b)) => !ptr_within(a, b),
                    _ => true,
                }
        }) {
            return false;
        }
        let mut ids = IdMap {
            facts: &old.len_facts,
            ..IdMap::default()
        };
        for (r, o) in self.refs.iter().zip(&old.refs) {
            if !ids.pair(o.0, r.0) {
                return false;
            }
        }
        if let (Some(l), Some(o)) = (self.lock, old.lock)
            && !ids.pair(o.1, l.1)
        {
            return false;
        }
        for (i, (new, old)) in self.frames.iter().zip(&old.frames).enumerate() {
            if new.ret_pc != old.ret_pc {
                return false;
            }
            for r in 0..11 {
                if i == last && live & (1 << r) == 0 {
                    continue;
                }
                if !value_within(&new.regs[r], &old.regs[r], &mut ids) {
                    return false;
                }
            }
            let n = new.stack.slots.len().max(old.stack.slots.len());
            for s in 0..n {
                let (a, b) = (new.stack.slot(s), old.stack.slot(s));
                // Bytes the old path had initialised, this one must have too.
                if b.init & !a.init != 0 {
                    return false;
                }
                if b.spill != Value::Uninit
                    && (!a.spill_placed_as(&b) || !value_within(&a.spill, &b.spill, &mut ids))
                {
                    // An old spilled scalar covers unspilled initialised bytes only when it is
                    // unknown.
                    return false;
                }
                if b.spill == Value::Uninit && a.spill.is_ptr() && b.init != 0 {
                    return false;
                }
            }
        }
        self.facts_within(old, &ids.scalars, &ids.vars, |id| ids.get(id))
    }

    /// Whether the two states are the same but for dead registers and id numbering: a path
    /// that comes back to a state it has been in makes no progress.
    pub(crate) fn same_as(&self, old: &State, live: u16) -> bool {
        self.within(old, live) && old.within(self, live)
    }
}

impl State {
    /// Whether `self` and `other` differ at most in scalar ranges, pointer offsets and
    /// initialised stack bytes (registers dead per `live` aside): then their join loses no
    /// type, only precision.
    pub(crate) fn same_shape(&self, other: &State, live: u16) -> bool {
        if self.frames.len() != other.frames.len()
            || self.refs != other.refs
            || self.lock != other.lock
        {
            return false;
        }
        let last = self.frames.len() - 1;
        self.frames
            .iter()
            .zip(&other.frames)
            .enumerate()
            .all(|(i, (a, b))| {
                a.ret_pc == b.ret_pc
                    && (0..11).all(|r| {
                        (i == last && live & (1 << r) == 0) || same_kind(&a.regs[r], &b.regs[r])
                    })
                    && (0..a.stack.slots.len().max(b.stack.slots.len())).all(|s| {
                        let (x, y) = (a.stack.slot(s), b.stack.slot(s));
                        x.spill_placed_as(&y) && same_kind(&x.spill, &y.spill)
                    })
            })
    }

    /// A state holding every concrete state of both (which have the same shape).
    pub(crate) fn join(&self, other: &State) -> State {
        let mut out = self.merge(other, join_value);
        out.merge_facts(self, other, false);
        out
    }

    /// `self` (a loop head's state on an earlier iteration) widened by `new` (one iteration
    /// later, of the same shape): a state holding both in which the numbers that changed may
    /// take every value in the direction they moved, up to the next threshold (see
    /// [`Scalar::widen`](crate::Scalar::widen)).
    /// Without `keep_facts`, the result has no facts about the length.
    pub(crate) fn widen(&self, new: &State, thresholds: &[i64], keep_facts: bool) -> State {
        let mut out = self.merge(new, |a, b| match (a, b) {
            (Value::Scalar(x), Value::Scalar(y)) => Value::Scalar(x.widen(y, thresholds)),
            // A pointer that moves may end up anywhere; an access through it is then proven
            // only where its region allows that (raw memory, checked at run time).
            (Value::Ptr(p), Value::Ptr(q)) if same_kind(a, b) => Value::Ptr(Ptr {
                off_min: if q.off_min < p.off_min {
                    i64::MIN
                } else {
                    p.off_min
                },
                off_max: if q.off_max > p.off_max {
                    i64::MAX
                } else {
                    p.off_max
                },
                ..same_var(p, q)
            }),
            _ => join_value(a, b),
        });
        if keep_facts {
            out.merge_facts(self, new, true);
        } else {
            out.len_facts.clear();
            out.offsets.clear();
        }
        out
    }

    /// The state holding both, value by value by `value`.
    fn merge(&self, other: &State, value: impl Fn(&Value, &Value) -> Value) -> State {
        let mut out = self.clone();
        out.ctx_min = self.ctx_min.min(other.ctx_min);
        out.pkt_min = self.pkt_min.min(other.pkt_min);
        out.meta_min = self.meta_min.min(other.meta_min);
        out.next_id = self.next_id.max(other.next_id);
        for (f, o) in out.frames.iter_mut().zip(&other.frames) {
            for (r, v) in f.regs.iter_mut().enumerate() {
                *v = value(v, &o.regs[r]);
            }
            let n = f.stack.slots.len().max(o.stack.slots.len());
            for s in 0..n {
                let b = o.stack.slot(s);
                let a = f.stack.slot_mut(s);
                a.init &= b.init;
                if a.spill_placed_as(&b) {
                    a.spill = value(&a.spill, &b.spill);
                    if a.spill == Value::Uninit {
                        a.forget_spill();
                    }
                } else {
                    a.forget_spill();
                }
            }
        }
        out
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Uninit, Value::Uninit) | (Value::Scalar(_), Value::Scalar(_)) => true,
        (Value::Ptr(p), Value::Ptr(q)) => {
            p.kind == q.kind && p.nullable == q.nullable && p.id == q.id
        }
        _ => false,
    }
}

fn join_value(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Scalar(x), Value::Scalar(y)) => Value::Scalar(x.join(y)),
        (Value::Ptr(p), Value::Ptr(q))
            if p.kind == q.kind && p.nullable == q.nullable && p.id == q.id =>
        {
            Value::Ptr(Ptr {
                off_min: p.off_min.min(q.off_min),
                off_max: p.off_max.max(q.off_max),
                ..same_var(p, q)
            })
        }
        _ => Value::Uninit,
    }
}

/// `p`, keeping its index only if `q` has the same.
fn same_var(p: &Ptr, q: &Ptr) -> Ptr {
    if (p.var, p.var_off) == (q.var, q.var_off) {
        *p
    } else {
        Ptr {
            var: 0,
            var_off: 0,
            ..*p
        }
    }
}

/// A consistent renaming of one state's ids to another's.
#[derive(Default)]
struct IdMap<'a> {
    /// The old state's length facts: only ids with one need their new values recorded.
    facts: &'a [(u32, i64)],
    /// Old ids with the new ones (a handful per state: searched, not hashed).
    map: SmallVec<[(u32, u32); 8]>,
    /// Old scalar ids with the new scalar they were paired with (for the facts on them).
    scalars: SmallVec<[(u32, Scalar); 8]>,
    /// Old pointer index ids with the new ones.
    vars: SmallVec<[(u32, u32); 4]>,
    /// How many new values without an id were paired with old ones.
    unlinked: u32,
}

impl IdMap<'_> {
    /// Records that `old` id corresponds to `new` id; false if `old` already maps elsewhere.
    /// A new value without an id is linked to nothing: it stands for an old id once, as a value
    /// of its own (two of them are not the two copies an old id may link, whose continuation
    /// may have learnt about one copy through the other).
    fn pair(&mut self, old: u32, new: u32) -> bool {
        if old == 0 {
            return true;
        }
        let new = if new == 0 {
            self.unlinked += 1;
            u32::MAX - self.unlinked
        } else {
            new
        };
        if old == CTX_LEN_ID || new == CTX_LEN_ID {
            return old == new;
        }
        match self.map.iter().find(|(o, _)| *o == old) {
            Some(&(_, n)) => n == new,
            None => {
                self.map.push((old, new));
                true
            }
        }
    }

    /// Whether the old state has a length fact on `id`.
    fn has_fact(&self, id: u32) -> bool {
        id != 0 && self.facts.iter().any(|f| f.0 == id)
    }

    /// The new id paired with `old`.
    fn get(&self, old: u32) -> Option<u32> {
        self.map.iter().find(|(o, _)| *o == old).map(|&(_, n)| n)
    }
}

fn value_within(new: &Value, old: &Value, ids: &mut IdMap<'_>) -> bool {
    match (new, old) {
        (_, Value::Uninit) => true,
        (Value::Scalar(a), Value::Scalar(b)) => {
            if ids.has_fact(b.id) {
                ids.scalars.push((b.id, *a));
            }
            b.includes(a) && ids.pair(b.id, a.id)
        }
        (Value::Ptr(a), Value::Ptr(b)) => {
            ptr_within(a, b)
                && ids.pair(b.id, a.id)
                && (b.var == 0 || {
                    if ids.has_fact(b.var) {
                        ids.vars.push((b.var, a.var));
                    }
                    a.var_off == b.var_off && ids.pair(b.var, a.var)
                })
        }
        _ => false,
    }
}

fn ptr_within(new: &Ptr, old: &Ptr) -> bool {
    new.kind == old.kind
        && old.off_min <= new.off_min
        && new.off_max <= old.off_max
        && new.nullable == old.nullable
        // A variable offset may land anywhere in its range; the old continuation proved every
        // access for its whole range, so a narrower range is covered.
        && !matches!(new.kind, PtrKind::Map { .. } if new.off_min != 0)
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frame = self.cur();
        let mut first = true;
        for (r, v) in frame.regs.iter().enumerate() {
            if *v == Value::Uninit {
                continue;
            }
            if !first {
                write!(f, " ")?;
            }
            first = false;
            write!(f, "r{r}={v}")?;
        }
        for (i, s) in frame.stack.slots.iter().enumerate() {
            let off = -8 * (i as i64 + 1);
            match s.spill {
                Value::Uninit if s.init == 0xff => write!(f, " fp{off}=data")?,
                Value::Uninit if s.init != 0 => write!(f, " fp{off}=data({:08b})", s.init)?,
                Value::Uninit => {}
                v if s.len == 8 => write!(f, " fp{off}={v}")?,
                v => write!(f, " fp{}/{}={v}", off + i64::from(s.at), s.len)?,
            }
        }
        // What the facts give each register: `rN+K<=len`.
        for (r, v) in frame.regs.iter().enumerate() {
            let k = match v {
                Value::Scalar(s) => self.len_fact(s.id),
                Value::Ptr(p) => self.len_fact(p.var).and_then(|k| k.checked_sub(p.var_off)),
                Value::Uninit => None,
            };
            if let Some(k) = k {
                write!(f, " r{r}{k:+}<=len")?;
            }
        }
        if self.ctx_min > 0 {
            write!(f, " ctx_len>={}", self.ctx_min)?;
        }
        if self.pkt_min > 0 {
            write!(f, " pkt_len>={}", self.pkt_min)?;
        }
        if self.meta_min > 0 {
            write!(f, " meta_len>={}", self.meta_min)?;
        }
        Ok(())
    }
}
