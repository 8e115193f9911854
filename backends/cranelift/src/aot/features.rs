//! Whether this machine has the CPU features an object's code uses, checked with the standard
//! library's run-time detection (no Cranelift).

use super::AotError;

/// Whether this machine has Cranelift's feature `name`; `None` for a name this build cannot check.
fn host_has(name: &str) -> Option<bool> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        Some(match name {
            "has_sse3" => has!("sse3"),
            "has_ssse3" => has!("ssse3"),
            "has_sse41" => has!("sse4.1"),
            "has_sse42" => has!("sse4.2"),
            "has_popcnt" => has!("popcnt"),
            "has_avx" => has!("avx"),
            "has_avx2" => has!("avx2"),
            "has_fma" => has!("fma"),
            "has_bmi1" => has!("bmi1"),
            "has_bmi2" => has!("bmi2"),
            "has_lzcnt" => has!("lzcnt"),
            "has_cmpxchg16b" => has!("cmpxchg16b"),
            "has_avx512f" => has!("avx512f"),
            "has_avx512dq" => has!("avx512dq"),
            "has_avx512vl" => has!("avx512vl"),
            "has_avx512bitalg" => has!("avx512bitalg"),
            "has_avx512vbmi" => has!("avx512vbmi"),
            "has_avx512vnni" => has!("avx512vnni"),
            "has_avx_vnni" => has!("avxvnni"),
            _ => return None,
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = name;
        None
    }
}

/// Fails on the first feature this machine lacks or cannot confirm.
pub(super) fn check(features: &[String]) -> Result<(), AotError> {
    match features.iter().find(|f| host_has(f) != Some(true)) {
        Some(f) => Err(AotError::CpuFeature(f.clone())),
        None => Ok(()),
    }
}
