//! The analysis: the abstract state before every instruction of the entry function, by abstract
//! interpretation to a fixpoint (ranges widened at loop heads, narrowed by the comparisons that
//! branch). Anything the subset does not cover stops it with the instruction and the reason.

use super::LowerError;
use super::module::Env;
use super::step::{State, Step};
use super::value::Val;
use crate::bytecode::{Function, Operand};
use std::collections::{BTreeSet, HashSet};

/// Joins at a loop head before its ranges are widened.
const PLAIN_JOINS: u32 = 3;

/// Steps before the analysis gives up.
const MAX_STEPS: usize = 200_000;

/// The byte offsets jumps land on.
pub(crate) fn targets(f: &Function) -> HashSet<u32> {
    f.code
        .iter()
        .filter_map(|i| match i.operand {
            Operand::Label(t) | Operand::LabelInt(t, _) | Operand::AtomLabelInt(_, t, _) => Some(t),
            _ => None,
        })
        .collect()
}

/// The state before each instruction (`None`: unreachable).
pub(crate) fn run(env: &Env<'_>) -> Result<Vec<Option<State>>, LowerError> {
    let code = &env.f.code;
    let err = |i: Option<usize>, r: String| LowerError::new(&env.name, i.map(|i| &code[i]), r);
    if code.is_empty() {
        return Err(err(None, "no code".into()));
    }
    let mut states: Vec<Option<State>> = vec![None; code.len()];
    let mut joins = vec![0u32; code.len()];
    states[0] = Some(State {
        stack: Vec::new(),
        locals: vec![Val::Undef; env.f.var_count as usize],
        pairs: vec![[Val::Undef; 2]; env.pair_sites.len()],
    });
    let mut work = BTreeSet::from([0usize]);
    let mut steps = 0;
    while let Some(i) = work.pop_first() {
        steps += 1;
        if steps > MAX_STEPS {
            return Err(err(Some(i), "the analysis did not settle".into()));
        }
        let Some(st) = states[i].clone() else {
            continue;
        };
        if st.stack.len() > env.f.stack_size as usize {
            return Err(err(
                Some(i),
                "deeper operand stack than the function declares".into(),
            ));
        }
        let mut step = Step {
            env,
            ins: &code[i],
            fuse_next: None,
            asm: None,
            st,
            fused: false,
        };
        let next = step.run()?;
        let mut succ = Vec::new();
        if let Some(s) = next.fall {
            if i + 1 >= code.len() {
                return Err(err(Some(i), "falls off the end of the code".into()));
            }
            succ.push((i + 1, s));
        }
        if let Some((pc, s)) = next.jump {
            let t = code
                .binary_search_by_key(&pc, |x| x.pc)
                .map_err(|_| err(Some(i), "a jump between instructions".into()))?;
            succ.push((t, s));
        }
        for (t, s) in succ {
            let new = match &states[t] {
                None => s,
                Some(old) => {
                    joins[t] += 1;
                    let widen = t <= i && joins[t] > PLAIN_JOINS;
                    let j = old.join(&s, widen).map_err(|r| err(Some(t), r))?;
                    if &j == old {
                        continue;
                    }
                    j
                }
            };
            states[t] = Some(new);
            work.insert(t);
        }
    }
    Ok(states)
}
