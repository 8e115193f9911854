# accept
# A loop counter kept in a 4-byte stack slot, as clang keeps `u32` locals: the spill keeps its
# value, so every iteration is a new state and the loop ends.
stw [%r10-4], 0
mov %r0, 0
loop:
ldxw %r1, [%r10-4]
add %r1, 1
stxw [%r10-4], %r1
add %r0, 2
jlt %r1, 8, loop
exit
