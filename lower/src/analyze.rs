//! The analysis: the abstract state before every instruction of every instance (the entry
//! function and the functions inlined into it), by abstract interpretation to a fixpoint (ranges
//! widened at loop heads, narrowed by the comparisons that branch). Anything the subset does not
//! cover stops it with the instruction and the reason.

use super::loops::{self, Trail};
use super::module::Env;
use super::step::{State, Step};
use super::value::Val;
use super::{LowerError, LowerErrorKind};
use crate::bytecode::{Function, Operand};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Joins at a loop head before its ranges are widened.
const PLAIN_JOINS: u32 = 3;

/// Steps before the analysis gives up.
const MAX_STEPS: usize = 200_000;

/// The jumps of `f`: the index of each jumping instruction and the byte offset it lands on.
pub(crate) fn jumps(f: &Function) -> impl Iterator<Item = (usize, u32)> + '_ {
    f.code
        .iter()
        .enumerate()
        .filter_map(|(i, x)| match x.operand {
            Operand::Label(t) | Operand::LabelInt(t, _) | Operand::AtomLabelInt(_, t, _) => {
                Some((i, t))
            }
            _ => None,
        })
}

/// The byte offsets jumps land on.
pub(crate) fn targets(f: &Function) -> HashSet<u32> {
    jumps(f).map(|(_, t)| t).collect()
}

/// The state before each instruction of each instance (`None`: unreachable).
pub(crate) type States = Vec<Vec<Option<State>>>;

/// The states of every instance, by instance and instruction.
pub(crate) fn run(env: &Env<'_>) -> Result<States, LowerError> {
    let entry = env.func_of(0);
    if entry.f.code.is_empty() {
        return Err(LowerError::new(&entry.name, None, "no code"));
    }
    let mut states: States = vec![vec![None; entry.f.code.len()]];
    let mut joins: Vec<Vec<u32>> = vec![vec![0; entry.f.code.len()]];
    let mut heads = vec![loops::heads(entry.f)];
    let mut trails: HashMap<(u16, usize), Trail> = HashMap::new();
    states[0][0] = Some(State {
        stack: Vec::new(),
        locals: vec![Val::Undef; entry.f.var_count as usize],
        pairs: vec![[Val::Undef; 2]; entry.pair_sites.len()],
    });
    let mut work = BTreeSet::from([(0u16, 0usize)]);
    let mut steps = 0;
    while let Some((n, i)) = work.pop_first() {
        let fi = env.func_of(n);
        let code = &fi.f.code;
        let err = |i: usize, r: String| LowerError::new(&fi.name, Some(&code[i]), r);
        steps += 1;
        if steps > MAX_STEPS {
            return Err(err(i, "the analysis did not settle".into()).of(LowerErrorKind::Limit));
        }
        let Some(st) = states[usize::from(n)][i].clone() else {
            continue;
        };
        if st.stack.len() > env.inst(n).stack_base + fi.f.stack_size as usize {
            return Err(err(
                i,
                "deeper operand stack than the function declares".into(),
            ));
        }
        let mut step = Step {
            env,
            n,
            inst: env.inst(n),
            fi,
            ins: &code[i],
            idx: i,
            fuse_next: None,
            code: None,
            st,
            fused: false,
        };
        let next = step.run()?;
        let mut succ = Vec::new();
        if let Some(s) = next.fall {
            if i + 1 >= code.len() {
                return Err(err(i, "falls off the end of the code".into()));
            }
            succ.push((n, i + 1, s));
        }
        if let Some((pc, s)) = next.jump {
            let t = code
                .binary_search_by_key(&pc, |x| x.pc)
                .map_err(|_| err(i, "a jump between instructions".into()))?;
            succ.push((n, t, s));
        }
        if let Some((m, t, s)) = next.goto {
            succ.push((m, t, s));
        }
        // Instances the step made.
        while states.len() < env.inst_count() {
            let f = env.func_of(states.len() as u16).f;
            states.push(vec![None; f.code.len()]);
            joins.push(vec![0; f.code.len()]);
            heads.push(loops::heads(f));
        }
        for (m, t, s) in succ {
            let slot = &mut states[usize::from(m)][t];
            let head = heads[usize::from(m)].contains(&t).then_some((m, t));
            let mut new = match slot {
                None => s.clone(),
                Some(old) => {
                    let j = &mut joins[usize::from(m)][t];
                    *j += 1;
                    let widen = m == n && t <= i && *j > PLAIN_JOINS;
                    let fm = env.func_of(m);
                    old.join(&s, widen)
                        .map_err(|r| LowerError::new(&fm.name, Some(&fm.f.code[t]), r))?
                }
            };
            if let Some(h) = head {
                let trail = trails.entry(h).or_default();
                trail.record(h, &s);
                new = trail.bound(h, new);
            }
            if slot.as_ref() == Some(&new) {
                continue;
            }
            *slot = Some(new);
            work.insert((m, t));
        }
    }
    Ok(states)
}
