//! eBPF text for the lowered function: where values live, the prologue, the code of every
//! reachable instruction (through [`Step`]) and the failure exit.
//!
//! Registers: `r6` holds the context blob's address and `r7` its length for the whole run; the
//! operand stack's two lowest slots live in `r8` and `r9` (callee-saved, so they survive helper
//! calls) and the rest in the frame, after them the locals, the helper-call counter and an
//! 8-byte scratch slot for map keys. `r0`–`r5` are scratch.

use super::LowerError;
use super::analyze::States;
use super::module::{Env, FnInfo, Inst};
use super::step::Step;
use super::text::ARG_SLOTS;
use std::fmt::Write as _;

/// The context blob's address.
pub(crate) const R_BLOB: u8 = 6;
/// The context blob's length.
pub(crate) const R_LEN: u8 = 7;

/// The longest prefix of a log line (`[ERROR] `).
pub(crate) const LOG_PREFIX_BYTES: usize = 8;

/// The largest data length the lowered code handles (its lengths are 32-bit numbers); a longer
/// context gets the hook's default.
const MAX_DATA: u64 = u32::MAX as u64;

/// Where a value lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// Operand-stack slot at this depth (0 = bottom).
    Depth(usize),
    /// A local.
    Local(u16),
    /// The slot of a live string's integer (see [`text`](super::text)).
    Arg(u8),
    /// Element 0 or 1 of a `[lo, hi]` array literal.
    Pair(u16, u8),
    /// The clock, read as the run starts (`nowNs`).
    Clock,
}

impl Loc {
    pub(crate) fn depth(d: usize) -> Loc {
        Loc::Depth(d)
    }
}

/// A register or a frame slot.
enum Place {
    Reg(u8),
    Frame(i64),
}

/// The text being written.
pub(crate) struct Asm {
    out: String,
    /// Operand-stack slots in the frame (depths 2 and up).
    frame_depths: usize,
    locals: usize,
    /// Array literals.
    pairs: usize,
    /// Bytes for the format strings of log calls, at the bottom of the frame.
    format_bytes: usize,
    next: u32,
    /// The instance whose code is being written (labels are per instance).
    inst: u16,
}

/// 8-byte slots after the locals, before the string slots: the helper-call counter, the key
/// scratch slot and the clock.
const FIXED_SLOTS: usize = 3;

impl Asm {
    /// The frame offset of the `n`th 8-byte slot after the operand stack and locals (from 1).
    fn slot(&self, n: usize) -> i64 {
        -8 * (self.frame_depths + self.locals + n) as i64
    }

    fn place(&self, loc: Loc) -> Place {
        let strings = usize::from(ARG_SLOTS);
        match loc {
            Loc::Depth(d) if d < 2 => Place::Reg(8 + d as u8),
            Loc::Depth(d) => Place::Frame(-8 * (d as i64 - 1)),
            Loc::Local(l) => Place::Frame(-8 * (self.frame_depths as i64 + i64::from(l) + 1)),
            Loc::Clock => Place::Frame(self.slot(3)),
            Loc::Arg(k) => Place::Frame(self.slot(FIXED_SLOTS + 1 + usize::from(k))),
            Loc::Pair(p, e) => Place::Frame(
                self.slot(FIXED_SLOTS + strings + 1 + 2 * usize::from(p) + usize::from(e)),
            ),
        }
    }

    /// Bytes of the frame in use.
    fn frame_bytes(&self) -> usize {
        8 * (self.frame_depths
            + self.locals
            + FIXED_SLOTS
            + usize::from(ARG_SLOTS)
            + 2 * self.pairs)
            + self.format_bytes
    }

    /// The frame offset of the format area (its lowest address).
    pub(crate) fn format_area(&self) -> i64 {
        -(self.frame_bytes() as i64)
    }

    fn counter(&self) -> i64 {
        self.slot(1)
    }

    fn key(&self) -> i64 {
        self.slot(2)
    }

    /// Appends one line.
    pub(crate) fn line(&mut self, l: &str) {
        self.out.push_str(l);
        self.out.push('\n');
    }

    /// Defines a label here.
    pub(crate) fn label(&mut self, l: &str) {
        let _ = writeln!(self.out, "{l}:");
    }

    /// A new label name.
    pub(crate) fn fresh(&mut self) -> String {
        self.next += 1;
        format!("T{}", self.next)
    }

    /// The label of the bytecode instruction at `pc` of the instance being written.
    pub(crate) fn label_of(&self, pc: u32) -> String {
        format!("L{}_{pc}", self.inst)
    }

    /// Ends a result in `r0`: from here, jumps to `l_end`; at `l_zero`, `r0` is 0.
    pub(crate) fn else_zero(&mut self, l_zero: &str, l_end: &str) {
        self.line(&format!("ja {l_end}"));
        self.label(l_zero);
        self.line("mov %r0, 0");
        self.label(l_end);
    }

    pub(crate) fn jump_to(&mut self, pc: u32) {
        self.line(&format!("ja {}", self.label_of(pc)));
    }

    /// Jumps to the instruction at `pc` of instance `n`.
    pub(crate) fn goto(&mut self, n: u16, pc: u32) {
        self.line(&format!("ja L{n}_{pc}"));
    }

    /// The hook's default return.
    pub(crate) fn fail(&mut self) {
        self.line("ja Lfail");
    }

    pub(crate) fn load(&mut self, reg: u8, loc: Loc) {
        match self.place(loc) {
            Place::Reg(r) => self.line(&format!("mov %r{reg}, %r{r}")),
            Place::Frame(o) => self.line(&format!("ldxdw %r{reg}, [%r10{o}]")),
        }
    }

    pub(crate) fn store(&mut self, loc: Loc, reg: u8) {
        match self.place(loc) {
            Place::Reg(r) => self.line(&format!("mov %r{r}, %r{reg}")),
            Place::Frame(o) => self.line(&format!("stxdw [%r10{o}], %r{reg}")),
        }
    }

    pub(crate) fn mov_const(&mut self, reg: u8, c: i64) {
        if i32::try_from(c).is_ok() {
            self.line(&format!("mov %r{reg}, {c}"));
        } else {
            self.line(&format!("lddw %r{reg}, {c}"));
        }
    }

    pub(crate) fn store_const(&mut self, loc: Loc, c: i64) {
        match (self.place(loc), i32::try_from(c)) {
            (Place::Frame(o), Ok(c)) => self.line(&format!("stdw [%r10{o}], {c}")),
            (Place::Reg(r), _) => self.mov_const(r, c),
            (Place::Frame(_), Err(_)) => {
                self.mov_const(0, c);
                self.store(loc, 0);
            }
        }
    }

    /// Returns the constant `c` (already ToInt32, as an unsigned 32-bit `r0`).
    pub(crate) fn ret_const(&mut self, c: u32) {
        self.line(&format!("mov32 %r0, {}", c as i32));
        self.line("exit");
    }

    /// Returns ToInt32 of the integer in `r0`, as an unsigned 32-bit `r0`.
    pub(crate) fn ret_reg0(&mut self) {
        self.line("mov32 %r0, %r0");
        self.line("exit");
    }

    /// Counts a helper call against the budget of `max` calls (failing beyond it).
    pub(crate) fn count_helper(&mut self, max: u32) {
        let c = self.counter();
        self.line(&format!("ldxdw %r0, [%r10{c}]"));
        self.line("add %r0, 1");
        self.line(&format!("stxdw [%r10{c}], %r0"));
        self.mov_const(1, i64::from(max));
        self.line("jgt %r0, %r1, Lfail");
    }

    /// Stores the 32-bit map index in `reg` to the key slot.
    pub(crate) fn store_key(&mut self, reg: u8) {
        let k = self.key();
        self.line(&format!("stxw [%r10{k}], %r{reg}"));
    }

    /// The key slot's address into `reg`.
    pub(crate) fn key_address(&mut self, reg: u8) {
        let k = self.key();
        self.line(&format!("mov %r{reg}, %r10"));
        self.line(&format!("add %r{reg}, {k}"));
    }

    /// Calls `trace_printk` with the NUL-terminated format `fmt`, written to the format area,
    /// and the integers in string slots `args`.
    pub(crate) fn trace_printk(&mut self, fmt: &[u8], args: &[u8]) {
        let area = self.format_area();
        for (i, chunk) in fmt.chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.mov_const(1, i64::from_le_bytes(b));
            self.line(&format!("stxdw [%r10{}], %r1", area + 8 * i as i64));
        }
        self.line("mov %r1, %r10");
        self.line(&format!("add %r1, {area}"));
        self.line(&format!("mov %r2, {}", fmt.len()));
        for (j, &k) in args.iter().enumerate() {
            self.load(3 + j as u8, Loc::Arg(k));
        }
        self.line("call 6");
    }

    /// The 32-bit number in the key slot into `reg`.
    pub(crate) fn load_key(&mut self, reg: u8) {
        let k = self.key();
        self.line(&format!("ldxw %r{reg}, [%r10{k}]"));
    }

    /// Copies `n` bytes from `[r0]` to `[r1]` (through `r2`).
    pub(crate) fn copy(&mut self, n: u32) {
        self.copy_to(n, 0);
    }

    /// Copies `n` bytes from `[r0]` to `[r1 + at]` (through `r2`).
    pub(crate) fn copy_to(&mut self, n: u32, at: u32) {
        let mut i = 0;
        for (w, s) in [(8, "dw"), (4, "w"), (2, "h"), (1, "b")] {
            while n - i >= w {
                self.line(&format!("ldx{s} %r2, [%r0+{i}]"));
                self.line(&format!("stx{s} [%r1+{}], %r2", at + i));
                i += w;
            }
        }
    }
}

/// Writes the program: prologue, every reachable instruction of every instance, the failure
/// exit.
pub(crate) fn run(env: &Env<'_>, states: &States) -> Result<String, LowerError> {
    let insts: Vec<_> = (0..env.inst_count() as u16).map(|n| env.inst(n)).collect();
    let extent = |f: &dyn Fn(&Inst, &FnInfo<'_>) -> usize| {
        insts
            .iter()
            .map(|x| f(x, &env.funcs[x.func]))
            .max()
            .unwrap_or(0)
    };
    let mut a = Asm {
        out: String::new(),
        frame_depths: extent(&|x, fi| x.stack_base + fi.f.stack_size as usize).saturating_sub(2),
        locals: extent(&|x, fi| x.local_base + fi.f.var_count as usize),
        pairs: extent(&|x, fi| x.pair_base + fi.pair_sites.len()),
        format_bytes: env
            .strings
            .max_format_len(LOG_PREFIX_BYTES)
            .next_multiple_of(8),
        next: 0,
        inst: 0,
    };
    let frame = a.frame_bytes();
    if frame > 512 {
        return Err(LowerError::new(
            &env.name,
            None,
            format!(
                "needs a {frame}-byte frame (stack, locals, arrays and log formats); eBPF has 512"
            ),
        ));
    }
    let h = env.header;
    a.line(&format!("mov %r{R_BLOB}, %r1"));
    a.line(&format!("mov %r{R_LEN}, %r2"));
    a.line(&format!("jlt %r{R_LEN}, {h}, Lfail"));
    a.line(&format!("lddw %r0, {}", MAX_DATA + h as u64));
    a.line(&format!("jgt %r{R_LEN}, %r0, Lfail"));
    let c = a.counter();
    a.line(&format!("stdw [%r10{c}], 0"));
    if env.uses_clock {
        // `nowNs` is constant within a run, as on QuickJS.
        a.line("call 5");
        a.store(Loc::Clock, 0);
    }
    for (n, inst) in insts.iter().enumerate() {
        let fi = &env.funcs[inst.func];
        let code = &fi.f.code;
        let n = n as u16;
        a.inst = n;
        let states = &states[usize::from(n)];
        let mut skip = false;
        for (i, ins) in code.iter().enumerate() {
            let l = a.label_of(ins.pc);
            a.label(&l);
            if std::mem::take(&mut skip) {
                continue;
            }
            let Some(st) = &states[i] else {
                continue;
            };
            let fuse_next = code
                .get(i + 1)
                .filter(|x| !fi.targets.contains(&x.pc) && states[i + 1].is_some());
            let mut step = Step {
                env,
                n,
                inst: *inst,
                fi,
                ins,
                idx: i,
                fuse_next,
                asm: Some(&mut a),
                st: st.clone(),
                fused: false,
            };
            let next = step.run()?;
            skip = step.fused;
            if next.fall.is_some() && i + 1 == code.len() {
                return Err(LowerError::new(
                    &fi.name,
                    Some(ins),
                    "falls off the end of the code",
                ));
            }
        }
    }
    a.label("Lfail");
    a.line(&format!("mov32 %r0, {}", env.default_rc as i32));
    a.line("exit");
    Ok(a.out)
}
