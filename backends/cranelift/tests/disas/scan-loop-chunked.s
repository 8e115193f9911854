;; A scanning loop (strcmp of the context's halves, as clang emits it), which stops on the
;; data instead of a bound: versioned in chunks. A guard computes how many iterations keep
;; both loads in the context; the fast copy, unrolled four times, runs them without checks
;; and with its side exits through cold blocks, and the checked copy runs one iteration when
;; fewer than four are covered.
mov %r0, 0
rsh %r2, 1
ldxb %r3, [%r1+0]
loop:
mov %r4, %r1
add %r4, %r2
ldxb %r5, [%r4+0]
mov %r6, %r3
jne %r6, %r5, out
ldxb %r3, [%r1+1]
add %r1, 1
jne %r3, 0, loop
out:
exit
