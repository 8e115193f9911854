//! The abstract state before an instruction: what the operand stack, the locals and the
//! `[lo, hi]` array literals hold, and its join where paths merge.

use crate::value::Val;

/// The abstract state before an instruction.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct State {
    /// The operand stack, bottom first (the callers' values below an inlined function's).
    pub(crate) stack: Vec<Val>,
    /// The locals of every instance on the path, the entry's first.
    pub(crate) locals: Vec<Val>,
    /// The elements of each `[lo, hi]` array literal (see [`Val::Pair`]).
    pub(crate) pairs: Vec<[Val; 2]>,
}

impl State {
    /// The join at a merge (`widen`: at a loop head), or why the paths cannot merge.
    pub(crate) fn join(&self, o: &State, widen: bool) -> Result<State, String> {
        if self.stack.len() != o.stack.len() || self.locals.len() != o.locals.len() {
            return Err("paths reach it with different stack depths".into());
        }
        // A local may hold different kinds of value on the paths (it is then written before
        // it is read, or the read is refused); a stack slot or array element may not.
        let j = |a: &[Val], b: &[Val], what: &str, mixed: bool| {
            a.iter()
                .zip(b)
                .enumerate()
                .map(|(i, (x, y))| match x.join(*y, widen) {
                    Some(v) => Ok(v),
                    // Never a `let` before its initialisation, whose reads and writes throw.
                    None if mixed && ![*x, *y].contains(&Val::Uninit) => Ok(Val::Mixed),
                    None => Err(format!(
                        "paths reach it with {} and {} in {what} {i}",
                        x.describe(),
                        y.describe()
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let flat = |p: &[[Val; 2]]| p.iter().flatten().copied().collect::<Vec<_>>();
        let pairs = j(&flat(&self.pairs), &flat(&o.pairs), "array element", false)?;
        Ok(State {
            stack: j(&self.stack, &o.stack, "stack slot", false)?,
            locals: j(&self.locals, &o.locals, "local", true)?,
            pairs: pairs.chunks(2).map(|c| [c[0], c[1]]).collect(),
        })
    }
}
