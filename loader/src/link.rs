//! Linking one program: its section's code, then `.text` when it calls sub-programs there, with
//! every call relocation turned into a pc-relative bpf-to-bpf call.

use crate::elf::{ElfObject, ProgramInfo};
use crate::error::{ElfError, relocation, unsupported};

/// `R_BPF_64_64`: `lddw` of a map or of global data.
const R_BPF_64_64: u32 = 1;
/// `R_BPF_64_ABS64` and `R_BPF_64_ABS32`/`NODYLD32`: debug information only.
const R_BPF_DEBUG: [u32; 3] = [2, 3, 4];
/// `R_BPF_64_32`: a call.
const R_BPF_64_32: u32 = 10;
/// Opcode of `call`.
const CALL: u8 = 0x85;

/// A program ready for [`oxbpf_core::Program::from_bytes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedProgram {
    /// Its name.
    pub name: String,
    /// Its section.
    pub section: String,
    /// Its bytecode, sub-programs appended.
    pub bytecode: Vec<u8>,
}

/// Links `info` from `obj`.
pub(crate) fn link(obj: &ElfObject, info: &ProgramInfo) -> Result<LinkedProgram, ElfError> {
    let entry = obj
        .code
        .iter()
        .position(|s| s.name == info.section)
        .ok_or(ElfError::NoPrograms)?;
    if info.offset != 0 {
        return Err(unsupported(
            &info.section,
            info.offset,
            format!("program `{}` not at the start of its section", info.name),
        ));
    }
    let mut out = obj.code[entry].data.clone();
    // (code section, first instruction index in `out`), in placement order.
    let mut placed: Vec<(usize, usize)> = vec![(entry, 0)];
    // (instruction index of a call, its target index, section and offset for messages).
    let mut calls: Vec<(usize, i64, usize, u64)> = Vec::new();
    let mut next = 0;
    while let Some(&(s, base)) = placed.get(next) {
        next += 1;
        let sec = &obj.code[s];
        for r in &sec.relocs {
            match r.r_type {
                R_BPF_64_32 => {
                    let pc = base + (r.offset / 8) as usize;
                    let mut slot = [0u8; 8];
                    slot.copy_from_slice(&out[pc * 8..pc * 8 + 8]);
                    if slot[0] != CALL {
                        return Err(relocation(
                            &sec.name,
                            r.offset,
                            "call relocation on a non-call",
                        ));
                    }
                    let Some(t) = r.target.code_section else {
                        return Err(unsupported(
                            &sec.name,
                            r.offset,
                            format!("call to `{}` outside the object's code", r.target.name),
                        ));
                    };
                    let target_base = match placed.iter().find(|(p, _)| *p == t) {
                        Some(&(_, b)) => b,
                        None if obj.code[t].name == ".text" => {
                            let b = out.len() / 8;
                            out.extend_from_slice(&obj.code[t].data);
                            placed.push((t, b));
                            b
                        }
                        None => {
                            return Err(unsupported(
                                &sec.name,
                                r.offset,
                                format!("call into program section `{}`", obj.code[t].name),
                            ));
                        }
                    };
                    let imm = i32::from_le_bytes([slot[4], slot[5], slot[6], slot[7]]);
                    let target =
                        target_base as i64 + (r.target.value / 8) as i64 + i64::from(imm) + 1;
                    calls.push((pc, target, s, r.offset));
                }
                R_BPF_64_64 => {
                    return Err(unsupported(
                        &sec.name,
                        r.offset,
                        format!(
                            "`lddw` of `{}` in `{}` (maps and global data)",
                            r.target.name, r.target.section_name
                        ),
                    ));
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
        out[pc * 8 + 4..pc * 8 + 8].copy_from_slice(&rel.to_le_bytes());
    }
    Ok(LinkedProgram {
        name: info.name.clone(),
        section: info.section.clone(),
        bytecode: out,
    })
}
