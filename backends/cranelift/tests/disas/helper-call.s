;; A verified helper call with number arguments: registers `r1`-`r5` go to the runtime's
;; helper entry (through the context block, by the helper's index), and the code leaves when
;; the runtime stopped the run.
;;! verify: raw
mov %r1, 40
mov %r2, 2
call 1
exit
