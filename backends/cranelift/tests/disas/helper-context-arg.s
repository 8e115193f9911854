;; A verified helper call reading 16 bytes of a raw context whose length the verifier does
;; not know: before the call, the argument is checked to lie in the context (a trap
;; otherwise), as `Program::context_args_at` asks.
;;! verify: raw
mov %r2, 16
call 2
exit
