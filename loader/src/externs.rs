//! `extern` variables, as libbpf resolves them. `extern u32 LINUX_KERNEL_VERSION __kconfig;` (or
//! any `CONFIG_*` option) is an undefined symbol that BTF lists in the `.kconfig` data section;
//! the loader gathers every such variable the code loads into one read-only global-data map,
//! `.kconfig`, each at an offset aligned to its size, and the host gives their values
//! ([`Kconfig`]) when it creates the map. A variable without a value is an error unless it is
//! `__weak` (then 0), as libbpf has it.

use crate::btf::Btf;
use crate::elf::CodeSection;
use crate::error::{ElfError, malformed};
use crate::maps::{MapSpec, data_map};
use std::collections::BTreeMap;

/// The section BTF places `__kconfig` variables in, and the name of their map.
pub(crate) const KCONFIG: &str = ".kconfig";

/// `R_BPF_64_64`: the relocation of an `lddw`.
const R_BPF_64_64: u32 = 1;

/// One `extern` variable of a `.kconfig` map.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Extern {
    /// Its name (`LINUX_KERNEL_VERSION`, `CONFIG_HZ`, ...).
    pub name: String,
    /// Its byte offset in the map's value.
    pub offset: u32,
    /// Its size in bytes.
    pub size: u32,
    /// Whether it is `__weak`: without a value it is 0 rather than an error.
    pub weak: bool,
}

/// The `.kconfig` map of the `__kconfig` variables the code sections `code` load, if any.
pub(crate) fn kconfig_map(
    code: &[CodeSection],
    btf: Option<&Btf<'_>>,
) -> Result<Option<MapSpec>, ElfError> {
    let Some(btf) = btf else {
        return Ok(None);
    };
    let mut externs: Vec<Extern> = Vec::new();
    let mut end = 0u32;
    for sec in code {
        for r in sec.relocs.iter().filter(|r| r.r_type == R_BPF_64_64) {
            let Some(weak) = r.target.undefined else {
                continue;
            };
            let name = &r.target.name;
            if externs.iter().any(|e| &e.name == name) {
                continue;
            }
            let Some((section, ty)) = btf.var_section(name) else {
                continue;
            };
            if section != KCONFIG {
                continue;
            }
            let size = btf
                .size_of(ty)
                .and_then(|s| u32::try_from(s).ok())
                .filter(|&s| (1..=4096).contains(&s))
                .ok_or_else(|| {
                    malformed(
                        &sec.name,
                        r.offset,
                        format!("extern `{name}` has no sized BTF type"),
                    )
                })?;
            let align = size.next_power_of_two().min(8);
            let offset = end.div_ceil(align) * align;
            end = offset + size;
            externs.push(Extern {
                name: name.clone(),
                offset,
                size,
                weak,
            });
        }
    }
    if externs.is_empty() {
        return Ok(None);
    }
    let mut map = data_map(KCONFIG, vec![0; end as usize])?;
    map.def.flags = oxbpf_helpers::map::BPF_F_RDONLY_PROG;
    map.externs = externs;
    map.into_spec().map(Some)
}

/// The values of `__kconfig` variables a host gives an object's `.kconfig` map: numbers by name
/// (`LINUX_KERNEL_VERSION`, `CONFIG_HZ`; a tristate option as libbpf has it: 0 no, 1 yes, 2
/// module; a boolean as 0 or 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kconfig {
    values: BTreeMap<String, u64>,
}

impl Kconfig {
    /// No values: every variable the object does not declare `__weak` is an error.
    pub fn new() -> Kconfig {
        Kconfig::default()
    }

    /// What libbpf would give on this machine: `LINUX_KERNEL_VERSION` from the running
    /// kernel's release (`KERNEL_VERSION(major, minor, patch)`, the patch capped at 255), when
    /// it can be read; `LINUX_HAS_SYSCALL_WRAPPER` 1, as on every x86-64 and aarch64 kernel
    /// since 4.17 (the `BPF_KSYSCALL` macros then read a syscall's arguments through the
    /// `pt_regs` pointer the context holds); `LINUX_HAS_BPF_COOKIE` 0, as the crate's helpers
    /// have no `get_attach_cookie` (a host that registers one sets it to 1).
    pub fn host() -> Kconfig {
        let mut k = Kconfig::new();
        k.set("LINUX_HAS_SYSCALL_WRAPPER", 1);
        k.set("LINUX_HAS_BPF_COOKIE", 0);
        if let Some(v) = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .and_then(|r| kernel_version(&r))
        {
            k.set("LINUX_KERNEL_VERSION", v);
        }
        k
    }

    /// Sets the value of variable `name`.
    pub fn set(&mut self, name: &str, value: u64) -> &mut Kconfig {
        self.values.insert(name.to_owned(), value);
        self
    }

    /// The value of variable `name`, if set.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.values.get(name).copied()
    }

    /// The contents of `spec`'s map: its data with each of its [`externs`](MapSpec::externs)
    /// written (little-endian, in its size), or an error naming a variable without a value or
    /// whose value does not fit.
    pub fn fill(&self, spec: &MapSpec) -> Result<Vec<u8>, ElfError> {
        let mut data = spec.data.clone().unwrap_or_default();
        for e in &spec.externs {
            let err = |detail: String| ElfError::Extern {
                name: e.name.clone(),
                detail,
            };
            let value = match (self.get(&e.name), e.weak) {
                (Some(v), _) => v,
                (None, true) => 0,
                (None, false) => {
                    return Err(err(
                        "no value: the host gives it (Kconfig::set), or the object declares it \
                         __weak"
                            .into(),
                    ));
                }
            };
            let width = (e.size as usize).min(8);
            if width < 8 && value >> (8 * width) != 0 {
                return Err(err(format!("{value} does not fit its {} bytes", e.size)));
            }
            let at = e.offset as usize;
            let slot = data
                .get_mut(at..at + width)
                .ok_or_else(|| err(format!("offset {at} outside the map's value")))?;
            slot.copy_from_slice(&value.to_le_bytes()[..width]);
        }
        Ok(data)
    }
}

/// `KERNEL_VERSION(a, b, c)` of a release string such as `6.1.0-18-amd64`.
fn kernel_version(release: &str) -> Option<u64> {
    let mut parts = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u64>().ok());
    let (a, b) = (parts.next()??, parts.next()??);
    let c = parts.next().flatten().unwrap_or(0);
    Some(a.min(255) << 16 | b.min(255) << 8 | c.min(255))
}

#[cfg(test)]
mod tests {
    use super::kernel_version;

    #[test]
    fn kernel_versions_read_as_libbpf_reads_them() {
        assert_eq!(kernel_version("6.1.0-18-amd64\n"), Some(0x06_01_00));
        assert_eq!(kernel_version("5.15.300"), Some(0x05_0f_ff));
        assert_eq!(kernel_version("4.19"), Some(0x04_13_00));
        assert_eq!(kernel_version("linux"), None);
    }
}
