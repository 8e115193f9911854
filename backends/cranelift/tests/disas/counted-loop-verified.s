;; The counted loop of `counted-loop-hoisted` in a verified program: the verifier cannot bound
;; the raw context's accesses, so they keep checks against the context alone (traps, no slow
;; path), and those are hoisted the same way: one guard before the loop, a fast copy without
;; them, a checked copy with them.
;;! verify: raw
;;! termination: budget
mov %r3, %r2
rsh %r3, 1
mov %r4, %r1
add %r4, %r3
mov %r5, 0
loop:
mov %r0, %r4
add %r0, %r5
mov %r6, %r1
add %r6, %r5
ldxb %r6, [%r6+0]
stxb [%r0+0], %r6
add %r5, 1
jgt %r3, %r5, loop
mov %r0, 0
exit
