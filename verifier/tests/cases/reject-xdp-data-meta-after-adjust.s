# reject: insn 10: r7 held a packet pointer, which the call at insn 9 may have moved
# context: type xdp
# A helper that moves the packet leaves no pointer into the metadata.
mov %r6, %r1
ldxw %r2, [%r1+8]
ldxw %r3, [%r1+0]
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
mov %r7, %r2
mov %r1, %r6
mov %r2, -4
call 54
ldxw %r0, [%r7+0]
exit
out:
mov %r0, 2
exit
