# accept
# proven: 4
# Raw memory checked to be 64 bytes long: an index masked to 0..=63 minus the access width
# reaches only proven bytes, so the load needs no run-time check.
jlt %r2, 64, +5
ldxdw %r3, [%r1]
and %r3, 56
add %r1, %r3
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
