# accept
# context: type xdp
# After `xdp_adjust_head`, the program reads `data` and `data_end` again and checks anew.
mov %r6, %r1
mov %r2, -14
call 44
ldxw %r2, [%r6+0]
ldxw %r3, [%r6+4]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r0, [%r2]
exit
out:
mov %r0, 1
exit
