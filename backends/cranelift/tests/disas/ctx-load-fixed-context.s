;; A verified load from a fixed 64-byte context: in bounds for the program type, but a run may
;; get a shorter buffer, so the verifier leaves it unproven and the translator checks it
;; against the context alone, trapping outside it (`Program::is_context_only`).
;;! verify: fixed 64
ldxw %r0, [%r1+4]
exit
