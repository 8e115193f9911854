# accept
# context: type xdp
# csum_diff(NULL, 0, to, 4, 0): Linux lets either buffer be NULL with a size of 0.
stw [%r10-4], 7
mov %r1, 0
mov %r2, 0
mov %r3, %r10
add %r3, -4
mov %r4, 4
mov %r5, 0
call 28
mov %r0, 2
exit
