//! The keyed methods of maps: `lookup`, `update` and `delete` of `maps.<name>` (and of
//! `mbpf.mapLookup/mapUpdate/mapDelete`) as map helpers 1, 2 and 3, with the written flags of
//! arrays, and the array indices they and the COUNTER methods take.

use super::emit::{Code, R0, R1, R2, R3, R4};
use super::step::{Next, R, Step};
use super::value::{MapOp, Range, Val};
use oxbpf_core::isa::{AluOp, Cond, Reg, Size};
use oxbpf_helpers::standard;
use oxbpf_loader::mbpf::manifest::{CAP_MAP_READ, CAP_MAP_WRITE, MapKind};

impl Step<'_, '_> {
    pub(super) fn map_call(
        &mut self,
        base: usize,
        m: u32,
        op: MapOp,
        key: Val,
        second: Val,
    ) -> R<Next> {
        self.keyed_call(base, base + 2, m, op, [key, second], None)
    }

    /// A lookup, update or delete of map `m`, its key at stack position `key_at` and its
    /// value or out buffer after it; `by_id`: through `mbpf.mapLookup/mapUpdate/mapDelete`
    /// (no written flags, indices beyond 2^32 - 1 cut to it, and the update's flags at this
    /// stack position).
    pub(super) fn keyed_call(
        &mut self,
        base: usize,
        key_at: usize,
        m: u32,
        op: MapOp,
        [key, second]: [Val; 2],
        by_id: Option<(usize, Val)>,
    ) -> R<Next> {
        let decl = &self.env.maps[m as usize];
        let array = matches!(decl.kind, MapKind::Array | MapKind::PercpuArray);
        let (vsize, ksize) = (decl.value_size, decl.key_size);
        // Every call counts first, then needs its capability.
        let max = self.env.max_helpers;
        self.emit(|a| a.count_helper(max));
        let cap = if op == MapOp::Lookup {
            CAP_MAP_READ
        } else {
            CAP_MAP_WRITE
        };
        if self.env.caps & cap == 0 {
            return Ok(self.fail());
        }
        let g = self.env.globals;
        // The key: an index (arrays) in the key scratch slot, or a buffer's address.
        let key_ptr = if array {
            if !self.array_key(key_at, key, by_id.is_some())? {
                return Ok(self.fail());
            }
            None
        } else {
            match key {
                Val::Buf(k) => {
                    let (off, len) = self.buf(k)?;
                    if len < ksize {
                        return Ok(self.fail());
                    }
                    Some(off)
                }
                _ => return Err(self.err(format!("a map key that is {}", key.describe()))),
            }
        };
        let key_to = |a: &mut Code, reg: Reg| match key_ptr {
            None => a.key_address(reg),
            Some(off) => a.map_value(reg, g, off),
        };
        let buf = |s: &Self, v: Val| -> R<Option<(u32, u32)>> {
            match v {
                Val::Buf(k) => s.buf(k).map(Some),
                _ => Ok(None),
            }
        };
        let written = self.env.written[m as usize].filter(|_| by_id.is_none());
        let labels = self.fresh_labels();
        match op {
            MapOp::Lookup => {
                let Some((out, out_len)) = buf(self, second)? else {
                    return Err(self.err(format!("a lookup into {}", second.describe())));
                };
                self.emit_with(labels, |a, l_false, _| {
                    if let Some(w) = written {
                        a.map_fd(R1, w);
                        key_to(a, R2);
                        a.call(standard::MAP_LOOKUP_ELEM);
                        a.jump_k(Cond::Eq, R0, 0, l_false);
                        a.ldx(Size::B, R1, R0, 0);
                        a.jump_k(Cond::Ne, R1, 1, l_false);
                    }
                    a.map_fd(R1, m);
                    key_to(a, R2);
                    a.call(standard::MAP_LOOKUP_ELEM);
                    a.jump_k(Cond::Eq, R0, 0, l_false);
                    if out_len < vsize {
                        // Found, but `out` is too short: a TypeError.
                        a.fail();
                    } else {
                        a.map_value(R1, g, out);
                        a.copy(vsize);
                    }
                });
            }
            MapOp::Update => {
                let Some((v, v_len)) = buf(self, second)? else {
                    return Err(self.err(format!("a map value that is {}", second.describe())));
                };
                if v_len < vsize {
                    return Ok(self.fail());
                }
                // The flags: 0 (any), 1 (create only), 2 (update only); a negative number is
                // 0, anything but a number too, and more than 2 a RangeError.
                let flags = match by_id {
                    Some((at, f @ Val::Num { r, .. })) => {
                        if r.lo > 2 {
                            return Ok(self.fail());
                        }
                        self.load(R4, at, f);
                        self.emit(|a| {
                            if r.lo < 0 {
                                let positive = a.label();
                                a.jump_k(Cond::Sge, R4, 0, positive);
                                a.alu_k(AluOp::Mov, R4, 0);
                                a.bind(positive);
                            }
                            if r.hi > 2 {
                                a.fail_if_k(Cond::Sgt, R4, 2);
                            }
                        });
                        true
                    }
                    _ => false,
                };
                self.emit_with(labels, |a, l_false, _| {
                    a.map_fd(R1, m);
                    key_to(a, R2);
                    a.map_value(R3, g, v);
                    if !flags {
                        a.alu_k(AluOp::Mov, R4, 0);
                    }
                    a.call(standard::MAP_UPDATE_ELEM);
                    a.jump_k(Cond::Ne, R0, 0, l_false);
                    if let Some(w) = written {
                        a.map_fd(R1, w);
                        key_to(a, R2);
                        a.call(standard::MAP_LOOKUP_ELEM);
                        let absent = a.label();
                        a.jump_k(Cond::Eq, R0, 0, absent);
                        a.st_k(Size::B, R0, 0, 1);
                        a.bind(absent);
                    }
                });
            }
            MapOp::Add | MapOp::Set | MapOp::Get | MapOp::Submit | MapOp::CpuId => {
                return Err(self.internal("not a keyed map method"));
            }
            MapOp::Delete => {
                if array {
                    return Err(self.internal("`delete` of an ARRAY map (it has none)"));
                }
                self.emit_with(labels, |a, l_false, _| {
                    a.map_fd(R1, m);
                    key_to(a, R2);
                    a.call(standard::MAP_DELETE_ELEM);
                    a.jump_k(Cond::Ne, R0, 0, l_false);
                });
            }
        }
        self.emit_with(labels, |a, l_false, l_end| {
            a.alu_k(AluOp::Mov, R0, 1);
            a.else_zero(l_false, l_end);
        });
        Ok(self.finish_call(base, Val::boolean(Range::BOOL), R0))
    }

    /// An array index (at stack position `at`) stored to the key slot, checked at run time to
    /// be a 32-bit unsigned integer; `false` when it never is (a Type- or RangeError).
    pub(super) fn index_key(&mut self, at: usize, key: Val) -> R<bool> {
        self.array_key(at, key, false)
    }

    /// An array index (at stack position `at`) stored to the key slot; `saturate`: one beyond
    /// 2^32 - 1 becomes 2^32 - 1 (`n as u32`) instead of failing.
    pub(super) fn array_key(&mut self, at: usize, key: Val, saturate: bool) -> R<bool> {
        let Some(r) = key.range().filter(|_| matches!(key, Val::Num { .. })) else {
            return Ok(false);
        };
        if r.hi < 0 || (r.lo > i128::from(u32::MAX) && !saturate) {
            return Ok(false);
        }
        if !saturate {
            self.require_exact(r)?;
        }
        self.load(R0, at, key);
        self.emit(|a| {
            if r.lo < 0 {
                a.fail_if_k(Cond::Slt, R0, 0);
            }
            if r.hi > i128::from(u32::MAX) {
                a.lddw(R1, u64::from(u32::MAX));
                if saturate {
                    let within = a.label();
                    a.jump_x(Cond::Le, R0, R1, within);
                    a.mov(R0, R1);
                    a.bind(within);
                } else {
                    a.fail_if_x(Cond::Gt, R0, R1);
                }
            }
            a.store_key(R0);
        });
        Ok(true)
    }
}
