;; Without instruction counting, a one-function program without calls gets a direct entry
;; (the memory's address and length are parameters): an unverified context load is checked
;; inline, the stack tried on a miss, with no call into the runtime.
;;! count: off
ldxw %r0, [%r1+4]
exit
