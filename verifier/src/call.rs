//! Helper calls, checked against the helper's prototype; calls without one are refused, or
//! assumed to do the worst (see [`UnknownHelpers`]).

use crate::env::UnknownHelpers;
use crate::error::{VerifyError, VerifyErrorKind};
use crate::mem::Dir;
use crate::scalar::Scalar;
use crate::state::{Slot, State};
use crate::types::{Ptr, PtrKind, SockPart, Value};
use crate::verify::{Checker, MemArg};
use oxbpf_core::catalogue;
use oxbpf_core::isa::Reg;
use oxbpf_core::program_type::Access as ContextAccess;
use oxbpf_core::{Arg, ArgLen, MapArg, Proto, Ret};

/// Helper 12, `bpf_tail_call`.
const TAIL_CALL: u32 = 12;
/// Largest size a helper memory argument may have.
const MAX_SIZE: u64 = 1 << 29;

impl Checker<'_> {
    /// A call of helper `id` (`None`: a `callx` whose target is not a known constant).
    pub(crate) fn call_helper(
        &mut self,
        pc: usize,
        st: &mut State,
        id: Option<u32>,
    ) -> Result<(), VerifyError> {
        let helper = id.and_then(|i| self.env.helpers.get(i));
        // A helper registered under a Linux helper's id and name is that helper: only the
        // program types Linux lets call it may, Linux's prototype stands in for a missing one,
        // and if it may move the packet, packet pointers do not survive it.
        let linux = helper.and_then(|h| {
            catalogue::helper(h.id)
                .filter(|l| h.name == l.name || h.name.strip_prefix("bpf_") == Some(l.name))
        });
        if let (Some(l), Some(t)) = (linux, self.env.settings.context.program_type)
            && !l.callable_from(t)
        {
            return Err(self.error(
                pc,
                format!("`bpf_{}` may not be called by {t} programs", l.name),
            ));
        }
        let proto_of = |h: &oxbpf_core::Helper| h.proto.or_else(|| linux.and_then(|l| l.proto()));
        let Some((proto, helper)) = helper.and_then(|h| Some((proto_of(h)?, h))) else {
            let why = match (id, helper) {
                (None, _) => {
                    "a call through a register whose helper id is not a known constant".to_owned()
                }
                (Some(i), None) => format!("a call of helper {i}, which is not registered"),
                (Some(i), Some(h)) => format!(
                    "`{}` (helper {i}) has no prototype, so what it reads and writes is unknown",
                    h.name
                ),
            };
            if st.lock.is_some() {
                return Err(self.error(pc, format!("{why}, while holding a bpf_spin_lock")));
            }
            return self.unknown_call(pc, st, why, id.is_none());
        };
        let name = format!("`{}`", helper.name);
        if st.lock.is_some() && !proto.args.contains(&Arg::Unlock) {
            return Err(self.error(
                pc,
                format!("calling {name} while holding a bpf_spin_lock (release it first)"),
            ));
        }
        self.check_args(pc, st, &proto, &name, id)?;
        if linux.is_some_and(|l| l.changes_packet) {
            forget_packet(st, pc);
        }
        Ok(())
    }

    /// Checks the arguments of a call of `proto` and applies its effects.
    fn check_args(
        &mut self,
        pc: usize,
        st: &mut State,
        proto: &Proto,
        name: &str,
        id: Option<u32>,
    ) -> Result<(), VerifyError> {
        let leaks = self.env.settings.allow_pointer_leaks;
        let mut map: Option<u32> = None;
        // A memory argument waiting for its size: (register, pointer, writes).
        let mut pending: Option<(usize, Ptr, Arg)> = None;
        // A null memory argument waiting for its size, which must be 0: its register.
        let mut null_pending: Option<usize> = None;
        // The closest earlier size argument: its register and bounds.
        let mut size: Option<(usize, u64, u64)> = None;
        let mut released: Option<u32> = None;
        // Whether a socket is an argument, for a helper that returns (part of) it.
        let mut takes_socket = false;
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
                let why = crate::insn::uninit_message(st, r);
                return Err(self.error(pc, format!("argument {r} of {name}: {why}")));
            }
            match arg {
                Arg::Unused => {}
                Arg::Any => {
                    if v.is_ptr() && !leaks {
                        return Err(
                            self.leak(pc, format!("passing r{r} = {v} to {name} as a number"))
                        );
                    }
                }
                Arg::Scalar => {
                    if v.is_ptr() {
                        return Err(bad(self, "a number"));
                    }
                }
                Arg::Map(want) => match v {
                    Value::Ptr(Ptr {
                        kind: PtrKind::Map { map: m },
                        off_min: 0,
                        off_max: 0,
                        nullable: false,
                        ..
                    }) => {
                        self.check_map_arg(pc, name, r, m, want)?;
                        map = Some(m);
                    }
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
                    let arg = MemArg {
                        reg: reg(r),
                        len: ArgLen::Const(len),
                        write: dir == Dir::Write,
                    };
                    self.helper_mem(pc, st, &p, &arg, u64::from(len), u64::from(len))?;
                }
                Arg::MemOrNull if matches!(v, Value::Scalar(s) if s.as_const() == Some(0)) => {
                    null_pending = Some(r);
                }
                Arg::Mem | Arg::MemOut | Arg::MemInOut | Arg::MemOrNull => {
                    if let Some((pr, ..)) = pending {
                        return Err(self.error(
                            pc,
                            format!(
                                "the prototype of {name} gives r{pr} no size argument after it"
                            ),
                        ));
                    }
                    let Value::Ptr(p) = v else {
                        return Err(bad(self, "a pointer to memory"));
                    };
                    pending = Some((r, p, *arg));
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
                    size = Some((r, s.umin, s.umax));
                    if let Some(nr) = null_pending.take()
                        && s.umax != 0
                    {
                        return Err(bad(self, &format!("0, the size of null r{nr}")));
                    }
                    if let Some((pr, p, kind)) = pending.take() {
                        // Memory read and rewritten is checked both ways: read first.
                        let dirs: &[bool] = match kind {
                            Arg::Mem => &[false],
                            Arg::MemOut => &[true],
                            _ => &[false, true],
                        };
                        for &write in dirs {
                            let arg = MemArg {
                                reg: reg(pr),
                                len: ArgLen::Reg(reg(r)),
                                write,
                            };
                            self.helper_mem(pc, st, &p, &arg, s.umin, s.umax)?;
                        }
                    }
                }
                Arg::Address => {
                    // A number is looked up by the helper itself; a pointer must be readable,
                    // but for a context of numbers only (register sets, tracepoint records),
                    // whose bytes the helper's own checks bound, as Linux takes any value.
                    let numbers_only = self
                        .env
                        .settings
                        .context
                        .layout
                        .is_some_and(|l| matches!(l.access, ContextAccess::ReadOnly { .. }));
                    if let Value::Ptr(p) = v
                        && !(p.kind == PtrKind::Ctx && numbers_only)
                    {
                        let Some((sr, lo, hi)) = size else {
                            return Err(bad(self, "an address after its size argument"));
                        };
                        let arg = MemArg {
                            reg: reg(r),
                            len: ArgLen::Reg(reg(sr)),
                            write: false,
                        };
                        self.helper_mem(pc, st, &p, &arg, lo, hi)?;
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
                Arg::Sock => {
                    if !matches!(
                        v,
                        Value::Ptr(Ptr {
                            kind: PtrKind::Socket { .. },
                            off_min: 0,
                            off_max: 0,
                            nullable: false,
                            ..
                        })
                    ) {
                        return Err(bad(self, "a socket, checked for null"));
                    }
                    takes_socket = true;
                }
                Arg::Lock | Arg::Unlock => {
                    let lock = match v {
                        Value::Ptr(
                            p @ Ptr {
                                kind: PtrKind::MapValue { map },
                                nullable: false,
                                ..
                            },
                        ) => {
                            let info = &self.env.maps[map as usize];
                            match (info.spin_lock, p.fixed()) {
                                (Some(l), Some(o)) if o == i64::from(l) => Some((map, p.id)),
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    let Some(lock) = lock else {
                        return Err(bad(
                            self,
                            "a pointer to the bpf_spin_lock of a map value, checked for null",
                        ));
                    };
                    match (*arg, st.lock) {
                        (Arg::Lock, None) => st.lock = Some(lock),
                        (Arg::Lock, Some(_)) => {
                            return Err(self.error(
                                pc,
                                format!("{name} while a bpf_spin_lock is held (one at a time)"),
                            ));
                        }
                        (_, Some(held)) if held == lock => st.lock = None,
                        _ => {
                            return Err(self.error(
                                pc,
                                format!("{name} of r{r} = {v}, a bpf_spin_lock not held"),
                            ));
                        }
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
        if let Some(pr) = pending.map(|p| p.0).or(null_pending) {
            return Err(self.error(
                pc,
                format!("the prototype of {name} gives r{pr} no size argument after it"),
            ));
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
            // The socket argument's full socket or TCP state, or 0.
            Ret::SocketOrNull | Ret::TcpSockOrNull => {
                if !takes_socket {
                    return Err(self.error(pc, format!("{name} returns a socket but takes none")));
                }
                let part = if proto.ret == Ret::TcpSockOrNull {
                    SockPart::Tcp
                } else {
                    SockPart::Full
                };
                Value::Ptr(Ptr {
                    nullable: true,
                    id: st.fresh_id(),
                    ..Ptr::at(PtrKind::Socket { part }, 0)
                })
            }
            // A value of the map (a cgroup's local storage), which always exists.
            Ret::MapValue => {
                let m = map.ok_or_else(|| {
                    self.error(pc, format!("{name} returns a map value but takes no map"))
                })?;
                if self.env.maps[m as usize].inner.is_some() {
                    return Err(self.error(pc, format!("{name} returns a map of maps' value")));
                }
                Value::Ptr(Ptr {
                    id: st.fresh_id(),
                    ..Ptr::at(PtrKind::MapValue { map: m }, 0)
                })
            }
            Ret::MapValueOrNull => {
                let m = map.ok_or_else(|| {
                    self.error(pc, format!("{name} returns a map value but takes no map"))
                })?;
                let id = st.fresh_id();
                // A map of maps holds maps: a lookup gives one of them (its template's), or 0.
                let kind = match self.env.maps[m as usize].inner.as_deref() {
                    Some(inner) => {
                        let i = self
                            .env
                            .maps
                            .iter()
                            .position(|d| d == inner)
                            .ok_or_else(|| {
                                self.error(
                                    pc,
                                    format!(
                                        "the maps map `{}` holds are not described to the verifier",
                                        self.env.maps[m as usize].name
                                    ),
                                )
                            })?;
                        PtrKind::Map { map: i as u32 }
                    }
                    None => PtrKind::MapValue { map: m },
                };
                Value::Ptr(Ptr {
                    nullable: true,
                    id,
                    ..Ptr::at(kind, 0)
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
        set_results(st, r0);
        Ok(())
    }

    /// Checks that map `m`, argument `r` of helper `name`, is of a type the helper takes and, if
    /// the helper changes it, that programs may.
    fn check_map_arg(
        &self,
        pc: usize,
        name: &str,
        r: usize,
        m: u32,
        want: &MapArg,
    ) -> Result<(), VerifyError> {
        let info = &self.env.maps[m as usize];
        if !want.types.contains(info.map_type as u32) {
            return Err(self.error(
                pc,
                format!(
                    "argument {r} of {name} is map `{}` of type {}, which {name} does not take \
                     (it takes types {:?})",
                    info.name, info.map_type as u32, want.types
                ),
            ));
        }
        if want.writes && info.read_only_to_programs() {
            return Err(self.error(
                pc,
                format!(
                    "{name} changes map `{}`, which is read-only to programs",
                    info.name
                ),
            ));
        }
        Ok(())
    }

    /// A call the verifier cannot resolve to a prototype (`why` says which): refused, or, where
    /// the host allows it, assumed to read and write everything its arguments reach and the
    /// whole stack.
    /// `any_target`: the call may reach any registered helper (a `callx` whose id is not known).
    fn unknown_call(
        &mut self,
        pc: usize,
        st: &mut State,
        why: String,
        any_target: bool,
    ) -> Result<(), VerifyError> {
        if self.env.settings.unknown_helpers == UnknownHelpers::Refuse {
            let reason = format!(
                "{why}: a verified program calls only helpers with a prototype (register the \
                 helper with one, or let the verifier assume the worst of such calls)"
            );
            return Err(VerifyError {
                kind: VerifyErrorKind::UnknownHelper,
                ..self.error(pc, reason)
            });
        }
        if let Some(&(_, at)) = st.refs.first() {
            return Err(self.error(
                pc,
                format!(
                    "{why}: it may release the ring-buffer record reserved at insn {at}, which \
                     is held across it"
                ),
            ));
        }
        if self.env.settings.context.packet.is_some() {
            return Err(self.error(
                pc,
                format!(
                    "{why}: it may rewrite the packet pointers of the context, which the program \
                     trusts"
                ),
            ));
        }
        for f in &mut st.frames {
            for slot in &mut f.stack.slots {
                if slot.spill.is_ptr() {
                    *slot = Slot::EMPTY;
                } else {
                    slot.forget_spill();
                }
            }
        }
        forget_packet(st, pc);
        // A call that may reach a helper returning a pointer (a map value, a record) leaves
        // `r0` unusable: taken for a number, it would leak.
        let pointer_result = any_target
            && self.env.helpers.iter().any(|h| {
                h.proto
                    .is_some_and(|p| matches!(p.ret, Ret::MapValueOrNull | Ret::RecordOrNull))
            });
        let r0 = if pointer_result {
            Value::Uninit
        } else {
            Value::Scalar(Scalar::UNKNOWN)
        };
        set_results(st, r0);
        Ok(())
    }
}

/// Argument register `r` (1 to 5).
fn reg(r: usize) -> Reg {
    Reg::new(r as u8).expect("an argument register")
}

/// After a call (of a helper, or returning from a local function): `r0` is `r0`, `r1`–`r5` are
/// clobbered.
pub(crate) fn set_results(st: &mut State, r0: Value) {
    let regs = &mut st.cur_mut().regs;
    regs[0] = r0;
    for r in &mut regs[1..6] {
        *r = Value::Uninit;
    }
    // r0-r5 no longer hold what the packet call dropped.
    st.stale.regs &= !0x3f;
}

/// After the call at `pc`, which may move or resize the packet: no packet pointer survives,
/// and nothing is known of the packet's length.
fn forget_packet(st: &mut State, pc: usize) {
    let regs = st.cur().regs;
    let dropped = regs.iter().enumerate().filter(|(_, v)| {
        matches!(
            v,
            Value::Ptr(Ptr {
                kind: PtrKind::Packet | PtrKind::PacketEnd | PtrKind::PacketMeta,
                ..
            })
        )
    });
    st.stale = crate::state::StalePacket {
        regs: dropped.fold(0, |m, (r, _)| m | 1 << r),
        at: pc,
    };
    for v in st.values_mut() {
        if let Value::Ptr(Ptr {
            kind: PtrKind::Packet | PtrKind::PacketEnd | PtrKind::PacketMeta,
            ..
        }) = v
        {
            *v = Value::Uninit;
        }
    }
    st.pkt_min = 0;
    st.meta_min = 0;
    if st.facts_of_packet {
        st.len_facts.clear();
    }
}
