//! Helper calls, checked against the helper's prototype.

use crate::error::VerifyError;
use crate::mem::Dir;
use crate::scalar::Scalar;
use crate::state::State;
use crate::types::{Ptr, PtrKind, Value};
use crate::verify::Checker;
use oxbpf_core::{Arg, Proto, Ret};

/// Helper 12, `bpf_tail_call`.
const TAIL_CALL: u32 = 12;
/// Largest size a helper memory argument may have.
const MAX_SIZE: u64 = 1 << 29;

impl Checker<'_> {
    /// A call of helper `id` (`None`: a `callx` whose target is not known).
    pub(crate) fn call_helper(
        &mut self,
        pc: usize,
        st: &mut State,
        id: Option<u32>,
    ) -> Result<(), VerifyError> {
        let helper = id.and_then(|i| self.env.helpers.get(i));
        let proto = helper.map_or(Proto::UNKNOWN, |h| h.proto());
        let name = helper.map_or_else(
            || "an unknown helper".to_owned(),
            |h| format!("`{}`", h.name),
        );
        let mut map: Option<u32> = None;
        // A memory argument waiting for its size: (register, pointer, writes).
        let mut pending: Option<(usize, Ptr, Dir)> = None;
        let mut released: Option<u32> = None;
        for (i, arg) in proto.args.iter().enumerate() {
            let r = i + 1;
            let v = st.reg(r);
            if *arg == Arg::Unused {
                continue;
            }
            let bad = |this: &Self, want: &str| {
                this.error(
                    pc,
                    format!("argument {r} of {name} must be {want}, but r{r} = {v}"),
                )
            };
            if v == Value::Uninit {
                return Err(self.error(
                    pc,
                    format!("argument {r} of {name}: r{r} is read before it is written"),
                ));
            }
            match arg {
                Arg::Unused | Arg::Any => {}
                Arg::Scalar => {
                    if v.is_ptr() {
                        return Err(bad(self, "a number"));
                    }
                }
                Arg::Map => match v {
                    Value::Ptr(Ptr {
                        kind: PtrKind::Map { map: m },
                        off_min: 0,
                        off_max: 0,
                        ..
                    }) => map = Some(m),
                    _ => return Err(bad(self, "a map")),
                },
                Arg::MapKey | Arg::MapValue | Arg::MapValueOut => {
                    let Some(m) = map else {
                        return Err(bad(self, "a pointer for a map argument before it"));
                    };
                    let info = &self.env.maps[m as usize];
                    let (len, dir) = match arg {
                        Arg::MapKey => (info.key_size, Dir::Read),
                        Arg::MapValue => (info.value_size, Dir::Read),
                        _ => (info.value_size, Dir::Write),
                    };
                    let Value::Ptr(p) = v else {
                        return Err(bad(self, &format!("a pointer to {len} bytes")));
                    };
                    let what = format!("r{r}");
                    self.helper_mem(pc, st, &p, &what, u64::from(len), u64::from(len), dir)?;
                }
                Arg::Mem | Arg::MemOut => {
                    let Value::Ptr(p) = v else {
                        return Err(bad(self, "a pointer to memory"));
                    };
                    let dir = if *arg == Arg::Mem {
                        Dir::Read
                    } else {
                        Dir::Write
                    };
                    pending = Some((r, p, dir));
                }
                Arg::Size => {
                    let Value::Scalar(s) = v else {
                        return Err(bad(self, "a size"));
                    };
                    if s.umax > MAX_SIZE {
                        return Err(bad(
                            self,
                            &format!("a size of at most {MAX_SIZE} bytes (bound it first)"),
                        ));
                    }
                    if let Some((pr, p, dir)) = pending.take() {
                        let what = format!("r{pr}");
                        self.helper_mem(pc, st, &p, &what, s.umin, s.umax, dir)?;
                    }
                }
                Arg::Ctx => {
                    if !matches!(
                        v,
                        Value::Ptr(Ptr {
                            kind: PtrKind::Ctx,
                            off_min: 0,
                            off_max: 0,
                            ..
                        })
                    ) {
                        return Err(bad(self, "the context pointer"));
                    }
                }
                Arg::Record => match v {
                    Value::Ptr(
                        p @ Ptr {
                            kind: PtrKind::Record { .. },
                            off_min: 0,
                            off_max: 0,
                            nullable: false,
                            ..
                        },
                    ) if st.refs.iter().any(|x| x.0 == p.id) => released = Some(p.id),
                    _ => {
                        return Err(bad(
                            self,
                            "a ring-buffer record from ringbuf_reserve, checked for null",
                        ));
                    }
                },
            }
        }
        if id == Some(TAIL_CALL)
            && let Some(&(_, at)) = st.refs.first()
        {
            return Err(self.error(
                pc,
                format!("tail call while the ring-buffer record reserved at insn {at} is held"),
            ));
        }
        if let Some(rid) = released {
            st.refs.retain(|x| x.0 != rid);
            st.for_each_linked(rid, |v| *v = Value::Uninit);
        }
        let r0 = match proto.ret {
            Ret::Scalar => Value::Scalar(Scalar::UNKNOWN),
            Ret::MapValueOrNull => {
                let m = map.ok_or_else(|| {
                    self.error(pc, format!("{name} returns a map value but takes no map"))
                })?;
                let id = st.fresh_id();
                Value::Ptr(Ptr {
                    nullable: true,
                    id,
                    ..Ptr::at(PtrKind::MapValue { map: m }, 0)
                })
            }
            Ret::RecordOrNull => {
                let r2 = st.reg(2);
                let size = match r2 {
                    Value::Scalar(s) => s.as_const().filter(|&n| n > 0 && n <= MAX_SIZE),
                    _ => None,
                };
                let Some(size) = size else {
                    return Err(self.error(
                        pc,
                        format!(
                            "argument 2 of {name} must be a known, non-zero size, but r2 = {}",
                            r2
                        ),
                    ));
                };
                let id = st.fresh_id();
                st.refs.push((id, pc));
                Value::Ptr(Ptr {
                    nullable: true,
                    id,
                    ..Ptr::at(PtrKind::Record { size: size as u32 }, 0)
                })
            }
        };
        let regs = &mut st.cur_mut().regs;
        regs[0] = r0;
        for r in &mut regs[1..6] {
            *r = Value::Uninit;
        }
        Ok(())
    }
}
