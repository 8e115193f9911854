# reject: invalid access to tracepoint record (off=0 size=4)
# context: type tracepoint
# The first 8 bytes of a tracepoint record are the kernel's common fields.
ldxw %r0, [%r1+0]
exit
