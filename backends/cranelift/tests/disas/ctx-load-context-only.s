;; A verified program's context load the verifier could not prove (the raw context's length
;; is only known at run time): checked against the context alone, trapping outside it, with
;; no slow path (`Program::is_context_only`).
;;! verify: raw
ldxw %r0, [%r1+4]
exit
