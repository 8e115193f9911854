//! The abstract values of the lowering: what each operand-stack slot and local holds at an
//! instruction, and integer ranges with JavaScript's operators on them.

use oxbpf_core::isa::Cond;

/// Bounds beyond which a double no longer holds every integer: results must stay inside.
pub(crate) const EXACT: i128 = 1 << 53;

/// An unbounded end of a range (after widening).
pub(crate) const INF: i128 = 1 << 100;

/// A range of integers `lo..=hi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Range {
    pub(crate) lo: i128,
    pub(crate) hi: i128,
}

impl Range {
    pub(crate) const fn new(lo: i128, hi: i128) -> Range {
        Range { lo, hi }
    }

    pub(crate) const fn constant(v: i128) -> Range {
        Range { lo: v, hi: v }
    }

    pub(crate) const INT32: Range = Range::new(-(1 << 31), (1 << 31) - 1);
    pub(crate) const UINT32: Range = Range::new(0, (1 << 32) - 1);
    pub(crate) const BOOL: Range = Range::new(0, 1);

    pub(crate) fn as_const(self) -> Option<i64> {
        (self.lo == self.hi).then_some(self.lo as i64)
    }

    pub(crate) fn join(self, o: Range) -> Range {
        Range::new(self.lo.min(o.lo), self.hi.max(o.hi))
    }

    pub(crate) fn within(self, o: Range) -> bool {
        o.lo <= self.lo && self.hi <= o.hi
    }

    /// Whether every value is below 2^53 in magnitude, so a double holds it exactly and it
    /// never rounds to a neighbour of a larger value.
    pub(crate) fn exact(self) -> bool {
        self.within(Range::new(-EXACT + 1, EXACT - 1))
    }

    /// Widening: an end that moved goes to the next of the bounds JavaScript's integer
    /// operators produce (int32, uint32, ±2^53), then to infinity, so that a loop whose value
    /// is cut by `| 0` or `>>> 0` settles inside those bounds.
    pub(crate) fn widen(self, new: Range) -> Range {
        const HI: [i128; 4] = [(1 << 31) - 1, (1 << 32) - 1, EXACT - 1, INF];
        const LO: [i128; 4] = [0, -(1 << 31), -EXACT + 1, -INF];
        Range::new(
            if new.lo < self.lo {
                LO.into_iter().find(|&b| b <= new.lo).unwrap_or(-INF)
            } else {
                self.lo
            },
            if new.hi > self.hi {
                HI.into_iter().find(|&b| b >= new.hi).unwrap_or(INF)
            } else {
                self.hi
            },
        )
    }

    pub(crate) fn add(self, o: Range) -> Range {
        Range::new(self.lo + o.lo, self.hi + o.hi)
    }

    pub(crate) fn sub(self, o: Range) -> Range {
        Range::new(self.lo - o.hi, self.hi - o.lo)
    }

    pub(crate) fn mul(self, o: Range) -> Range {
        let c = [
            self.lo.saturating_mul(o.lo),
            self.lo.saturating_mul(o.hi),
            self.hi.saturating_mul(o.lo),
            self.hi.saturating_mul(o.hi),
        ];
        Range::new(
            c.iter().copied().min().unwrap_or(-INF).max(-INF),
            c.iter().copied().max().unwrap_or(INF).min(INF),
        )
    }

    /// ToInt32: the same range when it is inside, else every int32.
    pub(crate) fn int32(self) -> Range {
        if self.within(Range::INT32) {
            self
        } else {
            Range::INT32
        }
    }

    /// ToUint32.
    pub(crate) fn uint32(self) -> Range {
        if self.within(Range::UINT32) {
            self
        } else {
            Range::UINT32
        }
    }

    /// Narrows by `self op x` holding for some `x` in `o`.
    pub(crate) fn narrow(self, op: Cmp, o: Range) -> Range {
        let r = match op {
            Cmp::Lt => Range::new(self.lo, self.hi.min(o.hi - 1)),
            Cmp::Le => Range::new(self.lo, self.hi.min(o.hi)),
            Cmp::Gt => Range::new(self.lo.max(o.lo + 1), self.hi),
            Cmp::Ge => Range::new(self.lo.max(o.lo), self.hi),
            Cmp::Eq => Range::new(self.lo.max(o.lo), self.hi.min(o.hi)),
            Cmp::Ne => self,
        };
        // An empty range means the branch cannot be taken; keep a valid range anyway.
        if r.lo > r.hi { self } else { r }
    }
}

/// A loop head: the instance and the index of the instruction a backward jump lands on.
pub(crate) type Head = (u16, usize);

/// How a number relates to the value a local held when the path last passed a loop head: that
/// value plus a number in `d`. Made at the head, carried through additions and subtractions
/// and the locals they are stored in, forgotten at merges that disagree; it lets the analysis
/// count a loop's iterations (see `analyze`), so that an accumulator bounded by them need not
/// be widened past ±2^53.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Drift {
    pub(crate) head: Head,
    pub(crate) local: u16,
    pub(crate) d: Range,
}

impl Drift {
    /// `local` at `head` unchanged.
    pub(crate) const fn start(head: Head, local: u16) -> Drift {
        Drift {
            head,
            local,
            d: Range::constant(0),
        }
    }

    /// Plus a number in `r`.
    pub(crate) fn add(self, r: Range) -> Drift {
        Drift {
            d: self.d.add(r),
            ..self
        }
    }

    /// Minus a number in `r`.
    pub(crate) fn sub(self, r: Range) -> Drift {
        Drift {
            d: self.d.sub(r),
            ..self
        }
    }

    /// Whether it is `local`'s own value at `head` plus `d`.
    pub(crate) fn of(self, head: Head, local: u16) -> bool {
        self.head == head && self.local == local
    }
}

/// What a boolean says about a local: where it is true, `local op x` for an `x` in `k`, and
/// where it is false, the negation; or only one of the two (`a && b` is true only where `b`
/// is, but false where `a` is, too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Test {
    pub(crate) local: u16,
    pub(crate) op: Cmp,
    pub(crate) k: Range,
    /// By the boolean's truth: whether `local op x` holds where it is true (`when[1]`), and
    /// whether the negation holds where it is false (`when[0]`).
    pub(crate) when: [bool; 2],
}

impl Test {
    /// `local op x` for an `x` in `k`, both ways.
    pub(crate) fn new(local: u16, op: Cmp, k: Range) -> Test {
        Test {
            local,
            op,
            k,
            when: [true, true],
        }
    }

    /// The test of a boolean in `a` with test `s` joined with one in `b` with test `t`: for
    /// each truth, what every path on which the boolean may have it tells (a path on which it
    /// cannot, as the skipped side of `a && b`, tells nothing there).
    fn join(a: Range, s: Option<Test>, b: Range, t: Option<Test>) -> Option<Test> {
        let may = |r: Range, v: usize| r.lo <= v as i128 && v as i128 <= r.hi;
        [s, t].into_iter().flatten().find_map(|c| {
            let mut out = Test {
                when: [true, true],
                ..c
            };
            for (r, x) in [(a, s), (b, t)] {
                for v in 0..2 {
                    if !may(r, v) {
                        continue;
                    }
                    match x {
                        Some(x) if (x.local, x.op) == (c.local, c.op) && x.when[v] => {
                            out.k = out.k.join(x.k);
                        }
                        _ => out.when[v] = false,
                    }
                }
            }
            out.when.contains(&true).then_some(out)
        })
    }
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Cmp {
    pub(crate) fn negate(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Ge,
            Cmp::Le => Cmp::Gt,
            Cmp::Gt => Cmp::Le,
            Cmp::Ge => Cmp::Lt,
            Cmp::Eq => Cmp::Ne,
            Cmp::Ne => Cmp::Eq,
        }
    }

    /// `b op a` for `a op b`.
    pub(crate) fn swap(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            c => c,
        }
    }

    /// The condition of the signed eBPF jump taken when `a op b`.
    pub(crate) fn cond(self) -> Cond {
        match self {
            Cmp::Lt => Cond::Slt,
            Cmp::Le => Cond::Sle,
            Cmp::Gt => Cond::Sgt,
            Cmp::Ge => Cond::Sge,
            Cmp::Eq => Cond::Eq,
            Cmp::Ne => Cond::Ne,
        }
    }

    /// Whether `a op b` holds for every pair of the ranges (`Some(true)`), for none
    /// (`Some(false)`), or depends.
    pub(crate) fn decide(self, a: Range, b: Range) -> Option<bool> {
        let (always, never) = match self {
            Cmp::Lt => (a.hi < b.lo, a.lo >= b.hi),
            Cmp::Le => (a.hi <= b.lo, a.lo > b.hi),
            Cmp::Gt => (a.lo > b.hi, a.hi <= b.lo),
            Cmp::Ge => (a.lo >= b.hi, a.hi < b.lo),
            Cmp::Eq => (a.as_const().is_some() && a == b, a.hi < b.lo || b.hi < a.lo),
            Cmp::Ne => (a.hi < b.lo || b.hi < a.lo, a.as_const().is_some() && a == b),
        };
        if always {
            Some(true)
        } else if never {
            Some(false)
        } else {
            None
        }
    }
}

/// A method of `ctx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read {
    U8,
    U16,
    U32,
}

impl Read {
    pub(crate) fn width(self) -> i64 {
        match self {
            Read::U8 => 1,
            Read::U16 => 2,
            Read::U32 => 4,
        }
    }
}

/// A method of a map object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MapOp {
    Lookup,
    Update,
    Delete,
    /// COUNTER `add(i, d)`.
    Add,
    /// COUNTER `set(i, v)`.
    Set,
    /// COUNTER `get(i)`.
    Get,
    /// RING `submit(b)`.
    Submit,
    /// PERCPU_* `cpuId()`.
    CpuId,
}

/// A lowered `mbpf.*` helper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Helper {
    Log,
    Emit,
    /// `mapLookup`, `mapUpdate`, `mapDelete`: a keyed map method, the map by manifest index.
    ById(MapOp),
    NowNs,
    U64LoadLE,
    U64StoreLE,
}

/// A method of a number or a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextFn {
    /// `n.toString(radix)`, the number below it on the stack.
    ToString,
    /// `s.concat(...)`, the string below it on the stack.
    Concat,
}

/// A function of `Math`, on integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MathFn {
    /// `Math.min(...)`.
    Min,
    /// `Math.max(...)`.
    Max,
    /// `Math.abs(x)`.
    Abs,
    /// `Math.sign(x)`.
    Sign,
    /// `Math.imul(a, b)`: the 32-bit product.
    Imul,
    /// `Math.floor`, `ceil`, `round`, `trunc`: an integer unchanged.
    Integer,
}

impl MathFn {
    /// The function of `Math` named `name`, if it is one of these.
    pub(crate) fn named(name: &str) -> Option<MathFn> {
        Some(match name {
            "min" => MathFn::Min,
            "max" => MathFn::Max,
            "abs" => MathFn::Abs,
            "sign" => MathFn::Sign,
            "imul" => MathFn::Imul,
            "floor" | "ceil" | "round" | "trunc" => MathFn::Integer,
            _ => return None,
        })
    }
}

/// What a stack slot or local holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Val {
    /// An integer-valued number in a range (a run-time value in the slot's location). `from`:
    /// the local it was read from and a constant added to it since, while that local is
    /// unchanged (for narrowing on branches);
    /// `drift`: how it relates to a local's value at the last loop head.
    Num {
        r: Range,
        from: Option<(u16, i128)>,
        drift: Option<Drift>,
    },
    /// A boolean (0 or 1 in the slot's location); `test`: it is `local op x` for an `x` in
    /// the range, for narrowing.
    Bool { r: Range, test: Option<Test> },
    /// `undefined`.
    Undef,
    /// `null`.
    Null,
    /// A `let` before its initialisation (reading or assigning it throws).
    Uninit,
    /// A local that paths reaching here left holding different kinds of value (a block's
    /// `const` in a loop, from the last iteration and not yet set in this one): it must be
    /// written before it is read.
    Mixed,
    /// The `ctx` argument.
    Ctx,
    /// A read method of `ctx`.
    CtxRead(Read),
    /// The global `maps`.
    Maps,
    /// `maps.<name>`: the manifest map with this index.
    Map(u32),
    /// One of its methods.
    MapFn(u32, MapOp),
    /// A module buffer: the module variable with this index.
    Buf(u16),
    /// The global `mbpf`.
    Mbpf,
    /// One of its helpers (present: the program has its capability).
    MbpfFn(Helper),
    /// A `[lo, hi]` array: the array literal with this index in the function, its elements in
    /// the state's pairs.
    Pair(u16),
    /// A string: its shape, interned in the strings of the [`Env`](super::module::Env).
    Str(u16),
    /// A method of the number or string below it.
    TextFn(TextFn),
    /// A top-level function of the module (its index in the lowering's functions).
    Func(u16),
    /// The global `Math`.
    Math,
    /// One of its functions.
    MathFn(MathFn),
}

impl Val {
    pub(crate) fn num(r: Range) -> Val {
        Val::Num {
            r,
            from: None,
            drift: None,
        }
    }

    /// A number in `r` with the drift `drift`.
    pub(crate) fn drifting(r: Range, drift: Option<Drift>) -> Val {
        Val::Num {
            r,
            from: None,
            drift,
        }
    }

    /// The local a number is plus a constant, if known.
    pub(crate) fn from(self) -> Option<(u16, i128)> {
        match self {
            Val::Num { from, .. } => from,
            _ => None,
        }
    }

    /// How a number relates to a local's value at the last loop head, if known.
    pub(crate) fn drift(self) -> Option<Drift> {
        match self {
            Val::Num { drift, .. } => drift,
            _ => None,
        }
    }

    pub(crate) fn boolean(r: Range) -> Val {
        Val::Bool { r, test: None }
    }

    /// The numeric range of a number or boolean (ToNumber).
    pub(crate) fn range(self) -> Option<Range> {
        match self {
            Val::Num { r, .. } | Val::Bool { r, .. } => Some(r),
            _ => None,
        }
    }

    /// Whether the value lives in its slot at run time.
    pub(crate) fn runtime(self) -> bool {
        matches!(self, Val::Num { .. } | Val::Bool { .. })
    }

    /// The join of two values at a merge, or `None` when they cannot share a slot.
    pub(crate) fn join(self, o: Val, widen: bool) -> Option<Val> {
        let r = |a: Range, b: Range| if widen { a.widen(a.join(b)) } else { a.join(b) };
        Some(match (self, o) {
            (
                Val::Num {
                    r: a,
                    from: f,
                    drift: x,
                },
                Val::Num {
                    r: b,
                    from: g,
                    drift: y,
                },
            ) => Val::Num {
                r: r(a, b),
                from: if f == g { f } else { None },
                drift: match (x, y) {
                    (Some(x), Some(y)) if x.of(y.head, y.local) => Some(Drift {
                        d: x.d.join(y.d),
                        ..x
                    }),
                    _ => None,
                },
            },
            (Val::Bool { r: a, test: s }, Val::Bool { r: b, test: t }) => Val::Bool {
                r: a.join(b),
                test: Test::join(a, s, b, t),
            },
            (a, b) if a == b => a,
            _ => return None,
        })
    }

    /// A short name for messages.
    pub(crate) fn describe(self) -> String {
        match self {
            Val::Num { r, .. } => match r.as_const() {
                Some(c) => format!("the number {c}"),
                None => format!("a number in [{}, {}]", show(r.lo), show(r.hi)),
            },
            Val::Bool { .. } => "a boolean".into(),
            Val::Undef => "undefined".into(),
            Val::Null => "null".into(),
            Val::Uninit => "an uninitialised `let`".into(),
            Val::Mixed => "different kinds of value on different paths".into(),
            Val::Ctx => "ctx".into(),
            Val::CtxRead(_) => "a ctx read method".into(),
            Val::Maps => "maps".into(),
            Val::Map(_) => "a map".into(),
            Val::MapFn(..) => "a map method".into(),
            Val::Buf(_) => "a module Uint8Array".into(),
            Val::Mbpf => "mbpf".into(),
            Val::MbpfFn(_) => "an mbpf helper".into(),
            Val::Pair(_) => "an array".into(),
            Val::Str(_) => "a string".into(),
            Val::TextFn(_) => "a string method".into(),
            Val::Func(_) => "a function".into(),
            Val::Math => "Math".into(),
            Val::MathFn(_) => "a Math function".into(),
        }
    }
}

fn show(v: i128) -> String {
    if v >= INF {
        "+inf".into()
    } else if v <= -INF {
        "-inf".into()
    } else {
        v.to_string()
    }
}
