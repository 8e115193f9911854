//! The search: every path from the entry, depth first, one abstract state per path, pruned where
//! a state is covered by one already verified at the same jump target. Loops run until their
//! exit conditions decide; a state that repeats on its own path is a loop without progress, and
//! the number of processed instructions is bounded.

use crate::env::{ContextSize, Env, MapLoad, Termination};
use crate::error::{VerifyError, VerifyErrorKind};
use crate::liveness::live_in;
use crate::scalar::Scalar;
use crate::state::{CTX_LEN_ID, Frame, Stack, State};
use crate::types::{Ptr, PtrKind, Value};
use oxbpf_core::isa::{Insn, Reg};
use oxbpf_core::{ArgLen, ContextArg, Program, Proofs};
use std::collections::HashMap;

/// At most this many states are kept per jump target.
const STATES_PER_POINT: usize = 64;
/// After this many verified states of one shape at a jump target outside loops, a new state of
/// that shape is joined with the latest of them (losing precision, not types), so that a chain
/// of independent branches costs a number of paths linear, not exponential, in its length.
/// Inside a loop, a join would blur the counter its exit depends on, so states stay apart.
const JOIN_AFTER: usize = 4;
/// Under [`Termination::Budget`], a loop is walked this many times before it is widened.
const WIDEN_AFTER: usize = 4;
/// After this many widenings at one point, widening goes straight to the extremes and drops the
/// facts about the length, so that it always stabilises (and the states kept there, which every
/// later arrival is compared with, stay few).
const WIDENINGS_WITH_THRESHOLDS: usize = 64;
/// How far up its path (in kept states) the search looks for a loop's earlier iterations: a
/// bound on the cost of each arrival at a loop head. Looking less far only widens from a later
/// iteration, or prunes less.
const ANCESTOR_WINDOW: usize = 256;
/// At most this many lines of `--log` output are kept (the end of the failing path).
const LOG_LINES: usize = 4000;

/// A verified program: which memory accesses were proven in bounds, which helper arguments into
/// the context keep a run-time check, and what the search cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    proofs: Proofs,
    /// Instructions processed, over every path.
    pub steps: u64,
    /// States kept for pruning.
    pub states: usize,
}

impl Verified {
    /// For each instruction: whether it is a memory access proven in bounds on every path that
    /// reaches it (so compiled code needs no run-time check there). Every other access is a
    /// context access on every path, which runs check against the context alone.
    pub fn proven(&self) -> &[bool] {
        &self.proofs.proven
    }

    /// What the program's runs may rely on: [`proven`](Self::proven) and the helper arguments
    /// into the context whose bounds only the run knows (see [`oxbpf_core::ContextArg`]).
    pub fn proofs(&self) -> &Proofs {
        &self.proofs
    }
}

/// What one instruction does to the path.
pub(crate) enum Step {
    /// Continue at this instruction.
    Goto(usize),
    /// Both ways of a branch are possible: the current state goes on at the next instruction,
    /// this one at the target.
    Fork(usize, Box<State>),
    /// The path ends (exit of the entry function, or no feasible way on).
    Stop,
}

/// A state kept at a jump target.
struct Kept {
    pc: usize,
    state: State,
    parent: Option<usize>,
    /// Paths still being explored from it; 0 once it is verified.
    branches: u32,
    /// Whether it is a loop head's state widened (which later iterations may equal).
    widened: bool,
}

/// How the memory an instruction (or one argument of a helper call) reaches was checked, over
/// the paths seen so far.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// No path reached it yet.
    None,
    /// Proven in bounds on every path; `ctx`: in the context on every path.
    Proven { ctx: bool },
    /// In the context on every path, and not proven on some: the run checks it against the
    /// context alone.
    Checked,
    /// A load through a number on every path: a probe load (see `Program::is_probe`).
    Probe,
}

/// A helper's memory argument as the verifier met it: where, how long, which direction.
pub(crate) struct MemArg {
    /// The argument register.
    pub(crate) reg: Reg,
    /// Its length.
    pub(crate) len: ArgLen,
    /// Whether the helper writes it.
    pub(crate) write: bool,
}

/// The verifier of one program.
pub(crate) struct Checker<'a> {
    pub(crate) insns: &'a [Insn],
    pub(crate) env: &'a Env<'a>,
    pub(crate) frame_size: i64,
    pub(crate) max_depth: usize,
    pub(crate) map_at: HashMap<usize, MapLoad>,
    access: Vec<Access>,
    /// The helper memory arguments met, by call and register.
    arg_access: HashMap<(usize, u8), (Access, ArgLen, bool)>,
    /// The context loads of a program type's structure with full-width packet pointers, by
    /// instruction: the offset of the full-width copy it reads instead, or `None` for a load of
    /// another field.
    context_loads: HashMap<usize, Option<i16>>,
    prune_point: Vec<bool>,
    in_loop: Vec<bool>,
    loop_head: Vec<bool>,
    bounded_loop: Vec<bool>,
    /// The widening thresholds of the whole program, and of each loop (by head).
    thresholds: Vec<i64>,
    loop_thresholds: HashMap<usize, Vec<i64>>,
    live: Vec<u16>,
    kept: Vec<Kept>,
    at: Vec<Vec<usize>>,
    steps: u64,
    log: Option<std::collections::VecDeque<String>>,
}

/// Verifies `program` against `env`.
pub fn verify(program: &Program, env: &Env<'_>) -> Result<Verified, VerifyError> {
    Checker::new(program, env, false).run()
}

/// Verifies `program` and returns, with the result, the states along the path the search took
/// last (the failing one on a rejection): one line per instruction.
pub fn verify_with_log(
    program: &Program,
    env: &Env<'_>,
) -> (Result<Verified, VerifyError>, Vec<String>) {
    let mut c = Checker::new(program, env, true);
    let r = c.run();
    (r, c.log.take().map(Vec::from).unwrap_or_default())
}

impl<'a> Checker<'a> {
    fn new(program: &'a Program, env: &'a Env<'a>, log: bool) -> Checker<'a> {
        let insns = program.insns();
        let mut prune_point = vec![false; insns.len() + 1];
        for (pc, insn) in insns.iter().enumerate() {
            if let Some(t) = insn.jump_target(pc) {
                prune_point[t] = true;
            }
        }
        Checker {
            insns,
            env,
            frame_size: program.config().stack_frame_size as i64,
            max_depth: program.config().max_call_depth,
            map_at: env.map_loads.iter().map(|m| (m.pc, *m)).collect(),
            access: vec![Access::None; insns.len()],
            arg_access: HashMap::new(),
            context_loads: HashMap::new(),
            prune_point,
            in_loop: in_loop(insns),
            loop_head: {
                let mut h = vec![false; insns.len() + 1];
                for (pc, insn) in insns.iter().enumerate() {
                    if let Some(t) = insn.jump_target(pc)
                        && t <= pc
                    {
                        h[t] = true;
                    }
                }
                h
            },
            thresholds: thresholds(insns),
            loop_thresholds: loop_thresholds(insns),
            bounded_loop: {
                let mut b = vec![false; insns.len()];
                for &h in &env.bounded_loops {
                    if let Some(x) = b.get_mut(h) {
                        *x = true;
                    }
                }
                b
            },
            live: live_in(insns, env.helpers),
            kept: Vec::new(),
            at: vec![Vec::new(); insns.len()],
            steps: 0,
            log: log.then(std::collections::VecDeque::new),
        }
    }

    /// The state at entry.
    fn entry_state(&self) -> State {
        let mut regs = [Value::Uninit; 11];
        regs[1] = Value::Ptr(Ptr::at(PtrKind::Ctx, 0));
        regs[2] = Value::Scalar(match self.env.settings.context.size {
            ContextSize::InR2 => Scalar {
                id: CTX_LEN_ID,
                ..Scalar::UNKNOWN
            },
            ContextSize::Fixed(_) => Scalar::UNKNOWN,
        });
        regs[10] = Value::Ptr(Ptr::at(PtrKind::Stack { frame: 0 }, 0));
        State {
            frames: vec![Frame {
                regs,
                stack: Stack::default(),
                ret_pc: 0,
            }],
            ctx_min: match self.env.settings.context.size {
                ContextSize::Fixed(n) => u64::from(n),
                ContextSize::InR2 => 0,
            },
            pkt_min: 0,
            meta_min: 0,
            refs: Vec::new(),
            lock: None,
            next_id: CTX_LEN_ID,
            len_facts: Vec::new(),
            facts_of_packet: self.env.settings.context.packet.is_some(),
            stale: Default::default(),
            offsets: Vec::new(),
        }
    }

    fn run(&mut self) -> Result<Verified, VerifyError> {
        let mut work: Vec<(usize, State, Option<usize>)> = vec![(0, self.entry_state(), None)];
        while let Some((mut pc, mut st, mut parent)) = work.pop() {
            loop {
                self.steps += 1;
                if self.steps > self.env.settings.max_steps {
                    let reason = format!(
                        "program too complex: more than {} instructions processed over all paths",
                        self.env.settings.max_steps
                    );
                    return Err(VerifyError {
                        kind: VerifyErrorKind::TooComplex,
                        ..self.error(pc, reason)
                    });
                }
                if self.prune_point[pc] {
                    match self.prune(pc, &mut st, parent)? {
                        None => {
                            self.finish(parent);
                            break;
                        }
                        Some(p) => parent = p,
                    }
                }
                if let Some(log) = &mut self.log {
                    if log.len() == LOG_LINES {
                        log.pop_front();
                    }
                    log.push_back(format!("{pc}: {}    ; {st}", self.insns[pc]));
                }
                match self.step(pc, &mut st)? {
                    Step::Goto(next) => pc = next,
                    Step::Fork(target, taken) => {
                        if let Some(p) = parent {
                            self.kept[p].branches += 1;
                        }
                        work.push((target, *taken, parent));
                        pc += 1;
                    }
                    Step::Stop => {
                        self.finish(parent);
                        break;
                    }
                }
            }
        }
        let mut context_args: Vec<ContextArg> = self
            .arg_access
            .iter()
            .filter(|(_, (a, ..))| *a == Access::Checked)
            .map(|(&(pc, r), &(_, len, write))| ContextArg {
                pc,
                ptr: Reg::new(r).expect("an argument register"),
                len,
                write,
            })
            .collect();
        context_args.sort_by_key(|a| (a.pc, a.ptr.idx()));
        Ok(Verified {
            proofs: Proofs {
                proven: self
                    .access
                    .iter()
                    .map(|a| matches!(a, Access::Proven { .. }))
                    .collect(),
                context_args,
                probe_loads: self
                    .access
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| **a == Access::Probe)
                    .map(|(pc, _)| pc)
                    .collect(),
                context: {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::hash::DefaultHasher::new();
                    self.env.settings.context.hash(&mut h);
                    h.finish()
                },
                packet: self.env.settings.context.layout.and_then(|l| l.packet),
                context_loads: {
                    let mut loads: Vec<(usize, i16)> = self
                        .context_loads
                        .iter()
                        .filter_map(|(&pc, at)| Some((pc, (*at)?)))
                        .collect();
                    loads.sort_unstable();
                    loads
                },
            },
            steps: self.steps,
            states: self.kept.len(),
        })
    }

    /// At a jump target: `None` if a verified state covers `st`, otherwise the new parent of
    /// the path (the state kept here, if it was kept).
    fn prune(
        &mut self,
        pc: usize,
        st: &mut State,
        parent: Option<usize>,
    ) -> Result<Option<Option<usize>>, VerifyError> {
        let live = self.live[pc];
        if !self.in_loop[pc] {
            // Outside loops, after a few alike states here, join with the latest of them.
            let (count, latest) = self.at[pc]
                .iter()
                .copied()
                .filter(|&k| self.kept[k].branches == 0 && st.same_shape(&self.kept[k].state, live))
                .fold((0, None), |(n, _), k| (n + 1, Some(k)));
            if count >= JOIN_AFTER
                && let Some(latest) = latest
            {
                *st = st.join(&self.kept[latest].state);
            }
        }
        let bounded = self.bounded_loop[pc];
        let widening = self.env.settings.termination == Termination::Budget;
        for &k in &self.at[pc] {
            let kept = &self.kept[k];
            if kept.branches == 0 {
                if st.within(&kept.state, live) {
                    return Ok(None);
                }
            } else if widening && st.within(&kept.state, live) && self.widened_since(parent, k) {
                // The loop has been widened since this iteration started, and comes back
                // within it: the state is an invariant, and what follows it is being proven.
                return Ok(None);
            } else if !bounded && !kept.widened && st.same_as(&kept.state, live) {
                return Err(self.error(
                    pc,
                    "infinite loop: the path comes back here in the same state, so its \
                     loop makes no progress towards an exit"
                        .into(),
                ));
            }
        }
        // At a loop head the search may widen (see `Termination::Budget`): the next iteration
        // is covered by the state an earlier one started from, or widens it, so that the body
        // is proven for both and more.
        let mut widened = false;
        let after = if bounded {
            Some(1)
        } else if self.loop_head[pc] && self.env.settings.termination == Termination::Budget {
            Some(WIDEN_AFTER)
        } else {
            None
        };
        if let Some(after) = after
            && let Some(k) = self.loop_ancestor(pc, st, parent, after)
        {
            if st.within(&self.kept[k].state, live) {
                return Ok(None);
            }
            let earlier = self.at[pc]
                .iter()
                .filter(|&&k| self.kept[k].widened)
                .count();
            *st = if earlier < WIDENINGS_WITH_THRESHOLDS {
                let t = self.loop_thresholds.get(&pc).unwrap_or(&self.thresholds);
                self.kept[k].state.widen(st, t, true)
            } else {
                self.kept[k].state.widen(st, &[], false)
            };
            widened = true;
        }
        // A widened state is always kept: the next iteration widens it further or is covered.
        // So is every state at a loop head that may widen: its next iteration has to find it.
        if self.at[pc].len() >= STATES_PER_POINT && !widened && after.is_none() {
            return Ok(Some(parent));
        }
        self.kept.push(Kept {
            pc,
            state: st.clone(),
            parent,
            branches: 1,
            widened,
        });
        let k = self.kept.len() - 1;
        self.at[pc].push(k);
        Ok(Some(Some(k)))
    }

    /// The state a loop iteration arriving at `pc` in `st` widens, if the path has been here
    /// at least `after` times before in states of this shape: the nearest state kept here if
    /// it is already widened, otherwise the oldest (the loop's entry), so that the widened
    /// state holds the values of every iteration walked so far, siblings' included.
    fn loop_ancestor(
        &self,
        pc: usize,
        st: &State,
        mut parent: Option<usize>,
        after: usize,
    ) -> Option<usize> {
        let live = self.live[pc];
        let mut oldest = None;
        let mut seen = 0;
        let mut window = ANCESTOR_WINDOW;
        while let Some(p) = parent
            && window > 0
        {
            window -= 1;
            let k = &self.kept[p];
            if k.pc == pc {
                if !st.same_shape(&k.state, live) {
                    break;
                }
                if oldest.is_none() && k.widened {
                    return Some(p);
                }
                oldest = Some(p);
                seen += 1;
            }
            parent = k.parent;
        }
        oldest.filter(|_| seen >= after)
    }

    /// Whether `k` is on the current path (from `parent` up) and a widened state lies
    /// between it and here, `k` included.
    fn widened_since(&self, mut parent: Option<usize>, k: usize) -> bool {
        let mut widened = false;
        let mut window = ANCESTOR_WINDOW;
        while let Some(p) = parent
            && window > 0
        {
            window -= 1;
            widened |= self.kept[p].widened;
            if p == k {
                return widened;
            }
            parent = self.kept[p].parent;
        }
        false
    }

    /// A path ended: its kept states without other paths under them are verified.
    fn finish(&mut self, mut parent: Option<usize>) {
        while let Some(p) = parent {
            let k = &mut self.kept[p];
            k.branches -= 1;
            if k.branches > 0 {
                break;
            }
            parent = k.parent;
        }
    }

    /// Records how the access at `pc` was checked on this path (`ctx`: it is a context
    /// access). An access a run checks against the context alone must be one on every path.
    pub(crate) fn record_access(
        &mut self,
        pc: usize,
        proven: bool,
        ctx: bool,
    ) -> Result<(), VerifyError> {
        if self.access[pc] == Access::Probe {
            return Err(self.error(pc, probe_mixed()));
        }
        let a = merge_access(self.access[pc], proven, ctx)
            .ok_or_else(|| self.error(pc, mixed_regions("the access")))?;
        self.access[pc] = a;
        Ok(())
    }

    /// Records a probe load at `pc` on this path: it must be one on every path, as the load is
    /// compiled once.
    pub(crate) fn record_probe(&mut self, pc: usize) -> Result<(), VerifyError> {
        match self.access[pc] {
            Access::None | Access::Probe => {
                self.access[pc] = Access::Probe;
                Ok(())
            }
            _ => Err(self.error(pc, probe_mixed())),
        }
    }

    /// Records what the context load at `pc` reads on this path: a packet pointer field, read
    /// from its full-width copy at `full`, or (`None`) another field. It must read the same on
    /// every path, as the load is rewritten once.
    pub(crate) fn record_context_load(
        &mut self,
        pc: usize,
        full: Option<i64>,
    ) -> Result<(), VerifyError> {
        let full = match full.map(i16::try_from) {
            None => None,
            Some(Ok(off)) => Some(off),
            Some(Err(_)) => {
                return Err(self.error(pc, "a context load too far from its base".to_owned()));
            }
        };
        match self.context_loads.insert(pc, full) {
            Some(old) if old != full => Err(self.error(
                pc,
                "the load reads a packet pointer of the context on one path and another field on \
                 another"
                    .to_owned(),
            )),
            _ => Ok(()),
        }
    }

    /// [`record_access`](Self::record_access) for helper memory argument `arg` of the call at
    /// `pc`.
    pub(crate) fn record_arg(
        &mut self,
        pc: usize,
        arg: &MemArg,
        proven: bool,
        ctx: bool,
    ) -> Result<(), VerifyError> {
        let key = (pc, arg.reg.idx() as u8);
        let old = self.arg_access.get(&key).map_or(Access::None, |e| e.0);
        let a = merge_access(old, proven, ctx).ok_or_else(|| {
            self.error(pc, mixed_regions(&format!("argument r{}", arg.reg.idx())))
        })?;
        self.arg_access.insert(key, (a, arg.len, arg.write));
        Ok(())
    }

    /// A rejection at `pc`.
    pub(crate) fn error(&self, pc: usize, reason: String) -> VerifyError {
        VerifyError {
            pc,
            reason,
            kind: VerifyErrorKind::Unsafe,
        }
    }
}

/// `old` and one more path, on which the memory was `proven` or not and in the context or not;
/// `None` where no single check serves every path (a context access not proven on one path,
/// another region on another).
fn merge_access(old: Access, proven: bool, ctx: bool) -> Option<Access> {
    Some(match (old, proven) {
        (Access::None, true) => Access::Proven { ctx },
        (Access::Proven { ctx: all }, true) => Access::Proven { ctx: all && ctx },
        (Access::None | Access::Proven { ctx: true }, false) | (Access::Checked, false) => {
            Access::Checked
        }
        (Access::Checked, true) if ctx => Access::Checked,
        _ => return None,
    })
}

/// Why a load cannot be a probe load on one path and an access through a pointer on another.
fn probe_mixed() -> String {
    "the load reads through a number (a kernel pointer) on one path and through a pointer on \
     another (one instruction may not serve both)"
        .to_owned()
}

/// Why `what` cannot keep one run-time check.
fn mixed_regions(what: &str) -> String {
    format!(
        "{what} reaches the context without a proof of its bounds on one path and other memory \
         on another (one instruction may not serve both)"
    )
}

/// For each instruction: whether it may lie on a loop, that is between the target of a backward
/// jump and the jump (code that compilers place after a loop's exit and jump back from counts).
fn in_loop(insns: &[Insn]) -> Vec<bool> {
    let mut depth = vec![0i64; insns.len() + 1];
    for (pc, insn) in insns.iter().enumerate() {
        if let Some(t) = insn.jump_target(pc)
            && t <= pc
        {
            depth[t] += 1;
            depth[pc + 1] -= 1;
        }
    }
    let mut open = 0;
    depth[..insns.len()]
        .iter()
        .map(|d| {
            open += d;
            open > 0
        })
        .collect()
}

/// The widening thresholds: every constant a conditional jump compares with, and its
/// neighbours (a loop `i < K` runs with `i <= K - 1` and leaves with `i == K`), sorted.
fn thresholds(insns: &[Insn]) -> Vec<i64> {
    thresholds_in(insns.iter())
}

/// The widening thresholds of each loop, by head: those of the conditional jumps from the head
/// to the last jump back to it (where a loop's own tests lie), so that its numbers widen
/// through the few bounds that matter to it rather than every constant of the program.
fn loop_thresholds(insns: &[Insn]) -> HashMap<usize, Vec<i64>> {
    let mut end: HashMap<usize, usize> = HashMap::new();
    for (pc, insn) in insns.iter().enumerate() {
        if let Some(t) = insn.jump_target(pc)
            && t <= pc
        {
            let e = end.entry(t).or_insert(pc);
            *e = (*e).max(pc);
        }
    }
    end.into_iter()
        .map(|(h, e)| (h, thresholds_in(insns[h..=e].iter())))
        .collect()
}

/// The thresholds of the conditional jumps among `insns`.
fn thresholds_in<'i>(insns: impl Iterator<Item = &'i Insn>) -> Vec<i64> {
    use oxbpf_core::isa::Operand;
    let mut t: Vec<i64> = insns
        .filter_map(|i| match i {
            Insn::Jump {
                src: Operand::Imm(k),
                ..
            } => Some(i64::from(*k)),
            _ => None,
        })
        .flat_map(|k| [k - 1, k, k + 1])
        .collect();
    t.sort_unstable();
    t.dedup();
    t
}
