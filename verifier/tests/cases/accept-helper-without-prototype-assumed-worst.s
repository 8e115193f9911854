# accept
# unknown-helpers: assume-worst
# Where the host lets the verifier assume the worst of a call without a prototype, it is
# accepted, and the numbers spilled before it are unknown after it (but still readable).
stdw [%r10-8], 7
mov %r1, %r10
add %r1, -8
call 1001
ldxdw %r0, [%r10-8]
exit
