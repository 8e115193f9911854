//! The `mbpf.*` helpers, COUNTER and RING map methods, strings for log messages and `[lo, hi]`
//! arrays.
//!
//! - `mbpf.log(level, msg)` becomes `trace_printk` (helper 6) with the line QuickJS logs
//!   (`[INFO] msg`) as its format and the message's integers as its arguments; the level is
//!   clamped as on QuickJS (chosen at run time when it is not a constant).
//! - `mbpf.nowNs(out)` stores the clock read once as the run starts (`ktime_get_ns`, helper 5,
//!   the clock QuickJS samples too), so it is constant within a run.
//! - `mbpf.u64LoadLE/u64StoreLE` move eight bytes between a module buffer and a `[lo, hi]`
//!   array; an array literal of two numbers lives in two frame slots.
//! - `mbpf.emit(id, bytes)` reserves `[id][len][bytes]` in the emit ring (`ringbuf_reserve`,
//!   131), fills it and submits it (132); RING `submit(b)` is `ringbuf_output` (130). Both rings
//!   drop their oldest records when full, for QuickJS and the lowered code alike.
//! - `mbpf.mapLookup/mapUpdate/mapDelete(id, ...)` with a constant `id` are the keyed methods of
//!   that manifest map, without the written flags of arrays (as on QuickJS).
//! - COUNTER `add/set/get` reach the counter's 64-bit slot through `map_lookup_elem`; `add` is
//!   an atomic add, as the host's is.
//!
//! Every helper and map method counts against the helper budget first, as on QuickJS; an
//! `mbpf` helper the program lacks the capability for is absent (calling it is a TypeError,
//! the hook's default).

use super::emit::{Loc, R0, R1, R2, R3, R4};
use super::step::{Next, R, Step};
use super::text::{self, ARG_SLOTS, Part};
use super::value::{Helper, MapOp, Range, TextFn, Val};
use oxbpf_core::isa::{AluOp, Cond, Size};
use oxbpf_helpers::standard;
use oxbpf_loader::mbpf::manifest::{
    API_VERSION, CAP_EMIT, CAP_LOG, CAP_MAP_READ, CAP_MAP_WRITE, CAP_STATS, CAP_TIME, MapKind,
};
use oxbpf_loader::mbpf::runtime::{EMIT_MAX_RECORD, LOG_LEVELS};

/// The range of a COUNTER's value.
const I64: Range = Range::new(i64::MIN as i128, i64::MAX as i128);

impl Step<'_, '_> {
    /// `mbpf.<name>`.
    pub(super) fn mbpf_field(&self, name: &str) -> R<Val> {
        let has = |cap: u32| self.env.caps & cap != 0;
        Ok(match name {
            "apiVersion" => Val::num(Range::constant(i128::from(API_VERSION))),
            "log" if has(CAP_LOG) => Val::MbpfFn(Helper::Log),
            "nowNs" if has(CAP_TIME) => Val::MbpfFn(Helper::NowNs),
            "emit" if has(CAP_EMIT) => Val::MbpfFn(Helper::Emit),
            "u64LoadLE" => Val::MbpfFn(Helper::U64LoadLE),
            "u64StoreLE" => Val::MbpfFn(Helper::U64StoreLE),
            "mapLookup" if has(CAP_MAP_READ) => Val::MbpfFn(Helper::ById(MapOp::Lookup)),
            "mapUpdate" if has(CAP_MAP_WRITE) => Val::MbpfFn(Helper::ById(MapOp::Update)),
            "mapDelete" if has(CAP_MAP_WRITE) => Val::MbpfFn(Helper::ById(MapOp::Delete)),
            // The runtime's statistics: no helper gives them to eBPF.
            "stats" if has(CAP_STATS) => {
                return Err(self.err(format!("`mbpf.{name}` is not lowered")));
            }
            // Absent (no capability, or no such helper).
            _ => Val::Undef,
        })
    }

    /// A call of `mbpf` helper `h`; the call's values start at stack position `base`.
    pub(super) fn helper_call(&mut self, base: usize, h: Helper, args: &[Val]) -> R<Next> {
        let arg = |i: usize| args.get(i).copied().unwrap_or(Val::Undef);
        if let Helper::ById(op) = h {
            return self.map_by_id(base, op, args);
        }
        let max = self.env.max_helpers;
        self.emit(|a| a.count_helper(max));
        match h {
            Helper::ById(_) => return Err(self.internal("a map helper")),
            Helper::Log => return self.log(base, arg(0), arg(1)),
            Helper::Emit => return self.emit_record(base, arg(0), arg(1)),
            Helper::NowNs => {
                let Some(p) = self.pair_out(arg(0))? else {
                    return Ok(self.fail());
                };
                self.emit(|a| {
                    a.load(R0, Loc::Clock);
                    a.mov32(R1, R0);
                    a.store(Loc::Pair(p, 0), R1);
                    a.alu_k(AluOp::Rsh, R0, 32);
                    a.store(Loc::Pair(p, 1), R0);
                });
                self.st.pairs[usize::from(p)] = [Val::num(Range::UINT32); 2];
            }
            Helper::U64LoadLE | Helper::U64StoreLE => {
                let Val::Buf(k) = arg(0) else {
                    // Not a Uint8Array: a TypeError.
                    return Ok(self.fail());
                };
                let (boff, len) = self.buf(k)?;
                let Some(p) = self.pair_out(arg(2))? else {
                    return Ok(self.fail());
                };
                if h == Helper::U64StoreLE {
                    for e in self.st.pairs[usize::from(p)] {
                        if !e.range().is_some_and(|r| r.within(Range::UINT32)) {
                            return Err(self.err(format!(
                                "a [lo, hi] element that is {}, not a 32-bit unsigned integer",
                                e.describe()
                            )));
                        }
                    }
                }
                if !self.offset(base + 3, arg(1), 8, len)? {
                    return Ok(self.fail());
                }
                let g = self.env.globals;
                self.emit(|a| {
                    a.map_value(R1, g, boff);
                    a.alu(AluOp::Add, R1, R0);
                });
                if h == Helper::U64LoadLE {
                    self.emit(|a| {
                        a.ldx(Size::DW, R0, R1, 0);
                        a.mov32(R2, R0);
                        a.store(Loc::Pair(p, 0), R2);
                        a.alu_k(AluOp::Rsh, R0, 32);
                        a.store(Loc::Pair(p, 1), R0);
                    });
                    self.st.pairs[usize::from(p)] = [Val::num(Range::UINT32); 2];
                } else {
                    self.emit(|a| {
                        a.load(R2, Loc::Pair(p, 1));
                        a.alu_k(AluOp::Lsh, R2, 32);
                        a.load(R3, Loc::Pair(p, 0));
                        a.alu(AluOp::Or, R2, R3);
                        a.stx(Size::DW, R1, 0, R2);
                    });
                }
            }
        }
        Ok(self.finish_call(base, Val::Undef, R0))
    }

    /// The array an `out` argument names; `None` when it is not an object (a TypeError).
    fn pair_out(&self, v: Val) -> R<Option<u16>> {
        match v {
            Val::Pair(p) => Ok(Some(p)),
            Val::Num { .. } | Val::Bool { .. } | Val::Undef | Val::Null | Val::Str(_) => Ok(None),
            _ => Err(self.err(format!("a [lo, hi] out argument that is {}", v.describe()))),
        }
    }

    /// An offset argument (at stack position `at`) into `r0`, checked to leave `width` bytes in
    /// a `len`-byte buffer at run time; `false` when it never does (a Type- or RangeError).
    fn offset(&mut self, at: usize, off: Val, width: u32, len: u32) -> R<bool> {
        let Val::Num { r, .. } = off else {
            return Ok(false);
        };
        self.require_exact(r)?;
        let last = i128::from(len) - i128::from(width);
        if last < 0 || r.hi < 0 || r.lo > last {
            return Ok(false);
        }
        self.load(R0, at, off);
        self.emit(|a| {
            if r.lo < 0 {
                a.fail_if_k(Cond::Slt, R0, 0);
            }
            if r.hi > last {
                a.fail_if_k(Cond::Sgt, R0, last as i64);
            }
        });
        Ok(true)
    }

    /// `mbpf.log(level, msg)`.
    fn log(&mut self, base: usize, level: Val, msg: Val) -> R<Next> {
        let Val::Str(s) = msg else {
            // "msg must be a string": a TypeError.
            return Ok(self.fail());
        };
        let parts = self.env.strings.get(s);
        // A level that is not a number is INFO; numbers are clamped to 0..=3.
        let (lo, hi) = match level {
            Val::Num { r, .. } => (r.lo.clamp(0, 3) as usize, r.hi.clamp(0, 3) as usize),
            _ => (1, 1),
        };
        let mut formats = Vec::new();
        for (lv, prefix) in LOG_LEVELS.iter().enumerate().take(hi + 1).skip(lo) {
            let (fmt, args) =
                text::format(&format!("{prefix} "), &parts).map_err(|r| self.err(r))?;
            formats.push((lv, fmt, args));
        }
        if lo != hi {
            self.load(R0, base + 2, level);
        }
        self.emit(|a| {
            if lo != hi {
                let (at_least_0, at_most_3) = (a.label(), a.label());
                a.jump_k(Cond::Sge, R0, 0, at_least_0);
                a.alu_k(AluOp::Mov, R0, 0);
                a.bind(at_least_0);
                a.jump_k(Cond::Sle, R0, 3, at_most_3);
                a.alu_k(AluOp::Mov, R0, 3);
                a.bind(at_most_3);
            }
            let end = a.label();
            let last = formats.len() - 1;
            for (i, (lv, fmt, args)) in formats.iter().enumerate() {
                let next = a.label();
                if i < last {
                    a.jump_k(Cond::Ne, R0, *lv as i64, next);
                }
                a.trace_printk(fmt, args);
                if i < last {
                    a.ja(end);
                    a.bind(next);
                }
            }
            a.bind(end);
        });
        Ok(self.finish_call(base, Val::Undef, R0))
    }

    /// The string slots no live string uses.
    fn free_slots(&self) -> Vec<u8> {
        let used: Vec<u8> = self
            .st
            .stack
            .iter()
            .chain(&self.st.locals)
            .filter_map(|v| match v {
                Val::Str(s) => Some(*s),
                _ => None,
            })
            .flat_map(|s| self.env.strings.get(s))
            .filter_map(|p| p.slot())
            .collect();
        (0..ARG_SLOTS).filter(|k| !used.contains(k)).collect()
    }

    /// The parts of `v` (at stack position `at`) as a piece of a string, its integers copied to
    /// string slots taken from `free`.
    fn parts_of(&mut self, v: Val, at: usize, free: &mut Vec<u8>) -> R<Vec<Part>> {
        Ok(match v {
            Val::Str(s) => self.env.strings.get(s),
            Val::Num { r, .. } => {
                self.require_exact(r)?;
                vec![self.number_part(v, at, free, false)?]
            }
            Val::Bool { r, .. } => match r.as_const() {
                Some(c) => vec![Part::Lit((if c == 1 { "true" } else { "false" }).into())],
                None => return Err(self.err("a string made from a boolean")),
            },
            Val::Undef => vec![Part::Lit("undefined".into())],
            Val::Null => vec![Part::Lit("null".into())],
            _ => return Err(self.err(format!("a string made from {}", v.describe()))),
        })
    }

    /// A number (at stack position `at`) as a string part, in decimal or hexadecimal.
    fn number_part(&mut self, v: Val, at: usize, free: &mut Vec<u8>, hex: bool) -> R<Part> {
        if free.is_empty() {
            let why = format!("more than {ARG_SLOTS} numbers in the strings alive at once");
            return Err(self.err(why).of(crate::LowerErrorKind::Limit));
        }
        let k = free.remove(0);
        self.load(R0, at, v);
        self.emit(|a| a.store(Loc::Arg(k), R0));
        Ok(if hex { Part::Hex(k) } else { Part::Dec(k) })
    }

    /// Pushes the string of `parts`.
    fn push_string(&mut self, parts: Vec<Part>) -> R<()> {
        let id = self.env.strings.intern(parts).map_err(|r| self.err(r))?;
        self.push(Val::Str(id))
    }

    /// A string literal.
    pub(super) fn string_literal(&mut self, s: &str) -> R<Next> {
        self.push_string(vec![Part::Lit(s.to_owned())])?;
        Ok(self.fall())
    }

    /// `a + b` where one of them is a string.
    pub(super) fn concat(&mut self) -> R<Next> {
        let mut free = self.free_slots();
        let b = self.pop()?;
        let a = self.pop()?;
        let d = self.depth();
        let mut parts = self.parts_of(a, d, &mut free)?;
        parts.extend(self.parts_of(b, d + 1, &mut free)?);
        self.push_string(parts)?;
        Ok(self.fall())
    }

    /// `n.toString(radix)` or `s.concat(...)`.
    pub(super) fn text_call(&mut self, base: usize, f: TextFn, args: &[Val]) -> R<Next> {
        let mut free = self.free_slots();
        let this = self.st.stack[base];
        let parts = match f {
            TextFn::ToString => {
                let Val::Num { r, .. } = this else {
                    return Err(self.err(format!("`toString` of {}", this.describe())));
                };
                self.require_exact(r)?;
                let radix = match args.first() {
                    None | Some(Val::Undef) => Some(10),
                    Some(v) => v.range().and_then(Range::as_const),
                };
                let hex = match radix {
                    Some(10) => false,
                    Some(16) if r.lo >= 0 => true,
                    _ => {
                        return Err(self.err(
                            "a number written other than in decimal, or in hexadecimal when \
                             it is never negative",
                        ));
                    }
                };
                vec![self.number_part(this, base, &mut free, hex)?]
            }
            TextFn::Concat => {
                let mut parts = self.parts_of(this, base, &mut free)?;
                for (i, v) in args.iter().enumerate() {
                    parts.extend(self.parts_of(*v, base + 2 + i, &mut free)?);
                }
                parts
            }
        };
        self.st.stack.truncate(base);
        self.push_string(parts)?;
        Ok(self.fall())
    }

    /// `[a, b]`: a `[lo, hi]` array literal of two numbers.
    pub(super) fn array_literal(&mut self, argc: i64) -> R<Next> {
        let site = self
            .fi
            .pair_sites
            .iter()
            .position(|&pc| pc == self.ins.pc)
            .map(|i| (self.inst.pair_base + i) as u16)
            .ok_or_else(|| self.internal("an unknown array literal"))?;
        if argc != 2 {
            return Err(self.err("an array literal of other than two numbers"));
        }
        let live = self
            .st
            .stack
            .iter()
            .chain(&self.st.locals)
            .any(|v| *v == Val::Pair(site));
        if live {
            return Err(
                self.err("an array literal evaluated again while its earlier array is in use")
            );
        }
        let b = self.pop()?;
        let a = self.pop()?;
        let d = self.depth();
        for (e, v) in [a, b].into_iter().enumerate() {
            let Val::Num { r, .. } = v else {
                return Err(self.err(format!("an array element that is {}", v.describe())));
            };
            self.require_exact(r)?;
            self.load(R0, d + e, v);
            self.emit(|a| a.store(Loc::Pair(site, e as u8), R0));
        }
        self.st.pairs[usize::from(site)] = [a, b].map(|v| Val::num(v.range().unwrap_or(I64)));
        self.push(Val::Pair(site))?;
        Ok(self.fall())
    }

    /// The element of array `p` a constant index names (`None` for another index).
    fn element(&self, idx: Val) -> R<Option<u8>> {
        match idx.range().and_then(Range::as_const) {
            Some(e @ (0 | 1)) if matches!(idx, Val::Num { .. }) => Ok(Some(e as u8)),
            Some(_) => Ok(None),
            None => Err(self.err("an array index that is not a constant")),
        }
    }

    /// `t[i]` of a `[lo, hi]` array.
    pub(super) fn pair_get(&mut self, p: u16, idx: Val) -> R<Next> {
        match self.element(idx)? {
            Some(e) => {
                let v = self.st.pairs[usize::from(p)][usize::from(e)];
                self.emit(|a| a.load(R0, Loc::Pair(p, e)));
                self.push_reg(v, R0);
            }
            None => self.push(Val::Undef)?,
        }
        Ok(self.fall())
    }

    /// `t[i] = v` of a `[lo, hi]` array; `v` is at stack position `at`.
    pub(super) fn pair_put(&mut self, p: u16, idx: Val, v: Val, at: usize) -> R<Next> {
        let Some(e) = self.element(idx)? else {
            return Err(self.err("an array index other than 0 or 1"));
        };
        let Val::Num { r, .. } = v else {
            return Err(self.err(format!("an array element that is {}", v.describe())));
        };
        self.require_exact(r)?;
        self.load(R0, at, v);
        self.emit(|a| a.store(Loc::Pair(p, e), R0));
        self.st.pairs[usize::from(p)][usize::from(e)] = Val::num(r);
        Ok(self.fall())
    }

    /// A COUNTER method: `add(i, d)`, `set(i, v)` (true, or false for an index outside the
    /// counter) and `get(i)` (the value, 0 outside).
    pub(super) fn counter_call(
        &mut self,
        base: usize,
        m: u32,
        op: MapOp,
        key: Val,
        second: Val,
    ) -> R<Next> {
        let max = self.env.max_helpers;
        self.emit(|a| a.count_helper(max));
        let cap = if op == MapOp::Get {
            CAP_MAP_READ
        } else {
            CAP_MAP_WRITE
        };
        if self.env.caps & cap == 0 || !self.index_key(base + 2, key)? {
            return Ok(self.fail());
        }
        if op != MapOp::Get && !matches!(second, Val::Num { .. }) {
            // The amount is not a number: a TypeError.
            return Ok(self.fail());
        }
        if let Some(r) = second.range().filter(|_| op != MapOp::Get) {
            self.require_exact(r)?;
        }
        let labels = self.fresh_labels();
        self.emit_with(labels, |a, l_none, _| {
            a.map_fd(R1, m);
            a.key_address(R2);
            a.call(standard::MAP_LOOKUP_ELEM);
            a.jump_k(Cond::Eq, R0, 0, l_none);
        });
        if op == MapOp::Get {
            self.emit(|a| a.ldx(Size::DW, R0, R0, 0));
        } else {
            // After the call, which takes r1-r5.
            self.load(R3, base + 3, second);
            self.emit(|a| {
                if op == MapOp::Add {
                    a.lock_add(R0, 0, R3);
                } else {
                    a.stx(Size::DW, R0, 0, R3);
                }
                a.alu_k(AluOp::Mov, R0, 1);
            });
        }
        self.emit_with(labels, |a, l_none, l_end| a.else_zero(l_none, l_end));
        let result = if op == MapOp::Get {
            Val::num(I64)
        } else {
            Val::boolean(Range::BOOL)
        };
        Ok(self.finish_call(base, result, R0))
    }

    /// `mbpf.emit(id, bytes)`: the record `[id][len][bytes]` reserved in the emit ring
    /// (`ringbuf_reserve`, 131), filled and submitted (132); false for more than
    /// [`EMIT_MAX_RECORD`] bytes or when the ring has no room.
    fn emit_record(&mut self, base: usize, id: Val, bytes: Val) -> R<Next> {
        let (Val::Num { r, .. }, Val::Buf(k)) = (id, bytes) else {
            // A non-number id or bytes that are not a Uint8Array: a TypeError.
            return Ok(self.fail());
        };
        let (off, len) = self.buf(k)?;
        if len as usize > EMIT_MAX_RECORD {
            return Ok(self.finish_call(base, Val::boolean(Range::constant(0)), R0));
        }
        // `id as u32` of the number: negatives are 0, beyond 2^32 - 1 is 2^32 - 1.
        self.load(R0, base + 2, id);
        let (ring, g) = (self.env.emit_ring, self.env.globals);
        let labels = self.fresh_labels();
        self.emit_with(labels, |a, l_false, l_end| {
            if r.lo < 0 {
                let positive = a.label();
                a.jump_k(Cond::Sge, R0, 0, positive);
                a.alu_k(AluOp::Mov, R0, 0);
                a.bind(positive);
            }
            if r.hi > i128::from(u32::MAX) {
                let within = a.label();
                a.lddw(R1, u64::from(u32::MAX));
                a.jump_x(Cond::Le, R0, R1, within);
                a.mov(R0, R1);
                a.bind(within);
            }
            a.store_key(R0);
            a.map_fd(R1, ring);
            a.alu_k(AluOp::Mov, R2, 8 + i64::from(len));
            a.alu_k(AluOp::Mov, R3, 0);
            a.call(standard::RINGBUF_RESERVE);
            a.jump_k(Cond::Eq, R0, 0, l_false);
            a.mov(R1, R0);
            a.load_key(R2);
            a.stx(Size::W, R1, 0, R2);
            a.st_k(Size::W, R1, 4, i64::from(len));
            a.map_value(R0, g, off);
            a.copy_to(len, 8);
            a.alu_k(AluOp::Mov, R2, 0);
            a.call(standard::RINGBUF_SUBMIT);
            a.alu_k(AluOp::Mov, R0, 1);
            a.else_zero(l_false, l_end);
        });
        Ok(self.finish_call(base, Val::boolean(Range::BOOL), R0))
    }

    /// RING `submit(b)`: `ringbuf_output` (130) of the buffer; false when it is longer than the
    /// map's value size or empty (the ring drops its oldest records to make room).
    pub(super) fn ring_submit(&mut self, base: usize, m: u32, b: Val) -> R<Next> {
        let max = self.env.max_helpers;
        self.emit(|a| a.count_helper(max));
        let Val::Buf(k) = b else {
            // Not a Uint8Array: a TypeError.
            return Ok(self.fail());
        };
        if self.env.caps & CAP_MAP_WRITE == 0 {
            return Ok(self.fail());
        }
        let (off, len) = self.buf(k)?;
        if len > self.env.maps[m as usize].value_size || len == 0 {
            return Ok(self.finish_call(base, Val::boolean(Range::constant(0)), R0));
        }
        let g = self.env.globals;
        self.emit(|a| {
            a.map_fd(R1, m);
            a.map_value(R2, g, off);
            a.alu_k(AluOp::Mov, R3, i64::from(len));
            a.alu_k(AluOp::Mov, R4, 0);
            a.call(standard::RINGBUF_OUTPUT);
            // 0 on success: true.
            let (sent, end) = (a.label(), a.label());
            a.jump_k(Cond::Eq, R0, 0, sent);
            a.alu_k(AluOp::Mov, R0, 0);
            a.ja(end);
            a.bind(sent);
            a.alu_k(AluOp::Mov, R0, 1);
            a.bind(end);
        });
        Ok(self.finish_call(base, Val::boolean(Range::BOOL), R0))
    }

    /// `mbpf.mapLookup(id, k, out)`, `mapUpdate(id, k, v, flags)`, `mapDelete(id, k)`: the
    /// manifest map with index `id` (a constant), as its `maps.<name>` method but without the
    /// written flags of arrays.
    fn map_by_id(&mut self, base: usize, op: MapOp, args: &[Val]) -> R<Next> {
        let arg = |i: usize| args.get(i).copied().unwrap_or(Val::Undef);
        let id = arg(0);
        let m = match id {
            Val::Num { r, .. } => match r.as_const() {
                Some(i) => usize::try_from(i).ok().filter(|&i| i < self.env.maps.len()),
                None => {
                    return Err(self.err(format!(
                        "a map id that is {}, not a constant",
                        id.describe()
                    )));
                }
            },
            _ => None,
        };
        let Some(m) = m else {
            // No map with that id: a RangeError (counted first, as every helper call).
            let max = self.env.max_helpers;
            self.emit(|a| a.count_helper(max));
            return Ok(self.fail());
        };
        match self.env.maps[m].kind {
            MapKind::Ring | MapKind::Counter => {
                let max = self.env.max_helpers;
                self.emit(|a| a.count_helper(max));
                Ok(self.fail())
            }
            MapKind::PercpuArray | MapKind::PercpuHash => Err(self.err(
                "`mbpf.mapLookup/mapUpdate/mapDelete` of a PERCPU map (every CPU's values) \
                 is not lowered",
            )),
            _ => {
                let flags = if op == MapOp::Update {
                    arg(3)
                } else {
                    Val::Undef
                };
                let by_id = Some((base + 5, flags));
                self.keyed_call(base, base + 3, m as u32, op, [arg(1), arg(2)], by_id)
            }
        }
    }
}
