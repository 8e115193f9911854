;; A verified in-bounds access: the program compares the raw context's length (`r2`) with 8
;; first, so the verifier proves the 4 bytes at `r1+4` inside it and the load is a plain
;; `uload32` with no check before it. (`ctx-load-unverified` is the same program unverified.)
;;! verify: raw
jlt %r2, 8, +2
ldxw %r0, [%r1+4]
exit
mov %r0, 0
exit
