# accept
# termination: budget
# proven: 14
# The loop clang emits for `for (i = 0; i + 4 <= len; i += 4) sum += *(u32 *)(mem + i)`: the
# index is compared with the length known only at run time (`i + 8 > len` exits after `i`
# moved on by 4), so the load at `mem + i` is proven within the memory on every iteration,
# the widened ones included.
mov %r0, 0
mov %r3, 4
jgt %r3, %r2, +13
mov %r3, 0
ja +7
add %r0, %r6
mov %r4, %r3
add %r4, 4
mov %r5, %r3
add %r5, 8
mov %r3, %r4
jgt %r5, %r2, +4
mov %r4, %r1
add %r4, %r3
ldxw %r6, [%r4+0]
ja -11
exit
