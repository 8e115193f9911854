//! The search: every path from the entry, depth first, one abstract state per path, pruned where
//! a state is covered by one already verified at the same jump target. Loops run until their
//! exit conditions decide; a state that repeats on its own path is a loop without progress, and
//! the number of processed instructions is bounded.

use crate::env::{ContextSize, Env, MapLoad};
use crate::error::VerifyError;
use crate::liveness::live_in;
use crate::scalar::Scalar;
use crate::state::{CTX_LEN_ID, Frame, Stack, State};
use crate::types::{Ptr, PtrKind, Value};
use oxbpf_core::Program;
use oxbpf_core::isa::Insn;
use std::collections::HashMap;

/// At most this many states are kept per jump target.
const STATES_PER_POINT: usize = 64;
/// After this many verified states of one shape at a jump target, a new state of that shape is
/// joined with the latest of them (losing precision, not types), so that a chain of
/// independent branches costs a number of paths linear, not exponential, in its length.
const JOIN_AFTER: usize = 4;
/// At most this many lines of `--log` output are kept (the end of the failing path).
const LOG_LINES: usize = 4000;

/// A verified program: which memory accesses were proven in bounds, and what the search cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    proven: Vec<bool>,
    /// Instructions processed, over every path.
    pub steps: u64,
    /// States kept for pruning.
    pub states: usize,
}

impl Verified {
    /// For each instruction: whether it is a memory access proven in bounds on every path that
    /// reaches it (so compiled code needs no run-time check there).
    pub fn proven(&self) -> &[bool] {
        &self.proven
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
    state: State,
    parent: Option<usize>,
    /// Paths still being explored from it; 0 once it is verified.
    branches: u32,
}

/// Access records per instruction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    None,
    Proven,
    Checked,
}

/// The verifier of one program.
pub(crate) struct Checker<'a> {
    pub(crate) insns: &'a [Insn],
    pub(crate) env: &'a Env<'a>,
    pub(crate) frame_size: i64,
    pub(crate) max_depth: usize,
    pub(crate) map_at: HashMap<usize, MapLoad>,
    access: Vec<Access>,
    prune_point: Vec<bool>,
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
            prune_point,
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
            refs: Vec::new(),
            next_id: CTX_LEN_ID,
        }
    }

    fn run(&mut self) -> Result<Verified, VerifyError> {
        let mut work: Vec<(usize, State, Option<usize>)> = vec![(0, self.entry_state(), None)];
        while let Some((mut pc, mut st, mut parent)) = work.pop() {
            loop {
                self.steps += 1;
                if self.steps > self.env.settings.max_steps {
                    return Err(self.error(
                        pc,
                        format!(
                            "program too complex: more than {} instructions processed over \
                             all paths",
                            self.env.settings.max_steps
                        ),
                    ));
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
        Ok(Verified {
            proven: self.access.iter().map(|a| *a == Access::Proven).collect(),
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
        let alike: Vec<usize> = self.at[pc]
            .iter()
            .copied()
            .filter(|&k| self.kept[k].branches == 0 && st.same_shape(&self.kept[k].state, live))
            .collect();
        if alike.len() >= JOIN_AFTER
            && let Some(&latest) = alike.last()
        {
            *st = st.join(&self.kept[latest].state);
        }
        for &k in &self.at[pc] {
            let kept = &self.kept[k];
            if kept.branches == 0 {
                if st.within(&kept.state, live) {
                    return Ok(None);
                }
            } else if st.same_as(&kept.state, live) {
                return Err(self.error(
                    pc,
                    "infinite loop: the path comes back here in the same state, so its \
                     loop makes no progress towards an exit"
                        .into(),
                ));
            }
        }
        if self.at[pc].len() >= STATES_PER_POINT {
            return Ok(Some(parent));
        }
        self.kept.push(Kept {
            state: st.clone(),
            parent,
            branches: 1,
        });
        let k = self.kept.len() - 1;
        self.at[pc].push(k);
        Ok(Some(Some(k)))
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

    /// Records how the access at `pc` was checked on this path.
    pub(crate) fn record_access(&mut self, pc: usize, proven: bool) {
        let a = &mut self.access[pc];
        *a = match (*a, proven) {
            (Access::None | Access::Proven, true) => Access::Proven,
            _ => Access::Checked,
        };
    }

    /// A rejection at `pc`.
    pub(crate) fn error(&self, pc: usize, reason: String) -> VerifyError {
        VerifyError { pc, reason }
    }
}
