;; Reading fields of a header through one unchanged base register: the three context loads
;; are checked once, at the first, against the span `[r1+0, r1+21)`. When the span check
;; fails, a cold copy of the rest of the block checks each load on its own.
ldxw %r2, [%r1+0]
ldxh %r3, [%r1+12]
ldxb %r4, [%r1+20]
add %r2, %r3
add %r2, %r4
mov %r0, %r2
exit
