;; The program of `ctx-load-proven`, not verified: the load is checked against the context
;; (predicted from `r1`) with one compare and one branch to cold code, where a failed check
;; calls the slow path, which asks the run's memory map about every region.
jlt %r2, 8, +2
ldxw %r0, [%r1+4]
exit
mov %r0, 0
exit
