# accept
# termination: budget
# proven: 5
# The byte loop `for (i = 0; i < len; i++) h ^= mem[i]`, its exit test written as
# `len > i`: the fact `i + 1 <= len` from the taken back edge survives the join at the loop
# head with the entry (where `i` = 0 and the length is at least 1), so the load is proven.
mov %r0, 0
jeq %r2, 0, +7
mov %r3, 0
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4]
xor %r0, %r5
add %r3, 1
jgt %r2, %r3, -6
exit
