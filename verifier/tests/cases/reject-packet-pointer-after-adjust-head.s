# reject: insn 9: r6 held a packet pointer, which the call at insn 6 may have moved: load data and data_end from the context again
# context: type xdp
# `xdp_adjust_head` may move the packet: pointers into it do not survive the call, not even in
# a register calls keep.
ldxw %r6, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r6
add %r4, 4
jgt %r4, %r3, out
mov %r2, 0
call 44
mov %r0, 0
mov %r0, 0
ldxb %r0, [%r6]
exit
out:
mov %r0, 1
exit
