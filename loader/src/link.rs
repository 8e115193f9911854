//! Linking one program: its section's code, then `.text` when it calls sub-programs there, with
//! every call relocation turned into a pc-relative bpf-to-bpf call.

use crate::elf::{ElfObject, ProgramInfo};
use crate::error::{ElfError, relocation, unsupported};
use oxbpf_core::Insn;
use oxbpf_core::isa::{
    AluOp, Builder, Cond, Imm64Kind, Operand, Reg, Width, decode, decode_one, encode, encode_into,
};
use oxbpf_helpers::standard;

/// `R_BPF_64_64`: `lddw` of a map or of global data.
const R_BPF_64_64: u32 = 1;
/// `R_BPF_64_ABS64` and `R_BPF_64_ABS32`/`NODYLD32`: debug information only.
const R_BPF_DEBUG: [u32; 3] = [2, 3, 4];
/// `R_BPF_64_32`: a call.
const R_BPF_64_32: u32 = 10;

/// A program linked from its object: bytecode whose `lddw`s of maps and global data name the
/// map by its index in [`ElfObject::maps`] as Linux's `BPF_PSEUDO_MAP_IDX` (`src=5`, the index)
/// and `BPF_PSEUDO_MAP_IDX_VALUE` (`src=6`, the index and the byte offset in the value in the
/// high half) do; the host points them at the maps it created before it checks the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedProgram {
    /// Its name.
    pub name: String,
    /// Its section.
    pub section: String,
    /// Its bytecode, sub-programs appended.
    pub bytecode: Vec<u8>,
    /// The heads of the loops `bpf_loop` calls became: each runs at most 2^23 times and
    /// nothing else jumps into its function (see `oxbpf_verifier::Env::bounded_loops`).
    pub bounded_loops: Vec<usize>,
    /// Where its instructions come from in the source (`.BTF.ext` line info, empty without
    /// it), in instruction order; each record covers the instructions up to the next one.
    pub lines: Vec<LineInfo>,
    /// Its functions (`.BTF.ext` function info, empty without it), in instruction order.
    pub functions: Vec<FuncInfo>,
}

/// The source line of instructions of a linked program, from `.BTF.ext` line info.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineInfo {
    /// The first instruction it covers: its index in the linked program.
    pub insn: usize,
    /// The source file, as the compiler named it.
    pub file: String,
    /// The line number, from 1 (0 where the compiler gave none).
    pub line: u32,
    /// The column, from 1 (0 where the compiler gave none).
    pub column: u32,
    /// The text of the source line, as clang stores it in the BTF strings (empty when it did
    /// not).
    pub source: String,
}

/// A function of a linked program, from `.BTF.ext` function info.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    /// Its first instruction: its index in the linked program.
    pub insn: usize,
    /// Its name.
    pub name: String,
}

impl LineInfo {
    /// The line of instruction `insn` among `lines` (sorted by instruction): the closest record
    /// at or before it.
    pub fn of(lines: &[LineInfo], insn: usize) -> Option<&LineInfo> {
        let after = lines.partition_point(|l| l.insn <= insn);
        after.checked_sub(1).map(|i| &lines[i])
    }
}

impl LinkedProgram {
    /// The source line of instruction `insn`: the closest line record at or before it.
    pub fn line_of(&self, insn: usize) -> Option<&LineInfo> {
        LineInfo::of(&self.lines, insn)
    }

    /// Whether it loads maps or global data: `lddw`s that only the maps of a host, created from
    /// [`ElfObject::maps`], give a meaning.
    pub fn uses_maps(&self) -> bool {
        decode(&self.bytecode).is_ok_and(|insns| insns.iter().any(|i| i.map_reference().is_some()))
    }
}

/// Places `.text` (code section `t`) after the code linked so far, once; its first instruction
/// index.
fn place(
    obj: &ElfObject,
    out: &mut Vec<u8>,
    placed: &mut Vec<(usize, usize)>,
    t: usize,
    sec: &str,
    offset: u64,
) -> Result<usize, ElfError> {
    match placed.iter().find(|(p, _)| *p == t) {
        Some(&(_, b)) => Ok(b),
        None if obj.code[t].name == ".text" => {
            let b = out.len() / 8;
            out.extend_from_slice(&obj.code[t].data);
            placed.push((t, b));
            Ok(b)
        }
        None => Err(unsupported(
            sec,
            offset,
            format!("reference into program section `{}`", obj.code[t].name),
        )),
    }
}

/// Links `info` from `obj`.
pub(crate) fn link(obj: &ElfObject, info: &ProgramInfo) -> Result<LinkedProgram, ElfError> {
    let entry = obj
        .code
        .iter()
        .position(|s| s.name == info.section)
        .ok_or(ElfError::NoPrograms)?;
    // The program's own function comes first. When it does not start its section (several
    // programs in one section, or a global function of `.text` after others), the whole section
    // follows it as sub-program code, so that its calls into the section's other functions (with
    // or without relocations) reach them there.
    let section = &obj.code[entry];
    let start = info.offset;
    let (mut out, mut placed, prefix) = if start == 0 {
        (section.data.clone(), vec![(entry, 0)], None)
    } else {
        let end = section
            .functions
            .iter()
            .map(|f| f.offset)
            .filter(|&o| o > start)
            .min()
            .unwrap_or(section.data.len() as u64);
        let mut out = section
            .data
            .get(start as usize..end as usize)
            .ok_or_else(|| relocation(&info.section, start, "program outside its section"))?
            .to_vec();
        let base = out.len() / 8;
        out.extend_from_slice(&section.data);
        (out, vec![(entry, base)], Some((start, end)))
    };
    // (instruction index of a call, its target index, section and offset for messages).
    let mut calls: Vec<(usize, i64, usize, u64)> = Vec::new();
    // (instruction index of an `lddw` of a function, the function's index).
    let mut funcs: Vec<(usize, usize)> = Vec::new();
    // Instruction indexes of the `lddw`s relocated to maps.
    let mut map_loads = std::collections::HashSet::new();
    // Each pass relocates the part of a code section in `lo..hi` whose byte offset `o` is
    // instruction `o / 8 + shift` of `out`: the program's own function first, then each placed
    // section.
    let mut pass = prefix.map(|(lo, hi)| (entry, -((lo / 8) as i64), lo, hi));
    let mut next = 0;
    loop {
        let (s, shift, lo, hi) = match pass.take() {
            Some(p) => p,
            None => match placed.get(next) {
                Some(&(s, base)) => {
                    next += 1;
                    (s, base as i64, 0, u64::MAX)
                }
                None => break,
            },
        };
        let sec = &obj.code[s];
        for r in sec.relocs.iter().filter(|r| (lo..hi).contains(&r.offset)) {
            let pc = ((r.offset / 8) as i64 + shift) as usize;
            let insn = insn_at(&out, pc);
            match r.r_type {
                R_BPF_64_32 => {
                    // The immediate is the callee's slot relative to the call, less one.
                    let imm = match insn {
                        Some(Insn::CallLocal { off }) => off,
                        Some(Insn::Call { helper }) => helper as i32,
                        _ => {
                            return Err(relocation(
                                &sec.name,
                                r.offset,
                                "call relocation on a non-call",
                            ));
                        }
                    };
                    let Some(t) = r.target.code_section else {
                        return Err(unsupported(
                            &sec.name,
                            r.offset,
                            format!("call to `{}` outside the object's code", r.target.name),
                        ));
                    };
                    let target_base = place(obj, &mut out, &mut placed, t, &sec.name, r.offset)?;
                    let target =
                        target_base as i64 + (r.target.value / 8) as i64 + i64::from(imm) + 1;
                    calls.push((pc, target, s, r.offset));
                }
                R_BPF_64_64 => {
                    let Some(Insn::LoadImm64 { dst, imm, .. }) = insn else {
                        return Err(relocation(
                            &sec.name,
                            r.offset,
                            "lddw relocation on a non-lddw",
                        ));
                    };
                    // The addend: the low half, signed.
                    let at = r.target.value as i64 + i64::from(imm as u32 as i32);
                    if let Some(t) = r.target.code_section {
                        let target_base =
                            place(obj, &mut out, &mut placed, t, &sec.name, r.offset)?;
                        if at < 0 || at % 8 != 0 || at as usize >= obj.code[t].data.len() {
                            return Err(relocation(
                                &sec.name,
                                r.offset,
                                format!(
                                    "function address {at:#x} is not an instruction of `{}`",
                                    obj.code[t].name
                                ),
                            ));
                        }
                        funcs.push((pc, target_base + at as usize / 8));
                    } else {
                        if !map_loads.insert(pc) {
                            return Err(relocation(
                                &sec.name,
                                r.offset,
                                "a second map relocation on one lddw",
                            ));
                        }
                        let load = map_load(obj, r, dst, at, &sec.name)?;
                        put(&mut out, pc, &load);
                    }
                }
                t if R_BPF_DEBUG.contains(&t) => {}
                t => {
                    return Err(relocation(
                        &sec.name,
                        r.offset,
                        format!("unknown relocation type {t}"),
                    ));
                }
            }
        }
    }
    // Calls of the program's own function into its section that the assembler resolved (no
    // relocation) now go to the section's copy.
    if let Some((lo, hi)) = prefix {
        let base = placed[0].1 as i64;
        for pc in 0..((hi - lo) / 8) as usize {
            if let Some(Insn::CallLocal { off }) = insn_at(&out, pc)
                && !calls.iter().any(|c| c.0 == pc)
            {
                let target = base + (lo / 8) as i64 + pc as i64 + 1 + i64::from(off);
                calls.push((pc, target, entry, lo + pc as u64 * 8));
            }
        }
    }
    let len = out.len() / 8;
    for (pc, target, s, offset) in calls {
        if target < 0 || target >= len as i64 {
            return Err(relocation(
                &obj.code[s].name,
                offset,
                format!("call target {target} outside the linked program of {len} instructions"),
            ));
        }
        let rel = i32::try_from(target - (pc as i64 + 1))
            .map_err(|_| relocation(&obj.code[s].name, offset, "call distance out of range"))?;
        put(&mut out, pc, &Insn::CallLocal { off: rel });
    }
    for &(pc, f) in &funcs {
        // A function's address is its instruction index; `bpf_loop` calls that load it are
        // turned into loops below.
        if let Some(Insn::LoadImm64 { dst, kind, .. }) = insn_at(&out, pc) {
            let imm = f as u64;
            put(&mut out, pc, &Insn::LoadImm64 { dst, kind, imm });
        }
    }
    let bounded_loops = inline_bpf_loops(&mut out, &funcs);
    let (lines, functions) = debug_info(obj, entry, prefix, &placed);
    Ok(LinkedProgram {
        name: info.name.clone(),
        section: info.section.clone(),
        bytecode: out,
        bounded_loops,
        lines,
        functions,
    })
}

/// The `.BTF.ext` records of the linked code: those of the entry section's `prefix` (byte range
/// `lo..hi`, at instruction 0) and of each `placed` section at its first instruction.
fn debug_info(
    obj: &ElfObject,
    entry: usize,
    prefix: Option<(u64, u64)>,
    placed: &[(usize, usize)],
) -> (Vec<LineInfo>, Vec<FuncInfo>) {
    // (code section, its bytes in the linked code, the instruction index of its byte 0).
    let mut parts = Vec::new();
    if let Some((lo, hi)) = prefix {
        parts.push((entry, lo..hi, -((lo / 8) as i64)));
    }
    parts.extend(
        placed
            .iter()
            .map(|&(s, base)| (s, 0..u64::MAX, base as i64)),
    );
    let at = |offset: u64, shift: i64| (offset / 8) as i64 + shift;
    let mut lines = Vec::new();
    let mut functions = Vec::new();
    for (s, range, shift) in parts {
        let sec = &obj.code[s];
        for l in sec.lines.iter().filter(|l| range.contains(&l.offset)) {
            lines.push(LineInfo {
                insn: at(l.offset, shift) as usize,
                file: l.file.clone(),
                line: l.line,
                column: l.column,
                source: l.source.clone(),
            });
        }
        for f in sec.funcs.iter().filter(|f| range.contains(&f.offset)) {
            functions.push(FuncInfo {
                insn: at(f.offset, shift) as usize,
                name: f.name.clone(),
            });
        }
    }
    lines.sort_by_key(|l| l.insn);
    functions.sort_by_key(|f| f.insn);
    (lines, functions)
}

/// The `lddw` into `dst` that a map relocation `r` of section `sec`, whose target byte is `at`,
/// makes: of the object's map defined there (`map_idx`), or of the address of byte `at` of the
/// global data of the target's section (`map_idx_value`).
fn map_load(
    obj: &ElfObject,
    r: &crate::elf::Reloc,
    dst: Reg,
    at: i64,
    sec: &str,
) -> Result<Insn, ElfError> {
    let t = &r.target;
    let load = |kind, index: usize, offset: u32| Insn::LoadImm64 {
        dst,
        kind,
        imm: index as u64 | u64::from(offset) << 32,
    };
    if let Some(map) = obj
        .maps
        .iter()
        .position(|m| !m.is_global_data() && m.section == t.section_name && m.offset == t.value)
    {
        return Ok(load(Imm64Kind::MapIdx, map, 0));
    }
    if let Some(weak) = t.undefined {
        return extern_load(obj, r, weak, dst, at, sec);
    }
    let Some(map) = obj
        .maps
        .iter()
        .position(|m| m.is_global_data() && m.section == t.section_name)
    else {
        return Err(unsupported(
            sec,
            r.offset,
            format!(
                "`lddw` of `{}` in `{}` (neither a map nor global data)",
                t.name, t.section_name
            ),
        ));
    };
    let size = obj.maps[map].data.as_ref().map_or(0, Vec::len);
    let offset = u32::try_from(at)
        .ok()
        .filter(|&o| (o as usize) < size.max(1))
        .ok_or_else(|| {
            relocation(
                sec,
                r.offset,
                format!("offset {at} outside `{}` ({size} bytes)", t.section_name),
            )
        })?;
    Ok(load(Imm64Kind::MapIdxValue, map, offset))
}

/// The instruction at slot `pc` of the linked code `out`, if it decodes.
fn insn_at(out: &[u8], pc: usize) -> Option<Insn> {
    let slot: &[u8; 8] = out.get(pc * 8..pc * 8 + 8)?.try_into().ok()?;
    let next = out
        .get(pc * 8 + 8..pc * 8 + 16)
        .and_then(|s| <&[u8; 8]>::try_from(s).ok());
    decode_one(slot, next).ok()
}

/// Writes `insn` over slot `pc` of the linked code `out` (and the next one for an `lddw`).
fn put(out: &mut [u8], pc: usize, insn: &Insn) {
    let mut bytes = Vec::with_capacity(16);
    encode_into(insn, &mut bytes);
    out[pc * 8..pc * 8 + bytes.len()].copy_from_slice(&bytes);
}

/// `dst = src` at `width`.
fn mov(width: Width, dst: Reg, src: Operand) -> Insn {
    Insn::Alu {
        width,
        op: AluOp::Mov,
        dst,
        src,
    }
}

/// Register `n`; only for the constants below, so a wrong number fails the build.
const fn reg(n: u8) -> Reg {
    match Reg::new(n) {
        Some(r) => r,
        None => panic!("no such register"),
    }
}

const R3: Reg = reg(3);
const R4: Reg = reg(4);
const R6: Reg = reg(6);
const R7: Reg = reg(7);
const R8: Reg = reg(8);

/// The loop a `bpf_loop(nr, callback, ctx, flags)` call becomes: a function of its own, placed at
/// `at`, that calls `callback` (at instruction `cb`) with `(i, ctx)` for `i` in `0..nr` until it
/// returns non-zero, and returns the number of calls, as Linux's helper does (`-E2BIG` above
/// 2^23 iterations, `-EINVAL` for non-zero flags). Returns its code and the index, in it, of the
/// instruction that decides whether to run another iteration (the loop's head); `None` when the
/// callback is out of a call's reach.
fn loop_function(at: usize, cb: usize) -> Option<(Vec<u8>, usize)> {
    let (x, k) = (Operand::Reg, Operand::Imm);
    let mut b = Builder::new();
    let (head, done, e2big, einval) = (b.label(), b.label(), b.label(), b.label());
    b.jump(Width::W64, Cond::Ne, R4, k(0), einval);
    b.jump(Width::W32, Cond::Gt, Reg::R1, k(1 << 23), e2big);
    b.emit(mov(Width::W32, R6, x(Reg::R1)));
    b.emit(mov(Width::W64, R7, x(R3)));
    b.emit(mov(Width::W64, R8, k(0)));
    let head_at = b.len();
    b.bind(head);
    b.jump(Width::W64, Cond::Ge, R8, x(R6), done);
    b.emit(mov(Width::W64, Reg::R1, x(R8)));
    b.emit(mov(Width::W64, Reg::R2, x(R7)));
    // The callback is outside this function: its offset from the call's next instruction.
    let call = i32::try_from(cb as i64 - (at + b.len()) as i64 - 1).ok()?;
    b.emit(Insn::CallLocal { off: call });
    b.emit(Insn::Alu {
        width: Width::W64,
        op: AluOp::Add,
        dst: R8,
        src: k(1),
    });
    b.jump(Width::W64, Cond::Eq, Reg::R0, k(0), head);
    b.bind(done);
    b.emit(mov(Width::W64, Reg::R0, x(R8)));
    b.emit(Insn::Exit);
    b.bind(e2big);
    b.emit(mov(Width::W64, Reg::R0, k(-7)));
    b.emit(Insn::Exit);
    b.bind(einval);
    b.emit(mov(Width::W64, Reg::R0, k(-22)));
    b.emit(Insn::Exit);
    let code = b.finish().ok()?;
    Some((encode(&code), head_at))
}

/// Turns each `call bpf_loop` whose callback register `r2` was last set, in the same straight
/// run of code, by an `lddw` of a function into a local call of a loop function for that
/// callback, appended to the program. Calls whose callback cannot be seen stay helper calls
/// (and stop the run with an error that says so). Returns the loops' heads.
fn inline_bpf_loops(out: &mut Vec<u8>, funcs: &[(usize, usize)]) -> Vec<usize> {
    let Ok(insns) = decode(out) else {
        // Left for the load to report, with the instruction.
        return Vec::new();
    };
    let mut heads = Vec::new();
    let targets: std::collections::HashSet<usize> = insns
        .iter()
        .enumerate()
        .filter_map(|(pc, i)| i.target_index(pc))
        .collect();
    for (pc, insn) in insns.iter().enumerate() {
        if !matches!(insn, Insn::Call { helper } if *helper == standard::LOOP.id) {
            continue;
        }
        let mut callback = None;
        for q in (0..pc).rev() {
            if targets.contains(&(q + 1)) {
                break;
            }
            let i = &insns[q];
            if i.is_jump()
                || matches!(
                    i,
                    Insn::Exit | Insn::CallLocal { .. } | Insn::Call { .. } | Insn::Callx { .. }
                )
            {
                break;
            }
            if i.written_reg() == Some(Reg::R2) {
                callback = funcs.iter().find(|(at, _)| *at == q).map(|&(_, f)| f);
                break;
            }
        }
        let at = out.len() / 8;
        let off = i32::try_from(at as i64 - pc as i64 - 1).ok();
        if let (Some(cb), Some(off)) = (callback, off)
            && let Some((code, head)) = loop_function(at, cb)
        {
            out.extend_from_slice(&code);
            heads.push(at + head);
            out[pc * 8..pc * 8 + 8].copy_from_slice(&encode(&[Insn::CallLocal { off }]));
        }
    }
    heads
}

/// The `lddw` of the `extern` variable `r` names (`at`: its addend): the address of its bytes
/// in `.kconfig`; any other extern cannot be resolved outside the kernel.
fn extern_load(
    obj: &ElfObject,
    r: &crate::elf::Reloc,
    weak: bool,
    dst: Reg,
    at: i64,
    sec: &str,
) -> Result<Insn, ElfError> {
    let name = &r.target.name;
    let found = obj.maps.iter().enumerate().find_map(|(i, m)| {
        let e = m.externs.iter().find(|e| &e.name == name)?;
        Some((i, e))
    });
    let Some((map, e)) = found else {
        let kind = if weak { "weak extern" } else { "extern" };
        return Err(unsupported(
            sec,
            r.offset,
            format!(
                "`lddw` of the {kind} `{name}`, which is not a `__kconfig` variable (kernel \
                 symbols, `__ksym`, have no address outside the kernel)"
            ),
        ));
    };
    let offset = u32::try_from(at)
        .ok()
        .filter(|&o| o < e.size)
        .and_then(|o| o.checked_add(e.offset))
        .ok_or_else(|| {
            relocation(
                sec,
                r.offset,
                format!("offset {at} outside extern `{name}` ({} bytes)", e.size),
            )
        })?;
    Ok(Insn::LoadImm64 {
        dst,
        kind: Imm64Kind::MapIdxValue,
        imm: map as u64 | u64::from(offset) << 32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loop_function_of_bpf_loop() {
        let (code, head) = loop_function(100, 3).unwrap();
        let listing: Vec<String> = decode(&code)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            listing,
            [
                "jne %r4, 0, +14",
                "jgt32 %r1, 8388608, +11",
                "mov32 %r6, %r1",
                "mov %r7, %r3",
                "mov %r8, 0",
                "jge %r8, %r6, +5",
                "mov %r1, %r8",
                "mov %r2, %r7",
                "call local -106",
                "add %r8, 1",
                "jeq %r0, 0, -6",
                "mov %r0, %r8",
                "exit",
                "mov %r0, -7",
                "exit",
                "mov %r0, -22",
                "exit",
            ]
        );
        assert_eq!(head, 5);
    }
}
