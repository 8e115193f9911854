# accept
# context: type xdp
# The length of an IPv6 extension header is (hdrlen + 1) << 3, of an authentication header
# (hdrlen + 2) << 2: with the shift amount 2 or 3 (joined from two paths), the length stays
# bounded and the cursor it moves stays a packet pointer that a check of it proves.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 2
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
ldxb %r0, [%r2+1]
and %r0, 1
add %r0, 2
lsh %r5, %r0
add %r2, %r5
mov %r6, %r2
add %r6, 1
jgt %r6, %r3, out
ldxb %r0, [%r2+0]
exit
out:
mov %r0, 1
exit
