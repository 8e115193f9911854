;; An unverified program's stack accesses at `r10` minus a constant, inside the current frame:
;; the translator proves them in bounds itself (provenance), so neither is checked.
stw [%r10-8], 7
mov %r2, %r10
add %r2, -16
stxdw [%r2+0], %r1
ldxw %r0, [%r10-8]
exit
