;; A counted loop copying the first half of the context onto the second (`for (i = 0; i < n;
;; i++) b[i] = a[i]`): one guard before the loop checks the first and the last iteration's
;; accesses; the fast copy of the loop carries no check, the other copy checks every access.
mov %r3, %r2
rsh %r3, 1
mov %r4, %r1
add %r4, %r3
mov %r5, 0
loop:
mov %r0, %r4
add %r0, %r5
mov %r6, %r1
add %r6, %r5
ldxb %r6, [%r6+0]
stxb [%r0+0], %r6
add %r5, 1
jgt %r3, %r5, loop
mov %r0, 0
exit
