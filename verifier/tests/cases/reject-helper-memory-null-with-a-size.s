# reject: insn 7: argument 2 of `csum_diff` must be 0, the size of null r1
# context: type xdp
stw [%r10-4], 7
mov %r1, 0
mov %r2, 4
mov %r3, %r10
add %r3, -4
mov %r4, 4
mov %r5, 0
call 28
mov %r0, 2
exit
