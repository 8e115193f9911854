//! What a manifest must agree on with this runtime before its program loads, in the
//! reference's order: the API version, the target, the helper versions, the hook's context ABI.

use crate::JsError;
use oxbpf_loader::mbpf::manifest::{API_VERSION, HOOK_CTX_ABI_VERSION, Manifest};

/// The helpers a manifest may name in `helper_versions`, all at version 0.1.
pub const HELPERS: [&str; 9] = [
    "log",
    "u64LoadLE",
    "u64StoreLE",
    "nowNs",
    "emit",
    "stats",
    "mapLookup",
    "mapUpdate",
    "mapDelete",
];

/// `major.minor` of a `major << 16 | minor` version.
fn dotted(v: u32) -> String {
    format!("{}.{}", v >> 16, v & 0xffff)
}

/// Whether a program written for `wanted` runs on `have`: same major, minor not newer.
fn compatible(wanted: u32, have: u32) -> bool {
    wanted >> 16 == have >> 16 && wanted & 0xffff <= have & 0xffff
}

/// Checks `m` against this runtime.
pub fn check(m: &Manifest) -> Result<(), JsError> {
    let refuse = |msg: String| Err(JsError::Load(msg));
    if !compatible(m.api_version, API_VERSION) {
        return refuse(format!(
            "mbpf_api_version {} is not supported (this runtime: {})",
            dotted(m.api_version),
            dotted(API_VERSION)
        ));
    }
    let little = cfg!(target_endian = "little");
    if m.word_size != usize::BITS || m.little_endian != little {
        return refuse(format!(
            "the bundle targets {}-bit {} endian, this machine is {}-bit {} endian",
            m.word_size,
            if m.little_endian { "little" } else { "big" },
            usize::BITS,
            if little { "little" } else { "big" }
        ));
    }
    for (name, v) in &m.helper_versions {
        if !HELPERS.contains(&name.as_str()) {
            return refuse(format!("helper_versions names unknown helper `{name}`"));
        }
        if !compatible(*v, API_VERSION) {
            return refuse(format!(
                "helper `{name}` version {} is not supported (this runtime: {})",
                dotted(*v),
                dotted(API_VERSION)
            ));
        }
    }
    if m.hook_ctx_abi_version != HOOK_CTX_ABI_VERSION {
        return refuse(format!(
            "hook_ctx_abi_version {} does not match this runtime's {HOOK_CTX_ABI_VERSION}",
            m.hook_ctx_abi_version
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxbpf_loader::mbpf::manifest::Hook;

    #[test]
    fn versions_targets_and_helpers_are_checked() {
        let ok = Manifest::new("p", "1", Hook::NetRx);
        assert_eq!(check(&ok), Ok(()));
        let mut m = ok.clone();
        m.api_version = 1 << 16;
        assert!(
            check(&m)
                .unwrap_err()
                .to_string()
                .contains("1.0 is not supported (this runtime: 0.1)")
        );
        let mut m = ok.clone();
        m.api_version = 2;
        assert!(check(&m).is_err());
        let mut m = ok.clone();
        m.api_version = 0;
        assert_eq!(check(&m), Ok(()));
        let mut m = ok.clone();
        m.word_size = if usize::BITS == 64 { 32 } else { 64 };
        assert!(check(&m).unwrap_err().to_string().contains("endian"));
        let mut m = ok.clone();
        m.little_endian = !m.little_endian;
        assert!(check(&m).is_err());
        let mut m = ok.clone();
        m.helper_versions.push(("log".into(), 1));
        assert_eq!(check(&m), Ok(()));
        m.helper_versions.push(("teleport".into(), 1));
        assert!(check(&m).unwrap_err().to_string().contains("teleport"));
        let mut m = ok.clone();
        m.helper_versions.push(("emit".into(), 3));
        assert!(check(&m).unwrap_err().to_string().contains("0.3"));
        let mut m = ok;
        m.hook_ctx_abi_version = 2;
        assert!(
            check(&m)
                .unwrap_err()
                .to_string()
                .contains("hook_ctx_abi_version 2")
        );
    }
}
