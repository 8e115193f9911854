//! Helper prototypes from C: `struct oxbpf_helper_proto` and its argument and return codes (the
//! header's `OXBPF_ARG_*` and `OXBPF_RET_*`), turned into the verifier's [`Proto`].

use oxbpf::{Arg, MapArg, MapTypes, Proto, Ret};

/// The header's `struct oxbpf_helper_proto`: what `r1`-`r5` must hold (`OXBPF_ARG_*` codes)
/// and what `r0` holds after the call (an `OXBPF_RET_*` code).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OxbpfHelperProto {
    /// The argument codes of `r1` to `r5`.
    pub args: [u32; 5],
    /// The return code.
    pub ret: u32,
}

/// The argument codes, as the header numbers them (`OXBPF_ARG_<name>`), and what each means.
const ARGS: [(&str, Arg); 15] = [
    ("UNUSED", Arg::Unused),
    ("ANY", Arg::Any),
    ("NUMBER", Arg::Scalar),
    ("MAP", Arg::Map(MapArg::ANY)),
    ("MAP_WRITE", Arg::Map(MapArg::writes(MapTypes::ANY))),
    ("MAP_KEY", Arg::MapKey),
    ("MAP_VALUE", Arg::MapValue),
    ("MAP_VALUE_OUT", Arg::MapValueOut),
    ("MEM", Arg::Mem),
    ("MEM_OUT", Arg::MemOut),
    ("SIZE", Arg::Size),
    ("ADDRESS", Arg::Address),
    ("CTX", Arg::Ctx),
    ("MEM_INOUT", Arg::MemInOut),
    ("MEM_OR_NULL", Arg::MemOrNull),
];

/// The return codes, as the header numbers them (`OXBPF_RET_<name>`), and what each means.
const RETS: [(&str, Ret); 2] = [
    ("NUMBER", Ret::Scalar),
    ("MAP_VALUE_OR_NULL", Ret::MapValueOrNull),
];

impl OxbpfHelperProto {
    /// The prototype these codes describe; `None` if one is unknown.
    pub(crate) fn to_proto(self) -> Option<Proto> {
        let code = |c: u32| usize::try_from(c).ok();
        let mut args = [Arg::Unused; 5];
        for (arg, c) in args.iter_mut().zip(self.args) {
            *arg = ARGS.get(code(c)?)?.1;
        }
        let ret = RETS.get(code(self.ret)?)?.1;
        Some(Proto { args, ret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of `#define NAME value` in the header.
    fn header_define(name: &str) -> Option<u32> {
        include_str!("../include/ebpf-vm.h")
            .lines()
            .find_map(|line| {
                let mut words = line.split_whitespace();
                (words.next() == Some("#define") && words.next() == Some(name))
                    .then(|| words.next()?.parse().ok())
                    .flatten()
            })
    }

    #[test]
    fn codes_match_the_header() {
        for (i, (name, _)) in ARGS.iter().enumerate() {
            let define = format!("OXBPF_ARG_{name}");
            assert_eq!(header_define(&define), Some(i as u32), "{define}");
        }
        for (i, (name, _)) in RETS.iter().enumerate() {
            let define = format!("OXBPF_RET_{name}");
            assert_eq!(header_define(&define), Some(i as u32), "{define}");
        }
    }

    #[test]
    fn converts_known_codes_and_refuses_others() {
        let c = OxbpfHelperProto {
            args: [3, 5, 9, 10, 0],
            ret: 1,
        };
        assert_eq!(
            c.to_proto(),
            Some(Proto {
                args: [
                    Arg::Map(MapArg::ANY),
                    Arg::MapKey,
                    Arg::MemOut,
                    Arg::Size,
                    Arg::Unused
                ],
                ret: Ret::MapValueOrNull,
            })
        );
        let inout = OxbpfHelperProto {
            args: [13, 10, 0, 0, 0],
            ret: 0,
        };
        assert_eq!(inout.to_proto().map(|p| p.args[0]), Some(Arg::MemInOut));
        let write = OxbpfHelperProto {
            args: [4, 0, 0, 0, 0],
            ret: 0,
        };
        assert_eq!(
            write.to_proto().map(|p| p.args[0]),
            Some(Arg::Map(MapArg::writes(MapTypes::ANY)))
        );
        for bad in [
            OxbpfHelperProto {
                args: [15, 0, 0, 0, 0],
                ret: 0,
            },
            OxbpfHelperProto {
                args: [0, 0, 0, 0, u32::MAX],
                ret: 0,
            },
            OxbpfHelperProto {
                args: [0; 5],
                ret: 2,
            },
        ] {
            assert_eq!(bad.to_proto(), None, "{bad:?}");
        }
    }
}
