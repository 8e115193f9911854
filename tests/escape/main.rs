//! Escapes: programs a sound verifier must refuse, because run with their checks elided they
//! could write host memory, reach outside the sandbox, read memory they never wrote or hand a
//! host address to the host.
//!
//! Each must-reject program runs on every backend twice:
//!
//! - with the verifier off, it must load, behave identically on the interpreter, the JIT and the
//!   AOT backend (`r0` or the trap and its instruction, the context and every map afterwards) and
//!   touch nothing outside its regions: the run-time checks alone keep it in; and its run on the
//!   interpreter must show the harm it attempts (a trap, a changed canary, a leaked address, bytes
//!   read from a canary or stale stack), unless the case says the harm is one of policy only
//!   (`quiet`: a helper refusing the wrong map, part of an address);
//! - with the verifier on, it must be refused, with a verifier error, on every backend. One that
//!   is accepted is a failure; it then runs anyway, in a child process (elided checks may crash
//!   the host), to report what escaped.
//!
//! Canaries: the context (`CTX_LEN` bytes) sits between two guards of `CTX_CANARY`; the stack is a
//! [`StackBuffer`] `STACK_EXTRA` bytes deeper than the frames a run may use, everything below the
//! frames the program may reach is `STACK_CANARY` and the frames start `STALE` (what an earlier
//! run on a reused stack leaves); every array map has seven spare values of `MAP_CANARY` after
//! the one programs use, every hash map two spare keys, and read-only maps are compared whole.
//! The context holds numbers the attacks use (see [`plant`]): addresses inside the canaries, an
//! index past the context, a negative offset.
//!
//! Two more kinds guard the other side. Must-accept neighbours, programs real code is made of,
//! guard the verifier's precision: they must load verified on every backend and give the
//! unverified interpreter's answer. Contained programs reach past the context by offsets only
//! the run knows: a sound verifier may accept them with their run-time check, so verified they
//! must trap exactly where they trap unverified.
//!
//! `OXBPF_ESCAPE_ONLY=text` runs only the programs whose name contains `text`;
//! `OXBPF_ESCAPE_VERBOSE=1` prints why the verifier refuses each program.

mod asm;
mod contained;
mod frames_loops_branches;
mod harness;
mod helpers_over_spills;
mod host_helpers;
mod laundering;
mod leaks;
mod map_types;
mod maps;
mod must_accept;
mod pointer_arithmetic;
mod read_only_maps;
mod unknown_helpers;

use contained::contained;
use frames_loops_branches::frames_loops_branches;
use harness::{Buffers, CHILD_BACKEND, CHILD_CASE, CHILD_MARK, Case, check_category, run};
use helpers_over_spills::helpers_writing_over_spills;
use laundering::pointer_laundering;
use leaks::address_leaks;
use map_types::map_type_confusion;
use must_accept::must_accept;
use pointer_arithmetic::pointer_arithmetic;
use read_only_maps::read_only_maps;
use unknown_helpers::helpers_without_prototypes;

fn must_reject() -> Vec<Case> {
    [
        helpers_without_prototypes(),
        helpers_writing_over_spills(),
        pointer_laundering(),
        address_leaks(),
        map_type_confusion(),
        read_only_maps(),
        pointer_arithmetic(),
        frames_loops_branches(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

// Tests.

#[test]
fn helpers_the_verifier_cannot_model() {
    check_category("helpers without prototypes", helpers_without_prototypes());
}

#[test]
fn helpers_writing_over_spilled_pointers() {
    check_category("helpers writing over spills", helpers_writing_over_spills());
}

#[test]
fn pointers_laundered_into_numbers() {
    check_category("pointer laundering", pointer_laundering());
}

#[test]
fn addresses_leaked_to_the_host() {
    check_category("address leaks", address_leaks());
}

#[test]
fn maps_of_the_wrong_type() {
    check_category("map type confusion", map_type_confusion());
}

#[test]
fn read_only_maps_written() {
    check_category("read-only maps", read_only_maps());
}

#[test]
fn pointer_arithmetic_out_of_bounds() {
    check_category("pointer arithmetic", pointer_arithmetic());
}

#[test]
fn attacks_through_frames_loops_and_branches() {
    check_category("frames, loops, branches", frames_loops_branches());
}

#[test]
fn safe_neighbours_are_accepted() {
    check_category("must-accept neighbours", must_accept());
}

#[test]
fn the_suite_is_large_and_its_names_unique() {
    let reject = must_reject();
    assert!(reject.len() >= 160, "{} must-reject programs", reject.len());
    let others: Vec<Case> = must_accept().into_iter().chain(contained()).collect();
    let mut names: Vec<&str> = reject.iter().chain(&others).map(|c| c.name).collect();
    let all = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all, "duplicate case names");
}

#[test]
fn accepted_programs_stay_contained() {
    check_category("contained programs", contained());
}

/// Runs, in a child process started by [`run_in_child`], the accepted program named by
/// `OXBPF_ESCAPE_CASE` verified on `OXBPF_ESCAPE_BACKEND`; does nothing otherwise.
#[test]
fn child_runs_one_accepted_program() {
    let (Ok(name), Ok(backend)) = (std::env::var(CHILD_CASE), std::env::var(CHILD_BACKEND)) else {
        return;
    };
    let case = must_reject()
        .into_iter()
        .chain(contained())
        .find(|c| c.name == name)
        .expect("a case of that name");
    let line = match run(&case, &backend, true, &mut Buffers::new()) {
        Ok(o) => o.summary(),
        Err(e) => format!("refused in the child: {e}"),
    };
    println!("{CHILD_MARK}{line}");
}
